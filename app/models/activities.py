"""Activities: every call, meeting, email and note with a client."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import TimestampMixin, UTCDateTime, utcnow

ACTIVITY_KINDS = ("call", "meeting", "email", "note")


class Activity(TimestampMixin, db.Model):
    """A call, meeting, email or note: what happened with the client, in the company's database."""

    __tablename__ = "activities"
    __table_args__ = (
        Index("ix_activities_company_at", "company_id", "occurred_at"),
        Index("ix_activities_author_at", "author_id", "occurred_at"),
        Index("ix_activities_at", "occurred_at"),   # the division's week: every person's activities in a range
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
