"""Dept 6's weekly plans: drafting from suggestions, doing tasks by logging activities, the week-end review."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import case, exists, func, or_, select
from sqlalchemy.orm import Session

from app.i18n import N_, label
from app.i18n import tr as _
from app.models.activities import Activity
from app.models.base import utcnow
from app.models.companies import Company
from app.models.deals import OPEN_STAGES, Deal
from app.models.org import User
from app.models.week_plans import TASK_ACTIONS, PlanTask, WeekPlan
from app.services import org
from app.services.errors import RuleError
from app.services.permissions import can_manage_unit, is_admin
from app.services.weeks import WEEK, monday, week_bounds

# The activity a task is done by: one click in the plan logs it.
ACTION_ACTIVITY = {"call": "call", "meeting": "meeting", "proposal": "email", "send_material": "email",
                   "follow_up": "call"}
STALE_DEAL_DAYS = 7
SUGGESTION_LIMIT = 15


class PlanError(RuleError):
    """A plan change is refused; `field` names where the message belongs."""








def sellers(session: Session, unit_code: str = "sales") -> list[User]:
    """The people whose weeks are planned: everyone in the sales unit."""
    return org.active_people(session, unit_code)


def is_sellers_head(user, seller) -> bool:
    """Admins, and the head of the seller's unit."""
    return is_admin(user) or (user.role == "head" and can_manage_unit(user, seller.unit_id))


def can_plan_for(user, seller) -> bool:
    """The seller shapes their own plan; their head and admins may too."""
    return seller.id == user.id or is_sellers_head(user, seller)


def can_edit_plan(user, plan: WeekPlan) -> bool:
    return can_plan_for(user, plan.seller)


def can_review(user, plan: WeekPlan) -> bool:
    """Approving a plan is the head's call."""
    return is_sellers_head(user, plan.seller)


def get_plan(session: Session, seller_id: int, week_start: date, create: bool = False) -> WeekPlan | None:
    plan = session.scalar(select(WeekPlan).where(WeekPlan.seller_id == seller_id, WeekPlan.week_start == week_start))
    if plan is None and create:
        plan = WeekPlan(seller_id=seller_id, week_start=week_start, status="draft")
        session.add(plan)
        session.flush()
    return plan


def _seller_companies(seller_id: int):
    """The seller's clients: those they manage and those they have deals with."""
    return or_(Company.account_manager_id == seller_id,
               exists().where(Deal.company_id == Company.id, Deal.owner_id == seller_id))


def open_deals(session: Session, seller_id: int, limit: int = 300) -> list[Deal]:
    """The seller's open deals, offered when a task is typed in by hand."""
    return list(session.scalars(select(Deal).where(Deal.owner_id == seller_id, Deal.stage.in_(OPEN_STAGES))
                                .order_by(Deal.title).limit(limit)))


def seller_clients(session: Session, seller_id: int, limit: int = 300) -> list[Company]:
    """The clients offered when a task is typed in by hand."""
    return list(session.scalars(select(Company).where(Company.deleted_at.is_(None), _seller_companies(seller_id))
                                .order_by(Company.name_sort).limit(limit)))


def suggestions(session: Session, seller_id: int, week_start: date, days_without_contact: int = 14) -> list[dict]:
    """What the week could hold: stalled deals, silent clients, last week's undone tasks and successes."""
    plan = get_plan(session, seller_id, week_start)
    planned_companies = {t.company_id for t in plan.tasks} if plan else set()
    planned_deals = {t.deal_id for t in plan.tasks if t.deal_id} if plan else set()
    planned_sources = {t.source for t in plan.tasks} if plan else set()
    week_begin, _end = week_bounds(week_start)
    out: list[dict] = []

    recent = week_begin - timedelta(days=STALE_DEAL_DAYS)
    stale = session.scalars(
        select(Deal).where(Deal.owner_id == seller_id, Deal.stage.in_(OPEN_STAGES),
                           ~exists().where(Activity.deal_id == Deal.id, Activity.occurred_at >= recent))
        .order_by(Deal.amount.desc(), Deal.id).limit(SUGGESTION_LIMIT))
    for deal in stale:
        if deal.id not in planned_deals:
            out.append({"key": f"deal:{deal.id}", "source": "deal", "company": deal.company, "deal": deal,
                        "contact_id": deal.contact_id, "action": "call",
                        "expected_result": _("Agree the next step on %(deal)s", deal=deal.title),
                        "reason": _("Open deal with no step in the last %(n)s days", n=STALE_DEAL_DAYS)})

    last_contact = (select(Activity.company_id, func.max(Activity.occurred_at).label("at"))
                    .group_by(Activity.company_id).subquery())
    cutoff = week_begin - timedelta(days=days_without_contact)
    silent = session.execute(
        select(Company, last_contact.c.at).outerjoin(last_contact, last_contact.c.company_id == Company.id)
        .where(Company.deleted_at.is_(None), _seller_companies(seller_id),
               or_(last_contact.c.at.is_(None), last_contact.c.at < cutoff))
        .order_by(last_contact.c.at.asc().nulls_first(), Company.id).limit(SUGGESTION_LIMIT)).all()
    for company, at in silent:
        if company.id not in planned_companies:
            out.append({"key": f"client:{company.id}", "source": "client", "company": company, "deal": None,
                        "contact_id": None, "action": "call", "expected_result": _("Renew contact, learn their plans"),
                        "reason": _("No contact for %(n)s days or more", n=days_without_contact) if at
                        else _("Never contacted")})

    last = get_plan(session, seller_id, week_start - WEEK)
    for task in (last.tasks if last else []):
        if not task.done and f"undone:{task.id}" not in planned_sources:
            out.append({"key": f"undone:{task.id}", "source": "undone", "company": task.company, "deal": task.deal,
                        "contact_id": task.contact_id, "action": task.action,
                        "expected_result": task.expected_result, "reason": _("Not done last week")})
        elif task.successful and f"success:{task.id}" not in planned_sources:
            out.append({"key": f"success:{task.id}", "source": "success", "company": task.company,
                        "deal": task.deal, "contact_id": task.contact_id, "action": "follow_up",
                        "expected_result": _("Follow up: %(outcome)s", outcome=task.outcome or task.expected_result),
                        "reason": _("Succeeded last week")})
    return out


