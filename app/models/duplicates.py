"""Duplicates: the review queue's groups and reviewers' decisions on pairs."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime, utcnow

DEDUP_KINDS = ("company", "contact")
GROUP_STATUSES = ("open", "merged", "dismissed")


class DuplicateDecision(db.Model):
    """A reviewer said these two records are different clients: never propose the pair again."""

    __tablename__ = "dedup_decisions"
    __table_args__ = (UniqueConstraint("kind", "a_id", "b_id", name="uq_dedup_decisions_pair"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    a_id: Mapped[int] = mapped_column(Integer)  # always the smaller id
    b_id: Mapped[int] = mapped_column(Integer)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DuplicateGroup(db.Model):
    """A group of records a scan found alike, waiting in the review queue."""

    __tablename__ = "dedup_groups"
    __table_args__ = (Index("ix_dedup_groups_queue", "kind", "status", "score"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    member_ids: Mapped[list] = mapped_column(JSON)
    score: Mapped[float] = mapped_column(Float)
    pairs: Mapped[list] = mapped_column(JSON)  # [{a, b, score, reasons: [{code, params}]}], best first
    status: Mapped[str] = mapped_column(String(10), default="open")
    scan_job_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


