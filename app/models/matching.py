"""Matching settings: the thresholds and verification age an admin tunes."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


class MatchingSettings(db.Model):
    """The one row of admin-tuned thresholds and the age after which contact data needs verifying."""

    __tablename__ = "dedup_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_threshold: Mapped[float] = mapped_column(Float)
    strong_threshold: Mapped[float] = mapped_column(Float)
    verify_age_months: Mapped[int] = mapped_column(Integer, default=12)
    # {kind: {"fields": [{name, agree, disagree}], "offset", "records", "learnt"}} from the last full scan
    learnt_weights: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