def add_suggested(session: Session, user, seller_id: int, week_start: date, keys: list[str],
                  days_without_contact: int = 14) -> WeekPlan:
    """Draft the plan from the chosen suggestions (recomputed here, so only real ones are added)."""
    plan = get_plan(session, seller_id, week_start, create=True)
    if not can_edit_plan(user, plan):
        raise PermissionError
    chosen = set(keys)
    for s in suggestions(session, seller_id, week_start, days_without_contact):
        if s["key"] in chosen:
            session.add(PlanTask(plan=plan, company_id=s["company"].id, contact_id=s["contact_id"],
                                 deal_id=s["deal"].id if s["deal"] else None, action=s["action"],
                                 expected_result=s["expected_result"][:500],
                                 source=s["key"] if s["source"] in ("undone", "success") else s["source"]))
    return plan


def add_task(session: Session, user, plan: WeekPlan, company_id: int | None, action: str, expected_result: str,
             deal_id: int | None = None, contact_id: int | None = None) -> PlanTask:
    """A task typed in by hand: a client, an action and the result it should bring."""
    if not can_edit_plan(user, plan):
        raise PermissionError
    deal = session.get(Deal, deal_id) if deal_id else None
    if deal is not None and not company_id:
        company_id = deal.company_id
    company = session.get(Company, company_id) if company_id else None
    if company is None or company.deleted_at is not None:
        raise PlanError(_("Choose the client."), "company_id")
    if action not in TASK_ACTIONS:
        raise PlanError(_("Choose an action."), "action")
    if not (expected_result or "").strip():
        raise PlanError(_("Say what result you expect."), "expected_result")
    if deal is not None and deal.company_id != company.id:
        raise PlanError(_("This deal belongs to another client."), "deal_id")
    task = PlanTask(plan=plan, company_id=company.id, action=action, expected_result=expected_result.strip()[:500],
                    deal_id=deal.id if deal else None, contact_id=contact_id or (deal.contact_id if deal else None))
    session.add(task)
    return task


def set_status(session: Session, user, plan: WeekPlan, status: str) -> WeekPlan:
    """The seller submits; the head approves (or sends back to draft)."""
    if status == "submitted" and can_edit_plan(user, plan):
        plan.status = "submitted"
    elif status in ("approved", "draft") and can_review(user, plan):
        plan.status = status
        plan.approved_by_id = user.id if status == "approved" else None
        plan.approved_at = utcnow() if status == "approved" else None
    else:
        raise PermissionError
    return plan


def log_task_activity(session: Session, author_id: int, task: PlanTask, outcome: str | None = None) -> Activity:
    """Write the activity a task called for into the client's history, by the CRM's own rule."""
    from app.services.activities import log_activity

    return log_activity(session, author_id=author_id, company_id=task.company_id, kind=ACTION_ACTIVITY[task.action],
                        occurred_at=utcnow(), contact_id=task.contact_id, deal_id=task.deal_id,
                        subject=f"{action_label(task.action)}: {task.expected_result}"[:300], outcome=outcome)


def complete_task(session: Session, user, task: PlanTask, outcome: str | None = None) -> PlanTask:
    """One click: log the call, meeting or email the task called for, and mark the task done."""
    if not can_edit_plan(user, task.plan):
        raise PermissionError
    if not task.done:
        activity = log_task_activity(session, user.id, task, outcome)
        session.flush()
        task.activity_id = activity.id
        task.done = True
        if outcome:
            task.outcome = outcome
    return task


