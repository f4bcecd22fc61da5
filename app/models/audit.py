"""The record of every change, so nothing is lost and history can be shown."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


class AuditEntry(db.Model):
    """One field of one record changed by one person at one time."""

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entity", "entity_type", "entity_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int] = mapped_column()
    # The company a change belongs to, so the company timeline shows its contacts' and phones' changes too.
    company_id: Mapped[int | None] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(String(20))  # create, update, delete, restore, merge ...
    field: Mapped[str | None] = mapped_column(String(60))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int | None] = mapped_column()
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user = relationship("User", lazy="joined")
