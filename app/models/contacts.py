"""Contacts: the people of a client company."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import SoftDeleteMixin, TimestampMixin, UTCDateTime, VersionedMixin
from app.models.companies import live_index

if TYPE_CHECKING:  # contact_points imports this module; the mapper resolves the names by itself
    from app.models.contact_points import Email, Phone


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


# One index per sort order of the contacts list.
live_index("ix_contacts_live_name", Contact, Contact.name, Contact.id)
live_index("ix_contacts_live_created", Contact, Contact.created_at, Contact.id)
