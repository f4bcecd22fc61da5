"""Campaigns: channels, each promotion action with its targets, and its spend."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Column, Date, ForeignKey, Numeric, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import BilingualNameMixin, TimestampMixin, UTCDateTime, VersionedMixin
from app.models.promotion_plan import PromotionPlan

CAMPAIGN_STATUSES = ("planned", "running", "finished")
campaign_client_types = Table(
    "campaign_client_types", db.metadata,
    Column("campaign_id", ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True),
    Column("client_type_id", ForeignKey("client_types.id", ondelete="CASCADE"), primary_key=True),
)
campaign_products = Table(
    "campaign_products", db.metadata,
    Column("campaign_id", ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True),
    Column("product_id", ForeignKey("products.id", ondelete="CASCADE"), primary_key=True),
)


class Channel(BilingualNameMixin, db.Model):
    """A way of reaching clients (email, postal mailing, exhibition ...); promotion staff edit the list."""

    __tablename__ = "promotion_channels"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_ru: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(default=True)



class Campaign(TimestampMixin, VersionedMixin, db.Model):
    """A promotion action: who it targets, what it costs, and the code its responses quote."""

    __tablename__ = "campaigns"
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(20), unique=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("promotion_channels.id"), index=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("promotion_plans.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="planned")
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    planned_budget: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=0)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    audience: Mapped[str | None] = mapped_column(String(300))  # the segment or list it went to, in words
    address_list_id: Mapped[int | None] = mapped_column(ForeignKey("address_lists.id", ondelete="SET NULL"))
    materials: Mapped[str | None] = mapped_column(Text)  # promotion materials used, one per line
    # Results of a campaign entered after the fact, when its responses were never recorded one by one.
    past_responses: Mapped[int | None] = mapped_column()
    past_deals: Mapped[int | None] = mapped_column()
    past_won_revenue: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    analysed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    analysis_notes: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)

    channel: Mapped[Channel] = relationship(lazy="joined")
    plan: Mapped[PromotionPlan | None] = relationship()
    owner = relationship("User", foreign_keys=[owner_id])
    client_types = relationship("ClientType", secondary=campaign_client_types, lazy="selectin")
    products = relationship("Product", secondary=campaign_products, lazy="selectin")
    spend: Mapped[list[CampaignSpend]] = relationship(back_populates="campaign", cascade="all, delete-orphan",
                                                      order_by="CampaignSpend.spent_on")
    address_list = relationship("AddressList", foreign_keys=[address_list_id])

    @property
    def materials_list(self) -> list[str]:
        return [line.strip() for line in (self.materials or "").splitlines() if line.strip()]


class CampaignSpend(TimestampMixin, db.Model):
    """Money actually spent on a campaign: when, how much, what for."""

    __tablename__ = "campaign_spend"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    spent_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    purpose: Mapped[str] = mapped_column(String(300))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    campaign: Mapped[Campaign] = relationship(back_populates="spend")


