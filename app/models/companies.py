"""Companies: the client record, its client type and tags."""
from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import BilingualNameMixin, SoftDeleteMixin, TimestampMixin, VersionedMixin

if TYPE_CHECKING:  # contact_points imports this module; the mapper resolves the name by itself
    from app.models.contact_points import Address

COMPANY_STATUSES = ("prospect", "client", "former")
LEGAL_FORMS = ("ООО", "АО", "ПАО", "ЗАО", "ОАО", "ИП", "НКО", "LLC", "Ltd", "Inc", "GmbH", "AG", "JSC", "PLC", "B.V.", "N.V.")
class ClientType(BilingualNameMixin, db.Model):
    """A segment of clients (corporate, SMB, government ...); admins edit the list."""

    __tablename__ = "client_types"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_ru: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(default=True)



company_tags = Table(
    "company_tags",
    db.metadata,
    Column("company_id", ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Tag(db.Model):
    """A free label on companies, used to filter and to build segments."""

    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)


class Company(TimestampMixin, VersionedMixin, SoftDeleteMixin, db.Model):
    """One client organisation: the record the whole division works from."""

    __tablename__ = "companies"
    __audit__ = True
    __table_args__ = (
        Index("ix_companies_list", "deleted_at", "status", "client_type_id"),
        Index("ix_companies_name_sort", "name_sort"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    legal_name: Mapped[str] = mapped_column(String(300))
    legal_form: Mapped[str | None] = mapped_column(String(20))
    name_sort: Mapped[str] = mapped_column(String(300), default="")  # lower-cased name for sorting
    inn: Mapped[str | None] = mapped_column(String(40), index=True)
    country: Mapped[str] = mapped_column(String(2), default="RU")
    client_type_id: Mapped[int | None] = mapped_column(ForeignKey("client_types.id"), index=True)
    industry: Mapped[str | None] = mapped_column(String(120))
    region: Mapped[str | None] = mapped_column(String(120), index=True)
    city: Mapped[str | None] = mapped_column(String(120), index=True)
    status: Mapped[str] = mapped_column(String(20), default="prospect")
    account_manager_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    source: Mapped[str | None] = mapped_column(String(120))
    external_id: Mapped[str | None] = mapped_column(String(120), index=True)
    website: Mapped[str | None] = mapped_column(String(300))
    notes: Mapped[str | None] = mapped_column(Text)

    client_type: Mapped[ClientType | None] = relationship(lazy="joined")
    account_manager = relationship("User", foreign_keys=[account_manager_id], lazy="joined")
    tags: Mapped[list[Tag]] = relationship(secondary=company_tags, lazy="selectin")
    addresses: Mapped[list[Address]] = relationship(back_populates="company", order_by="Address.id")
    contacts = relationship("Contact", back_populates="company", order_by="Contact.name",
                            primaryjoin="and_(Contact.company_id == Company.id, Contact.deleted_at.is_(None))",
                            viewonly=True)
    phones = relationship("Phone", primaryjoin="and_(Phone.company_id == Company.id, Phone.contact_id.is_(None))",
                          viewonly=True, order_by="Phone.id")
    emails = relationship("Email", primaryjoin="and_(Email.company_id == Company.id, Email.contact_id.is_(None))",
                          viewonly=True, order_by="Email.id")

    @property
    def display_name(self) -> str:
        return f"{self.legal_form} {self.legal_name}" if self.legal_form else self.legal_name

    def __repr__(self) -> str:
        return f"<Company {self.id} {self.legal_name}>"


def live_index(name: str, model, *columns) -> Index:
    """A partial index over the current (not deleted) rows, so list pages read a page straight from it."""
    where = model.deleted_at.is_(None)
    return Index(name, *columns, sqlite_where=where, postgresql_where=where)


# One index per sort order of the companies list, on 200,000 rows and more.
live_index("ix_companies_live_name", Company, Company.name_sort, Company.id)
live_index("ix_companies_live_city", Company, Company.city, Company.name_sort, Company.id)
live_index("ix_companies_live_created", Company, Company.created_at, Company.id)
live_index("ix_companies_live_manager", Company, Company.account_manager_id, Company.name_sort, Company.id)
