"""Figures about promotion: are responses counted and analysed, is there a plan, do clients come from it."""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.i18n import tr as _
from app.models.campaigns import Campaign, CampaignSpend
from app.models.deals import Deal
from app.models.promotion_plan import PlanBudgetLine, PromotionPlan
from app.models.responses import Response
from app.services.figures import Figure, figure
from app.services.weeks import week_bounds


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def _share_figure(name: str, label: str, part: int, whole: int, good: float, empty_note: str, **detail) -> Figure:
    """A share figure: unknown (with why) when there is nothing to divide by, else ok at or above `good`."""
    value = _share(part, whole)
    if value is None:
        return Figure(name, label, None, "percent", status="unknown", note=empty_note)
    return Figure(name, label, value, "percent", status="ok" if value >= good else "bad", detail=detail)


def _week_responses(session: Session, today: date, *conds) -> int:
    start, end = week_bounds(today)
    return session.scalar(select(func.count(Response.id)).where(
        Response.received_at >= start, Response.received_at < end, Response.repeat_of_id.is_(None), *conds)) or 0


@figure("responses_this_week")
def responses_this_week(session: Session, today: date) -> Figure:
    """Responses since Monday, repeats counted once: is promotion bringing people in?"""
    n = _week_responses(session, today)
    return Figure("responses_this_week", _("Responses this week"), n, "int", status="ok" if n else "bad")


@figure("responses_known_source_share")
def responses_known_source_share(session: Session, today: date) -> Figure:
    """Share of this week's responses whose campaign is known: are responses counted precisely?"""
    total = _week_responses(session, today)
    known = _week_responses(session, today, Response.campaign_id.is_not(None))
    return _share_figure("responses_known_source_share", _("Responses with a known campaign"), known, total, 0.9,
                         _("No responses recorded this week."), known=known, total=total)


@figure("unknown_source_responses")
def unknown_source_responses(session: Session, today: date) -> Figure:
    """Responses this week nobody could trace to a campaign: the number to drive down."""
    n = _week_responses(session, today, Response.campaign_id.is_(None))
    return Figure("unknown_source_responses", _("Responses of unknown source this week"), n, "int",
                  status="ok" if n == 0 else "bad")


@figure("campaigns_analysed_share")
def campaigns_analysed_share(session: Session, today: date) -> Figure:
    """Finished campaigns whose results were analysed, out of all finished."""
    finished = session.scalar(select(func.count(Campaign.id)).where(Campaign.status == "finished")) or 0
    analysed = session.scalar(select(func.count(Campaign.id)).where(Campaign.status == "finished",
                                                                    Campaign.analysed_at.is_not(None))) or 0
    return _share_figure("campaigns_analysed_share", _("Finished campaigns analysed"), analysed, finished, 0.8,
                         _("No campaign has finished yet."), analysed=analysed, finished=finished)


@figure("responses_to_deals_ratio")
def responses_to_deals_ratio(session: Session, today: date) -> Figure:
    """Deals per response this year: how well Sales turns promotion into business."""
    start = datetime(today.year, 1, 1, tzinfo=timezone.utc)
    total = session.scalar(select(func.count(Response.id)).where(Response.received_at >= start,
                                                                 Response.repeat_of_id.is_(None))) or 0
    deals = session.scalar(select(func.count(Response.id)).where(Response.received_at >= start,
                                                                 Response.repeat_of_id.is_(None),
                                                                 Response.deal_id.is_not(None))) or 0
    return _share_figure("responses_to_deals_ratio", _("Deals per response this year"), deals, total, 0.1,
                         _("No responses recorded this year."), deals=deals, responses=total)


@figure("campaigns_running")
def campaigns_running(session: Session, today: date) -> Figure:
    """Campaigns running now: are there regular promotion actions?"""
    n = session.scalar(select(func.count(Campaign.id)).where(Campaign.status == "running")) or 0
    return Figure("campaigns_running", _("Campaigns running"), n, "int", status="ok" if n else "bad")


def _plan_budget(session: Session, year: int, through_month: int = 12) -> Decimal | None:
    plan_id = session.scalar(select(PromotionPlan.id).where(PromotionPlan.year == year))
    if plan_id is None:
        return None
    return session.scalar(select(func.coalesce(func.sum(PlanBudgetLine.amount), 0)).where(
        PlanBudgetLine.plan_id == plan_id, PlanBudgetLine.month <= through_month)) or Decimal(0)


@figure("promotion_plan_exists")
def promotion_plan_exists(session: Session, today: date) -> Figure:
    """1 when this year's promotion plan exists with a budget, else 0."""
    budget = _plan_budget(session, today.year)
    ok = bool(budget and budget > 0)
    return Figure("promotion_plan_exists", _("This year's promotion plan with a budget"), int(ok), "int",
                  status="ok" if ok else "bad", detail={"budget": float(budget or 0)})


@figure("plan_spend_share")
def plan_spend_share(session: Session, today: date) -> Figure:
    """Actual spend to date against the plan's budget to the end of this month."""
    planned = _plan_budget(session, today.year, today.month)
    if not planned:
        return Figure("plan_spend_share", _("Spend against plan to date"), None, "percent", status="unknown",
                      note=_("This year's plan has no budget to date."))
    spent = session.scalar(select(func.coalesce(func.sum(CampaignSpend.amount), 0)).where(
        CampaignSpend.spent_on >= date(today.year, 1, 1), CampaignSpend.spent_on <= today)) or Decimal(0)
    value = round(float(Decimal(spent) / planned), 3)
    return Figure("plan_spend_share", _("Spend against plan to date"), value, "percent",
                  status="ok" if 0.7 <= value <= 1.1 else "bad",
                  detail={"spent": float(spent), "planned": float(planned)})


@figure("clients_from_promotion_share")
def clients_from_promotion_share(session: Session, today: date) -> Figure:
    """Share of this year's won deals whose client came to us through a response to a known campaign."""
    start = date(today.year, 1, 1)
    won = select(Deal.company_id, Deal.closed_on).where(Deal.stage == "won", Deal.closed_on >= start).subquery()
    total = session.scalar(select(func.count()).select_from(won)) or 0
    from_promotion = session.scalar(select(func.count()).select_from(won).where(
        select(Response.id).where(Response.company_id == won.c.company_id,
                                  Response.campaign_id.is_not(None)).exists())) or 0
    return _share_figure("clients_from_promotion_share", _("Won deals with clients from promotion"), from_promotion,
                         total, 0.5, _("No deals won this year."), from_promotion=from_promotion, won=total)

