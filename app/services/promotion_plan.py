"""The promotion plan: the year's budget by month and channel, its calendar, copying last year."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import extract, func, or_, select
from sqlalchemy.orm import Session

from app.i18n import N_, tr
from app.models.campaigns import Campaign, CampaignSpend, Channel
from app.models.promotion_plan import PlanBudgetLine, PromotionPlan
from app.services.campaigns import channels, new_code
from app.services.promotion import PromotionError


def plan_for(session: Session, year: int) -> PromotionPlan | None:
    return session.scalar(select(PromotionPlan).where(PromotionPlan.year == year))


def ensure_plan(session: Session, year: int, author_id: int | None) -> PromotionPlan:
    """The year's plan, created empty as a draft the first time someone opens it."""
    plan = plan_for(session, year)
    if plan is None:
        plan = PromotionPlan(year=year, status="draft", author_id=author_id)
        session.add(plan)
        session.flush()
    return plan


def save_budget(session: Session, plan_id: int, cells: dict[tuple[int, int], Decimal]) -> None:
    """Store the budget grid: (month, channel id) -> amount; empty or zero cells are removed."""
    existing = {(b.month, b.channel_id): b for b in session.scalars(select(PlanBudgetLine)
                                                                    .where(PlanBudgetLine.plan_id == plan_id))}
    for (month, channel_id), amount in cells.items():
        if not 1 <= month <= 12:
            raise PromotionError(N_("Months run from 1 to 12."))
        if amount is not None and amount < 0:
            raise PromotionError(N_("A budget cannot be negative."))
        if session.get(Channel, channel_id) is None:
            raise PromotionError(N_("This budget cell is not on the plan's grid."))
        line = existing.get((month, channel_id))
        if not amount:
            if line is not None:
                session.delete(line)
            continue
        if line is None:
            session.add(PlanBudgetLine(plan_id=plan_id, month=month, channel_id=channel_id, amount=amount))
        else:
            line.amount = amount
    session.flush()


def copy_plan(session: Session, year: int, author_id: int | None) -> PromotionPlan:
    """Start the year's plan as a draft copy of last year's: budget and campaigns moved on a year."""
    source = plan_for(session, year - 1)
    if source is None:
        raise PromotionError(tr("There is no plan for %(year)s to copy.", year=year - 1))
    target = plan_for(session, year)
    if target is not None and (target.budget_lines or session.scalar(select(func.count(Campaign.id))
                                                                     .where(Campaign.plan_id == target.id))):
        raise PromotionError(tr("The plan for %(year)s already has content; it was not overwritten.",
                                year=year))
    target = target or ensure_plan(session, year, author_id)
    target.status = "draft"
    target.notes = source.notes
    for line in source.budget_lines:
        session.add(PlanBudgetLine(plan_id=target.id, month=line.month, channel_id=line.channel_id, amount=line.amount))
    for old in session.scalars(select(Campaign).where(Campaign.plan_id == source.id).order_by(Campaign.id)):
        session.add(Campaign(name=old.name, code=new_code(session), channel_id=old.channel_id, plan_id=target.id,
                             status="planned", starts_on=_next_year(old.starts_on), ends_on=_next_year(old.ends_on),
                             planned_budget=old.planned_budget, owner_id=old.owner_id, audience=old.audience,
                             materials=old.materials, client_types=list(old.client_types),
                             products=list(old.products), notes=old.notes))
        session.flush()
    session.flush()
    return target


def _next_year(d: date | None) -> date | None:
    if d is None:
        return None
    try:
        return d.replace(year=d.year + 1)
    except ValueError:  # 29 February
        return d.replace(year=d.year + 1, day=28)


@dataclass
class PlanView:
    """Everything the plan page shows."""

    plan: PromotionPlan
    channels: list[Channel]
    budget: dict[tuple[int, int], Decimal]
    month_planned: list[Decimal]
    month_actual: list[Decimal]
    channel_planned: dict[int, Decimal]
    campaigns: list[Campaign]
    campaigns_planned: int
    campaigns_run: int
    total_planned: Decimal
    total_actual: Decimal


def plan_view(session: Session, plan: PromotionPlan) -> PlanView:
    """Budget grid, planned vs actual spend by month, and the campaigns on the year's timeline."""
    chans = channels(session)
    budget = {(b.month, b.channel_id): b.amount for b in plan.budget_lines}
    month_planned = [sum((v for (m, _c), v in budget.items() if m == month), Decimal(0)) for month in range(1, 13)]
    channel_planned = defaultdict(Decimal)
    for (_m, c), v in budget.items():
        channel_planned[c] += v
    month_actual = [Decimal(0)] * 12
    spend = session.execute(
        select(extract("month", CampaignSpend.spent_on), func.sum(CampaignSpend.amount))
        .where(CampaignSpend.spent_on >= date(plan.year, 1, 1), CampaignSpend.spent_on <= date(plan.year, 12, 31))
        .group_by(extract("month", CampaignSpend.spent_on)))
    for month, total in spend:
        month_actual[int(month) - 1] = Decimal(total or 0)
    campaigns = list(session.scalars(select(Campaign).where(
        or_(Campaign.plan_id == plan.id,
            (Campaign.starts_on >= date(plan.year, 1, 1)) & (Campaign.starts_on <= date(plan.year, 12, 31))))
        .order_by(Campaign.starts_on.nulls_last(), Campaign.id)))
    in_plan = [c for c in campaigns if c.plan_id == plan.id]
    return PlanView(plan, chans, budget, month_planned, month_actual, dict(channel_planned), campaigns,
                    len(in_plan), sum(1 for c in in_plan if c.status in ("running", "finished")),
                    sum(month_planned, Decimal(0)), sum(month_actual, Decimal(0)))


def timeline_span(campaign: Campaign, year: int) -> tuple[float, float] | None:
    """Where a campaign sits on the year's calendar, as left offset and width in percent."""
    start = campaign.starts_on or campaign.ends_on
    if start is None:
        return None
    end = campaign.ends_on or start
    first, last = date(year, 1, 1), date(year, 12, 31)
    if end < first or start > last:
        return None
    start, end = max(start, first), min(end, last)
    days = (last - first).days + 1
    left = (start - first).days / days * 100
    width = max(((end - start).days + 1) / days * 100, 0.8)
    return round(left, 2), round(width, 2)


# ---------------------------------------------------------------- responses

