"""Deals: what a client buys or may buy, with product lines, stage and lost reason."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import TimestampMixin, VersionedMixin
from app.models.products import Product

DEAL_STAGES = ("new", "proposal", "negotiation", "won", "lost")
OPEN_STAGES = ("new", "proposal", "negotiation")
class Deal(TimestampMixin, VersionedMixin, db.Model):
    """A sale in progress or closed, owned by one seller."""

    __tablename__ = "deals"
    __audit__ = True
    __table_args__ = (Index("ix_deals_stage_closed", "stage", "closed_on"),
                      Index("ix_deals_owner_stage", "owner_id", "stage"))   # a person's open deals, on every home page

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



# Covering indexes on foundation tables (created by migration 0006_sales): the revenue analysis reads
# won deals by closing date and their lines without visiting either table's rows.
Index("ix_deals_revenue", Deal.stage, Deal.closed_on, Deal.company_id)
Index("ix_deal_lines_revenue", DealLine.deal_id, DealLine.product_id, DealLine.amount)
