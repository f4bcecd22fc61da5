"""The catalogue, deals and the activities that make up a client relationship."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import TimestampMixin, UTCDateTime, VersionedMixin, utcnow

DEAL_STAGES = ("new", "proposal", "negotiation", "won", "lost")
OPEN_STAGES = ("new", "proposal", "negotiation")
ACTIVITY_KINDS = ("call", "meeting", "email", "note")


class Product(TimestampMixin, db.Model):
    """Something the company sells; revenue is analysed per product line."""

    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    product_line: Mapped[str] = mapped_column(String(120), index=True)
    price: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=0)
    active: Mapped[bool] = mapped_column(default=True)


class Deal(TimestampMixin, VersionedMixin, db.Model):
    """A sale in progress or closed, owned by one seller."""

    __tablename__ = "deals"
    __audit__ = True
    __table_args__ = (Index("ix_deals_stage_closed", "stage", "closed_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    stage: Mapped[str] = mapped_column(String(20), default="new")
    lost_reason: Mapped[str | None] = mapped_column(String(300))
    expected_close: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=0)  # sum of lines, kept for fast analysis

    company = relationship("Company")
    contact = relationship("Contact")
    owner = relationship("User")
    lines: Mapped[list[DealLine]] = relationship(back_populates="deal", cascade="all, delete-orphan",
                                                 order_by="DealLine.id")

    def recompute_amount(self) -> None:
        self.amount = sum((line.amount for line in self.lines), Decimal("0"))


class DealLine(db.Model):
    """One product in a deal, with its amount."""

    __tablename__ = "deal_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    quantity: Mapped[Decimal] = mapped_column(Numeric(14, 3), default=1)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=0)

    deal: Mapped[Deal] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship(lazy="joined")


class Activity(TimestampMixin, db.Model):
    """A call, meeting, email or note: what happened with the client, in the company's database."""

    __tablename__ = "activities"
    __table_args__ = (
        Index("ix_activities_company_at", "company_id", "occurred_at"),
        Index("ix_activities_author_at", "author_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    deal_id: Mapped[int | None] = mapped_column(ForeignKey("deals.id"), index=True)
    subject: Mapped[str] = mapped_column(String(300), default="")
    outcome: Mapped[str | None] = mapped_column(Text)

    author = relationship("User", lazy="joined")
    company = relationship("Company")
    contact = relationship("Contact")
    deal = relationship("Deal")
