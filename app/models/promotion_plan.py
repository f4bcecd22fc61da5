"""The promotion plan: a year's budget by month and channel."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import TimestampMixin

PLAN_STATUSES = ("draft", "approved")
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


