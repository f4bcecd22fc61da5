"""Contact points: a company's or contact's phones, emails and addresses, each verified by someone."""
from __future__ import annotations

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import (
    TimestampMixin,
    VerifiedMixin,
)
from app.models.companies import Company
from app.models.contacts import Contact

ADDRESS_KINDS = ("legal", "postal", "delivery")


class Address(TimestampMixin, VerifiedMixin, db.Model):
    """A legal, postal or delivery address of a company."""

    __tablename__ = "addresses"
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default="postal")
    postcode: Mapped[str | None] = mapped_column(String(20))
    region: Mapped[str | None] = mapped_column(String(120))
    city: Mapped[str | None] = mapped_column(String(120))
    street: Mapped[str] = mapped_column(String(300))
    country: Mapped[str] = mapped_column(String(2), default="RU")

    company: Mapped[Company] = relationship(back_populates="addresses")

    @property
    def one_line(self) -> str:
        parts = [self.postcode, self.region, self.city, self.street]
        return ", ".join(p for p in parts if p)



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


# A company's own phones and emails (contact_id IS NULL): without this pair the planner walks the
# contact_id index over every company-level row.
Index("ix_phones_company_contact", Phone.company_id, Phone.contact_id)
Index("ix_emails_company_contact", Email.company_id, Email.contact_id)
