"""Live figures of the sales area: materials, plans, revenue concentration, surveys and logged client work."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import case, exists, func, or_, select
from sqlalchemy.orm import Session

from app.i18n import tr as _
from app.models.activities import Activity
from app.models.companies import ClientType
from app.models.deals import Deal
from app.models.materials import Material, MaterialUse, material_client_types, material_products
from app.models.products import Product
from app.models.week_plans import PlanTask, WeekPlan
from app.services import custody, revenue, surveys, week_plans, weeks
from app.services.figures import Figure, figure

WINDOW_DAYS = 90


def _share_status(value: float | None, good: float) -> str:
    if value is None:
        return "unknown"
    return "ok" if value >= good else "bad"


@figure("materials_coverage_share")
def materials_coverage_share(session: Session, today: date) -> Figure:
    """Share of product × client type cells with at least one shared material (the seed's first sign)."""
    products = session.scalar(select(func.count(Product.id)).where(Product.active.is_(True))) or 0
    types = session.scalar(select(func.count(ClientType.id)).where(ClientType.active.is_(True))) or 0
    label = _("Product × client type cells with a material")
    if not products or not types:
        return Figure("materials_coverage_share", label, None, "percent", "unknown", note=_("No products yet"))
    covered = session.scalar(select(func.count()).select_from(
        select(material_products.c.product_id, material_client_types.c.client_type_id)
        .join(material_client_types, material_client_types.c.material_id == material_products.c.material_id)
        .join(Material, Material.id == material_products.c.material_id)
        .join(Product, Product.id == material_products.c.product_id)
        .join(ClientType, ClientType.id == material_client_types.c.client_type_id)
        .where(Material.private.is_(False), Product.active.is_(True), ClientType.active.is_(True))
        .distinct().subquery()))
    value = covered / (products * types)
    return Figure("materials_coverage_share", label, value, "percent", _share_status(value, 0.8),
                  detail={"covered": covered, "cells": products * types})


@figure("materials_in_won_deals_share")
def materials_in_won_deals_share(session: Session, today: date) -> Figure:
    """Share of deals won in the last 90 days where a material was used (in the deal or one of its activities)."""
    since = today - timedelta(days=WINDOW_DAYS)
    used = or_(exists().where(MaterialUse.deal_id == Deal.id),
               exists().where(MaterialUse.activity_id == Activity.id, Activity.deal_id == Deal.id))
    total, with_material = session.execute(
        select(func.count(Deal.id), func.sum(case((used, 1), else_=0)))
        .where(Deal.stage == "won", Deal.closed_on >= since)).one()
    label = _("Won deals that used a material")
    if not total:
        return Figure("materials_in_won_deals_share", label, None, "percent", "unknown",
                      note=_("No deals won in the last %(n)s days", n=WINDOW_DAYS))
    value = int(with_material or 0) / total
    return Figure("materials_in_won_deals_share", label, value, "percent", _share_status(value, 0.5))


@figure("sellers_with_plan_share")
def sellers_with_plan_share(session: Session, today: date) -> Figure:
    """Share of sellers who have a plan with tasks for this week."""
    team = [s.id for s in week_plans.sellers(session)]
    label = _("Sellers with a plan this week")
    if not team:
        return Figure("sellers_with_plan_share", label, None, "percent", "unknown", note=_("No sellers yet"))
    with_plan = session.scalar(select(func.count(func.distinct(WeekPlan.seller_id)))
                               .join(PlanTask, PlanTask.plan_id == WeekPlan.id)
                               .where(WeekPlan.week_start == weeks.monday(today), WeekPlan.seller_id.in_(team)))
    value = with_plan / len(team)
    return Figure("sellers_with_plan_share", label, value, "percent", _share_status(value, 1.0))


@figure("last_week_tasks_done_share")
def last_week_tasks_done_share(session: Session, today: date) -> Figure:
    """Share of last week's planned tasks that were done: the plans' realism."""
    week = week_plans.history(session, [s.id for s in week_plans.sellers(session)],
                         weeks.monday(today) - weeks.WEEK, weeks=1)[0]
    label = _("Last week's planned tasks done")
    if week["realism"] is None:
        return Figure("last_week_tasks_done_share", label, None, "percent", "unknown",
                      note=_("No plan last week"))
    return Figure("last_week_tasks_done_share", label, week["realism"], "percent",
                  _share_status(week["realism"], 0.7), detail={"tasks": week["tasks"], "done": week["done"]})


@figure("plan_realism_trend")
def plan_realism_trend(session: Session, today: date) -> Figure:
    """Last week's realism minus the average of the three weeks before (percentage points)."""
    history = week_plans.history(session, [s.id for s in week_plans.sellers(session)],
                                 weeks.monday(today) - weeks.WEEK, weeks=4)
    known = [w["realism"] for w in history[:-1] if w["realism"] is not None]
    last = history[-1]["realism"]
    label = _("Plan realism against the weeks before")
    if last is None or not known:
        return Figure("plan_realism_trend", label, None, "percent", "unknown",
                      note=_("Needs last week and at least one earlier week with plans"))
    value = last - sum(known) / len(known)
    return Figure("plan_realism_trend", label, value, "percent", "ok" if value >= 0 else "bad",
                  detail={"weeks": [w["realism"] for w in history]})


@figure("top_combinations_revenue_share")
def top_combinations_revenue_share(session: Session, today: date) -> Figure:
    """Share of the year's won revenue made by the top fifth of product line × client type combinations."""
    result = revenue.analyse(session, today - timedelta(days=364), today, "line")
    combos = [c for c in result["combos"] if c.revenue]
    label = _("Revenue from the top %(share)s of combinations", share="20 %")
    if not combos:
        return Figure("top_combinations_revenue_share", label, None, "percent", "unknown",
                      note=_("No won deals in the last year"))
    top = combos[:max(1, round(len(combos) * 0.2))]
    value = float(sum(c.revenue for c in top) / result["total"])
    return Figure("top_combinations_revenue_share", label, value, "percent", "neutral",
                  detail={"top": [(c.key, c.client_type) for c in top], "pareto_count": len(result["pareto"])})


@figure("surveys_answered")
def surveys_answered(session: Session, today: date) -> Figure:
    """Survey answers received in the last 90 days, by staff or through clients' links."""
    since = datetime.combine(today - timedelta(days=WINDOW_DAYS), time.min, tzinfo=timezone.utc)
    n = surveys.answered_since(session, since)
    return Figure("surveys_answered", _("Survey answers in 90 days"), n, "int", "ok" if n else "bad")


@figure("deals_with_recent_activity_share")
def deals_with_recent_activity_share(session: Session, today: date) -> Figure:
    """Share of open deals with an activity logged in the last 14 days (the seed's tenth sign)."""
    recent, total = custody.recent_share(session, today, 14)
    label = _("Open deals with an activity in 14 days")
    if not total:
        return Figure("deals_with_recent_activity_share", label, None, "percent", "unknown",
                      note=_("No open deals"))
    value = recent / total
    return Figure("deals_with_recent_activity_share", label, value, "percent", _share_status(value, 0.8))


@figure("win_rate")
def win_rate(session: Session, today: date) -> Figure:
    """Won among deals closed in the last 90 days."""
    since = today - timedelta(days=WINDOW_DAYS)
    won, closed = session.execute(
        select(func.sum(case((Deal.stage == "won", 1), else_=0)), func.count(Deal.id))
        .where(Deal.stage.in_(("won", "lost")), Deal.closed_on >= since)).one()
    label = _("Win rate (90 days)")
    if not closed:
        return Figure("win_rate", label, None, "percent", "unknown", note=_("No deals closed in 90 days"))
    value = int(won or 0) / closed
    return Figure("win_rate", label, value, "percent", "neutral", detail={"won": int(won or 0), "closed": closed})
