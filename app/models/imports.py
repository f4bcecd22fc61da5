"""Imports: uploaded files, their saved column mappings and each run's report."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


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
