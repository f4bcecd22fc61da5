"""Key accounts: a corporate client's one account manager (and deputy), and each hand-over."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


class KeyAccount(db.Model):
    """A company marked as a key (corporate) account; its manager is Company.account_manager_id."""

    __tablename__ = "key_accounts"

    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True)
    deputy_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    since: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    company = relationship("Company", lazy="joined")
    deputy = relationship("User", foreign_keys=[deputy_id], lazy="joined")


class AccountHandover(db.Model):
    """A change of account manager or deputy, with the note the outgoing manager leaves."""

    __tablename__ = "account_handovers"
    __table_args__ = (Index("ix_account_handovers_company_at", "company_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    from_manager_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    to_manager_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    deputy_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    from_manager = relationship("User", foreign_keys=[from_manager_id], lazy="joined")
    to_manager = relationship("User", foreign_keys=[to_manager_id], lazy="joined")
    by = relationship("User", foreign_keys=[by_id])


