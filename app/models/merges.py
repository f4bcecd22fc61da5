"""Merges: each merge of duplicate records, with the snapshot that undoes it."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


class Merge(db.Model):
    """One merge with everything needed to undo it: the rows as they were and every moved reference."""

    __tablename__ = "dedup_merges"
    __table_args__ = (Index("ix_dedup_merges_survivor", "kind", "survivor_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    survivor_id: Mapped[int] = mapped_column(Integer)
    merged_ids: Mapped[list] = mapped_column(JSON)
    snapshot: Mapped[dict] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    created_by = relationship("User", foreign_keys=[created_by_id])


class MergedRecord(db.Model):
    """Where a merged-away record went, so its old address leads to the survivor."""

    __tablename__ = "dedup_merged_records"

    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    record_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    survivor_id: Mapped[int] = mapped_column(Integer)
    merge_id: Mapped[int] = mapped_column(ForeignKey("dedup_merges.id", ondelete="CASCADE"), index=True)


