"""Promotion: channels, campaigns and their spend, the year's plan, responses, segments and address lists."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Column, Date, ForeignKey, Index, Numeric, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import BilingualNameMixin, TimestampMixin, UTCDateTime, VersionedMixin, utcnow

CAMPAIGN_STATUSES = ("planned", "running", "finished")
RESPONSE_STATUSES = ("new", "qualified", "converted", "disqualified")
PLAN_STATUSES = ("draft", "approved")
LIST_FORMATS = ("postal", "email", "phone")
LIST_STATES = ("queued", "running", "ready", "failed")

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



class PromotionPlan(TimestampMixin, db.Model):
    """One year's promotion plan: its budget by month and channel and the campaigns planned in it."""

    __tablename__ = "promotion_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(unique=True)
    status: Mapped[str] = mapped_column(String(10), default="draft")
    notes: Mapped[str | None] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    budget_lines: Mapped[list[PlanBudgetLine]] = relationship(back_populates="plan", cascade="all, delete-orphan")


class PlanBudgetLine(db.Model):
    """The amount planned for one channel in one month of a plan."""

    __tablename__ = "promotion_plan_budget"
    __table_args__ = (UniqueConstraint("plan_id", "month", "channel_id", name="uq_promotion_plan_budget_cell"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("promotion_plans.id", ondelete="CASCADE"), index=True)
    month: Mapped[int] = mapped_column()
    channel_id: Mapped[int] = mapped_column(ForeignKey("promotion_channels.id"))
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=0)

    plan: Mapped[PromotionPlan] = relationship(back_populates="budget_lines")


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


class Response(TimestampMixin, db.Model):
    """One person answering promotion: where from, who they are in the base, and what became of it."""

    __tablename__ = "responses"
    __audit__ = True
    __table_args__ = (Index("ix_responses_campaign_at", "campaign_id", "received_at"),
                      Index("ix_responses_received", "received_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))  # None: unknown source
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("promotion_channels.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    source: Mapped[str] = mapped_column(String(10), default="staff")  # staff | web | import
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    phone: Mapped[str | None] = mapped_column(String(20), index=True)  # E.164 when it parses
    company_name: Mapped[str | None] = mapped_column(String(300))
    message: Mapped[str | None] = mapped_column(Text)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    created_prospect: Mapped[bool] = mapped_column(default=False)
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(15), default="new")
    disqualified_reason: Mapped[str | None] = mapped_column(String(300))
    deal_id: Mapped[int | None] = mapped_column(ForeignKey("deals.id"), index=True)
    repeat_of_id: Mapped[int | None] = mapped_column(ForeignKey("responses.id"))

    campaign: Mapped[Campaign | None] = relationship(lazy="joined")
    channel: Mapped[Channel | None] = relationship(lazy="joined")
    company = relationship("Company")
    contact = relationship("Contact")
    handled_by = relationship("User", foreign_keys=[handled_by_id])
    deal = relationship("Deal")

    @property
    def is_repeat(self) -> bool:
        return self.repeat_of_id is not None


class PublicFormHit(db.Model):
    """A submission of the public response form, kept in the database so every process sees the rate limit."""

    __tablename__ = "public_form_hits"
    __table_args__ = (Index("ix_public_form_hits_ip_at", "ip", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ip: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


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