def review(session: Session, user, plan: WeekPlan, updates: dict[int, dict], worked: str, not_worked: str) -> WeekPlan:
    """The week-end review: each task done or not, successful or not, its outcome; what worked and what did not."""
    if not can_edit_plan(user, plan):
        raise PermissionError
    for task in plan.tasks:
        u = updates.get(task.id)
        if u is None:
            continue
        task.done = bool(u.get("done")) or task.activity_id is not None
        task.successful = {"yes": True, "no": False}.get(u.get("successful") or "")
        task.outcome = (u.get("outcome") or "").strip() or None
    plan.worked = (worked or "").strip() or None
    plan.not_worked = (not_worked or "").strip() or None
    plan.reviewed_at = utcnow()
    return plan


def actual(session: Session, seller_ids: list[int], week_start: date) -> dict[int, dict]:
    """What really happened in the week per seller: meetings held, deals won and their revenue."""
    begin, end = week_bounds(week_start)
    meetings = dict(session.execute(
        select(Activity.author_id, func.count(Activity.id))
        .where(Activity.author_id.in_(seller_ids), Activity.kind == "meeting",
               Activity.occurred_at >= begin, Activity.occurred_at < end).group_by(Activity.author_id)).all())
    won = {uid: (n, rev) for uid, n, rev in session.execute(
        select(Deal.owner_id, func.count(Deal.id), func.coalesce(func.sum(Deal.amount), 0))
        .where(Deal.owner_id.in_(seller_ids), Deal.stage == "won", Deal.closed_on >= week_start,
               Deal.closed_on < week_start + WEEK).group_by(Deal.owner_id)).all()}
    return {uid: {"meetings": meetings.get(uid, 0), "deals_won": won.get(uid, (0, 0))[0],
                  "revenue": Decimal(won.get(uid, (0, 0))[1] or 0)} for uid in seller_ids}


def plan_vs_actual(session: Session, seller_list: list[User], week_start: date) -> dict:
    """Per seller and for the team: tasks planned and done, meetings, proposals, deals won, revenue."""
    plans = {p.seller_id: p for p in session.scalars(
        select(WeekPlan).where(WeekPlan.week_start == week_start,
                               WeekPlan.seller_id.in_([s.id for s in seller_list])))}
    facts = actual(session, [s.id for s in seller_list], week_start)
    rows = []
    for s in seller_list:
        plan = plans.get(s.id)
        tasks = plan.tasks if plan else []
        row = {"seller": s, "plan": plan, "tasks": len(tasks), "done": sum(t.done for t in tasks),
               "successful": sum(bool(t.successful) for t in tasks),
               "meetings_planned": sum(t.action == "meeting" for t in tasks),
               "proposals_planned": sum(t.action == "proposal" for t in tasks),
               "proposals_sent": sum(t.action == "proposal" and t.done for t in tasks), **facts[s.id]}
        row["realism"] = row["done"] / row["tasks"] if row["tasks"] else None
        rows.append(row)
    keys = ("tasks", "done", "successful", "meetings_planned", "meetings", "proposals_planned", "proposals_sent",
            "deals_won", "revenue")
    team = {k: sum((r[k] for r in rows), Decimal(0) if k == "revenue" else 0) for k in keys}
    team["realism"] = team["done"] / team["tasks"] if team["tasks"] else None
    return {"rows": rows, "team": team, "week_start": week_start}


def history(session: Session, seller_ids: list[int], until: date, weeks: int = 8) -> list[dict]:
    """Week by week: plan realism (share of planned tasks done) and results, oldest first, with the trend."""
    first = monday(until) - timedelta(days=7 * (weeks - 1))
    counts = {ws: (n, d) for ws, n, d in session.execute(
        select(WeekPlan.week_start, func.count(PlanTask.id),
               func.coalesce(func.sum(case((PlanTask.done.is_(True), 1), else_=0)), 0))
        .join(PlanTask, PlanTask.plan_id == WeekPlan.id)
        .where(WeekPlan.seller_id.in_(seller_ids), WeekPlan.week_start >= first)
        .group_by(WeekPlan.week_start)).all()}
    out = []
    for i in range(weeks):
        ws = first + timedelta(days=7 * i)
        n, d = counts.get(ws, (0, 0))
        facts = actual(session, seller_ids, ws)
        won = sum(f["deals_won"] for f in facts.values())
        revenue = sum((f["revenue"] for f in facts.values()), Decimal(0))
        realism = int(d) / n if n else None
        prev = out[-1]["realism"] if out else None
        out.append({"week_start": ws, "tasks": n, "done": int(d), "realism": realism, "deals_won": won,
                    "revenue": revenue,
                    "trend": None if realism is None or prev is None else ("up" if realism > prev else
                                                                           "down" if realism < prev else "flat")})
    return out


def last_review(session: Session, seller_id: int, week_start: date) -> WeekPlan | None:
    """Last week's written review, shown while drafting so it feeds the next plan."""
    return get_plan(session, seller_id, week_start - WEEK)


ACTION_WORDS = {"call": N_("Call"), "meeting": N_("Meeting"), "proposal": N_("Proposal"),
              "send_material": N_("Send material"), "follow_up": N_("Follow-up")}


def action_label(action: str) -> str:
    return label(ACTION_WORDS, action)
