"""Address lists: saved segments and the list files generated from them."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import TimestampMixin, UTCDateTime

LIST_FORMATS = ("postal", "email", "phone")
LIST_STATES = ("queued", "running", "ready", "failed")

class Segment(TimestampMixin, db.Model):
    """A saved selection of clients for mailings: its filters as data."""

    __tablename__ = "segments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    definition: Mapped[dict] = mapped_column(JSON, default=dict)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    author = relationship("User")


class AddressList(TimestampMixin, db.Model):
    """A generated address list file: its segment, format, counts, exclusions and when it expires."""

    __tablename__ = "address_lists"

    id: Mapped[int] = mapped_column(primary_key=True)
    segment_id: Mapped[int | None] = mapped_column(ForeignKey("segments.id", ondelete="SET NULL"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    definition: Mapped[dict] = mapped_column(JSON, default=dict)  # the segment as it was when generated
    fmt: Mapped[str] = mapped_column(String(10))  # postal | email | phone
    file_type: Mapped[str] = mapped_column(String(5), default="csv")  # csv | xlsx
    options: Mapped[dict] = mapped_column(JSON, default=dict)  # bom, delimiter, unverified_days
    state: Mapped[str] = mapped_column(String(10), default="queued")
    rows: Mapped[int] = mapped_column(default=0)
    exclusions: Mapped[dict] = mapped_column(JSON, default=dict)
    file_name: Mapped[str | None] = mapped_column(String(200))
    job_id: Mapped[str | None] = mapped_column(String(64))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    author = relationship("User")
    segment = relationship("Segment")
