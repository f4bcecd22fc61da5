"""Duplicate review, merges that can be undone, imports and the settings behind them.

None of these tables has a foreign key to companies or contacts: a merge moves every row that
references those tables, and its own log must stay where it is.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow

DEDUP_KINDS = ("company", "contact")
GROUP_STATUSES = ("open", "merged", "dismissed")


class DedupSettings(db.Model):
    """The one row of admin-tuned thresholds and the age after which contact data needs verifying."""

    __tablename__ = "dedup_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_threshold: Mapped[float] = mapped_column(Float)
    strong_threshold: Mapped[float] = mapped_column(Float)
    verify_age_months: Mapped[int] = mapped_column(Integer, default=12)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class DedupDecision(db.Model):
    """A reviewer said these two records are different clients: never propose the pair again."""

    __tablename__ = "dedup_decisions"
    __table_args__ = (UniqueConstraint("kind", "a_id", "b_id", name="uq_dedup_decisions_pair"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    a_id: Mapped[int] = mapped_column(Integer)  # always the smaller id
    b_id: Mapped[int] = mapped_column(Integer)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DedupGroup(db.Model):
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


class ImportMapping(db.Model):
    """A saved column mapping, reused for the next file from the same source."""

    __tablename__ = "import_mappings"
    __table_args__ = (UniqueConstraint("kind", "name", name="uq_import_mappings_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(120))
    mapping: Mapped[dict] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ImportRun(db.Model):
    """One uploaded file on its way through mapping, preview and import; the file itself lives on disk."""

    __tablename__ = "import_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    filename: Mapped[str] = mapped_column(String(300))
    stored_name: Mapped[str | None] = mapped_column(String(80))  # under UPLOAD_DIR/imports; None once removed
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    mapping: Mapped[dict | None] = mapped_column(JSON)
    options: Mapped[dict | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10), default="uploaded")  # uploaded, running, done, failed
    job_id: Mapped[str | None] = mapped_column(String(64))
    report: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
