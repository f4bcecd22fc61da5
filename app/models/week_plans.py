"""Week plans: a seller's plan for an ISO week and its per-client tasks."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import TimestampMixin, UTCDateTime

TASK_ACTIONS = ("call", "meeting", "proposal", "send_material", "follow_up")
PLAN_STATUSES = ("draft", "submitted", "approved")
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


