"""People at client companies and the phones and emails that reach them."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import SoftDeleteMixin, TimestampMixin, UTCDateTime, VerifiedMixin, VersionedMixin


class Contact(TimestampMixin, VersionedMixin, SoftDeleteMixin, db.Model):
    """A person the division talks to."""

    __tablename__ = "contacts"
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[str | None] = mapped_column(String(200))
    do_not_contact: Mapped[bool] = mapped_column(default=False)
    do_not_contact_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    do_not_contact_reason: Mapped[str | None] = mapped_column(String(300))
    external_id: Mapped[str | None] = mapped_column(String(120), index=True)
    notes: Mapped[str | None] = mapped_column(Text)

    company = relationship("Company", back_populates="contacts", foreign_keys=[company_id])
    phones: Mapped[list[Phone]] = relationship(back_populates="contact", order_by="Phone.id")
    emails: Mapped[list[Email]] = relationship(back_populates="contact", order_by="Email.id")

    def __repr__(self) -> str:
        return f"<Contact {self.id} {self.name}>"


class Phone(TimestampMixin, VerifiedMixin, db.Model):
    """A phone stored as E.164 so any written form finds it."""

    __tablename__ = "phones"
    __audit__ = True
    __table_args__ = (Index("ix_phones_e164", "e164"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    e164: Mapped[str] = mapped_column(String(20))
    extension: Mapped[str | None] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(10), default="work")

    contact: Mapped[Contact | None] = relationship(back_populates="phones")


class Email(TimestampMixin, VerifiedMixin, db.Model):
    """An email address, stored lower-cased."""

    __tablename__ = "emails"
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    address: Mapped[str] = mapped_column(String(254), index=True)

    contact: Mapped[Contact | None] = relationship(back_populates="emails")
