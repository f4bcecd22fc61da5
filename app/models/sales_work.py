"""Sales work: understanding materials (Dept 5), weekly sales plans (Dept 6) and client surveys (Dept 4)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Date, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import TimestampMixin, UTCDateTime, utcnow
from app.models.sales import Deal, DealLine

MATERIAL_KINDS = ("sample", "scheme", "case_study", "data_sheet", "price_list", "presentation", "call_script")
TASK_ACTIONS = ("call", "meeting", "proposal", "send_material", "follow_up")
PLAN_STATUSES = ("draft", "submitted", "approved")
QUESTION_KINDS = ("text", "choice", "scale")

# Covering indexes on foundation tables (created by migration 0006_sales): the revenue analysis reads
# won deals by closing date and their lines without visiting either table's rows.
Index("ix_deals_revenue", Deal.stage, Deal.closed_on, Deal.company_id)
Index("ix_deal_lines_revenue", DealLine.deal_id, DealLine.product_id, DealLine.amount)

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


class WeekPlan(TimestampMixin, db.Model):
    """One seller's plan for one ISO week, approved by the head and reviewed at the week's end."""

    __tablename__ = "week_plans"
    __audit__ = True
    __table_args__ = (UniqueConstraint("seller_id", "week_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    week_start: Mapped[date] = mapped_column(Date, index=True)  # the Monday
    status: Mapped[str] = mapped_column(String(12), default="draft")
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    worked: Mapped[str | None] = mapped_column(Text)
    not_worked: Mapped[str | None] = mapped_column(Text)

    seller = relationship("User", foreign_keys=[seller_id], lazy="joined")
    approved_by = relationship("User", foreign_keys=[approved_by_id])
    tasks: Mapped[list[PlanTask]] = relationship(back_populates="plan", cascade="all, delete-orphan",
                                                 order_by="PlanTask.id")


class PlanTask(db.Model):
    """A concrete task with a client: what to do and what should come of it."""

    __tablename__ = "plan_tasks"
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("week_plans.id", ondelete="CASCADE"), index=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    deal_id: Mapped[int | None] = mapped_column(ForeignKey("deals.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    expected_result: Mapped[str] = mapped_column(String(500), default="")
    source: Mapped[str] = mapped_column(String(20), default="manual")  # manual or the suggestion it came from
    done: Mapped[bool] = mapped_column(default=False)
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activities.id", ondelete="SET NULL"))
    successful: Mapped[bool | None] = mapped_column()
    outcome: Mapped[str | None] = mapped_column(Text)

    plan: Mapped[WeekPlan] = relationship(back_populates="tasks")
    company = relationship("Company", lazy="joined")
    contact = relationship("Contact")
    deal = relationship("Deal")


class Survey(TimestampMixin, db.Model):
    """Questions for the clients of the most profitable product × client type combinations."""

    __tablename__ = "surveys"
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Campaigns are built on another branch; the link becomes a foreign key when they meet.
    campaign_id: Mapped[int | None] = mapped_column(Integer, index=True)

    targets: Mapped[list[SurveyTarget]] = relationship(cascade="all, delete-orphan", order_by="SurveyTarget.id")
    questions: Mapped[list[SurveyQuestion]] = relationship(cascade="all, delete-orphan",
                                                           order_by="SurveyQuestion.position")


class SurveyTarget(db.Model):
    """One product line × client type combination a survey is aimed at."""

    __tablename__ = "survey_targets"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    product_line: Mapped[str] = mapped_column(String(120))
    client_type_id: Mapped[int | None] = mapped_column(ForeignKey("client_types.id"))

    client_type = relationship("ClientType", lazy="joined")


class SurveyQuestion(db.Model):
    """A question: free text, one of some choices, or a 1-5 scale."""

    __tablename__ = "survey_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    text: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(10), default="text")
    choices: Mapped[str | None] = mapped_column(Text)  # one per line

    @property
    def choice_list(self) -> list[str]:
        return [c.strip() for c in (self.choices or "").splitlines() if c.strip()]


class SurveyInvite(TimestampMixin, db.Model):
    """A per-client link that needs no sign-in and works once."""

    __tablename__ = "survey_invites"
    __table_args__ = (UniqueConstraint("survey_id", "company_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    nonce: Mapped[str] = mapped_column(String(32))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    company = relationship("Company", lazy="joined")


class SurveyResponse(db.Model):
    """One client's answers, recorded by staff or sent through the client's link."""

    __tablename__ = "survey_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    invite_id: Mapped[int | None] = mapped_column(ForeignKey("survey_invites.id", ondelete="SET NULL"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    company = relationship("Company", lazy="joined")
    answers: Mapped[list[SurveyAnswer]] = relationship(cascade="all, delete-orphan")


class SurveyAnswer(db.Model):
    """The answer to one question."""

    __tablename__ = "survey_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("survey_responses.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("survey_questions.id", ondelete="CASCADE"), index=True)
    value: Mapped[str] = mapped_column(Text, default="")
