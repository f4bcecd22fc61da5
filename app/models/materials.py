"""Materials: what creates understanding (samples, schemes, data sheets), and each use in a deal."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Date, ForeignKey, Index, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import TimestampMixin, UTCDateTime, utcnow

MATERIAL_KINDS = ("sample", "scheme", "case_study", "data_sheet", "price_list", "presentation", "call_script")
material_products = Table(
    "material_products", db.metadata,
    Column("material_id", ForeignKey("materials.id", ondelete="CASCADE"), primary_key=True),
    Column("product_id", ForeignKey("products.id", ondelete="CASCADE"), primary_key=True, index=True),
)
material_client_types = Table(
    "material_client_types", db.metadata,
    Column("material_id", ForeignKey("materials.id", ondelete="CASCADE"), primary_key=True),
    Column("client_type_id", ForeignKey("client_types.id", ondelete="CASCADE"), primary_key=True, index=True),
)
material_sellers = Table(
    "material_sellers", db.metadata,
    Column("material_id", ForeignKey("materials.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Material(TimestampMixin, db.Model):
    """A file or link that makes a product understandable to a kind of client."""

    __tablename__ = "materials"
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20))
    link: Mapped[str | None] = mapped_column(String(1000))
    file_name: Mapped[str | None] = mapped_column(String(255))       # the name it was uploaded under
    stored_name: Mapped[str | None] = mapped_column(String(64), unique=True)  # random name under UPLOAD_DIR
    content_type: Mapped[str | None] = mapped_column(String(120))
    size: Mapped[int | None] = mapped_column(Integer)
    edition: Mapped[str] = mapped_column(String(40), default="1")
    issued_on: Mapped[date | None] = mapped_column(Date)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)  # the author's unit
    private: Mapped[bool] = mapped_column(default=False)

    author = relationship("User", foreign_keys=[author_id], lazy="joined")
    products = relationship("Product", secondary=material_products, lazy="selectin", order_by="Product.name")
    client_types = relationship("ClientType", secondary=material_client_types, lazy="selectin",
                                order_by="ClientType.id")
    sellers = relationship("User", secondary=material_sellers, lazy="selectin", order_by="User.name")


class MaterialUse(db.Model):
    """A material a seller used in an activity or deal; counted against won and lost deals."""

    __tablename__ = "material_uses"
    __table_args__ = (Index("ix_material_uses_material_deal", "material_id", "deal_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    material_id: Mapped[int] = mapped_column(ForeignKey("materials.id", ondelete="CASCADE"))
    deal_id: Mapped[int | None] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), index=True)
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    used_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    material = relationship("Material")


