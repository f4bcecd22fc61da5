"""The home page: what is the person's to do today, their unit's week against the last, and their usual pages."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import func, select, true
from sqlalchemy.orm import Session

from app.i18n import N_
from app.models.activities import Activity
from app.models.base import utcnow
from app.models.companies import Company
from app.models.deals import OPEN_STAGES, Deal
from app.models.org import User
from app.services import permissions, weeks
from app.services.kept import kept


@dataclass
class ToDo:
    """One line of the person's day: a count, what it is, and where to handle it."""

    count: int
    label: str           # a msgid; the template translates it with the count
    endpoint: str
    args: dict = field(default_factory=dict)
    urgent: bool = False
    capped: bool = False   # counting stopped at TODO_CAP: there are at least this many


@dataclass
class WeekFigure:
    """One of the unit's figures this week next to the same figure last week."""

    label: str
    this_week: float
    last_week: float
    money: bool = False


# The pages each unit opens most, first to last (endpoint, msgid); everyone also has the search box.
USUAL_PAGES = {
    "sales": [("sales.plan", N_("My week")), ("crm.companies", N_("Companies")), ("sales.revenue_view", N_("Revenue")),
              ("sales.materials_list", N_("Materials"))],
    "promotion": [("promotion.responses", N_("Responses")), ("promotion.index", N_("Campaigns")),
                  ("promotion.plan_current", N_("Year plan")), ("promotion.analysis", N_("Analysis"))],
    "publications": [("promotion.index", N_("Campaigns")), ("sales.materials_list", N_("Materials")),
                     ("key_accounts.inbox", N_("Department inbox"))],
    "crm": [("data_quality.verify_queue", N_("To verify")), ("data_quality.queue", N_("Duplicate companies")),
            ("data_quality.import_start", N_("Import")), ("crm.companies", N_("Companies"))],
    "accounts": [("key_accounts.home", N_("My accounts")), ("key_accounts.requests_list", N_("Requests I carry")),
                 ("key_accounts.new_request", N_("New request"))],
    "distribution": [("workflows.division_signs", N_("Division signs")), ("workflows.overview", N_("Overview")),
                     ("admin.users", N_("Users")), ("backups.index", N_("Backups"))],
}
DEPARTMENT_PAGES = [("key_accounts.inbox", N_("Department inbox")), ("workflows.my_tasks", N_("My tasks")),
                    ("crm.companies", N_("Companies"))]


TODO_CAP = 1000


def summary(session: Session, user) -> dict:
    """The size of the base (kept KEPT_FIGURES_SECONDS) and the user's own open work."""
    return {
        "companies": kept(session, "KEPT_FIGURES_SECONDS", ("companies",), lambda: session.scalar(
            select(func.count(Company.id)).where(Company.deleted_at.is_(None)))),
        # count(*), not count(id): ix_deals_owner_stage answers it alone (an index-only scan, 10x faster for a
        # person with thousands of open deals)
        "my_open_deals": session.scalar(select(func.count()).select_from(Deal).where(Deal.stage.in_(OPEN_STAGES),
                                                                                    Deal.owner_id == user.id)),
        "my_recent_activities": list(session.scalars(
            select(Activity).where(Activity.author_id == user.id).order_by(Activity.occurred_at.desc()).limit(10))),
    }


def todo(session: Session, user, today: date) -> list[ToDo]:
    """What waits for this person today, each with its page; empty lines are left out."""
    from app.models.client_requests import ClientRequest
    from app.models.responses import Response
    from app.models.week_plans import PlanTask, WeekPlan
    from app.services import boards, client_requests, duplicates, verification

    items: list[ToDo] = []
    overdue, due, other = boards.my_card_counts(session, user.id, today)
    items.append(ToDo(overdue, N_("Overdue cards"), "workflows.my_tasks", urgent=True))
    items.append(ToDo(due, N_("Cards due today"), "workflows.my_tasks"))
    items.append(ToDo(other, N_("Other open cards"), "workflows.my_tasks"))
    week = weeks.monday(today)
    items.append(ToDo(session.scalar(select(func.count(PlanTask.id)).join(WeekPlan, WeekPlan.id == PlanTask.plan_id)
                                     .where(WeekPlan.seller_id == user.id, WeekPlan.week_start == week,
                                            PlanTask.done.is_(False))) or 0,
                      N_("Plan tasks still to do this week"), "sales.plan"))
    if user.role in ("head", "admin") and user.unit.code == "sales":
        items.append(ToDo(session.scalar(select(func.count(WeekPlan.id)).where(
            WeekPlan.week_start == week, WeekPlan.status == "submitted")) or 0,
            N_("Week plans waiting for approval"), "sales.team"))
    inbox = client_requests.inbox_counts(session, user.unit_id, today)
    items.append(ToDo(inbox["overdue"], N_("Client requests to the department past their date"),
                      "key_accounts.inbox", urgent=True))
    items.append(ToDo(inbox["waiting"] - inbox["overdue"], N_("Client requests waiting for the department"),
                      "key_accounts.inbox"))
    items.append(ToDo(session.scalar(select(func.count(ClientRequest.id)).where(
        ClientRequest.account_manager_id == user.id, ClientRequest.status == "answered")) or 0,
        N_("Answers to pass on to your clients"), "key_accounts.requests_list"))
    if permissions.can_manage_promotion(user):
        items.append(ToDo(session.scalar(select(func.count(Response.id)).where(
            Response.status == "new", (Response.handled_by_id == user.id) | Response.handled_by_id.is_(None))) or 0,
            N_("Responses to handle"), "promotion.responses"))
    if permissions.can_manage_data(user):
        stale = verification.count_stale(session, today, cap=TODO_CAP)
        items.append(ToDo(stale, N_("Contact points to verify"), "data_quality.verify_queue",
                          capped=stale >= TODO_CAP))
        items.append(ToDo(duplicates.count_open_groups(session), N_("Groups of possible duplicates"),
                          "data_quality.queue"))
    return [item for item in items if item.count > 0]


def _week_span(week_start: date) -> tuple[datetime, datetime]:
    start = datetime.combine(week_start, time(), tzinfo=timezone.utc)
    return start, start + timedelta(days=7)


def unit_week(session: Session, user, today: date) -> list[WeekFigure]:
    """The unit's work this week so far against the whole of last week (kept KEPT_FIGURES_SECONDS per unit)."""
    division = permissions.is_admin(user)   # an admin's unit is the whole division
    return kept(session, "KEPT_FIGURES_SECONDS", ("week", "division" if division else user.unit_id, today),
                lambda: _count_unit_week(session, user, today, division))


def _count_unit_week(session: Session, user, today: date, division: bool) -> list[WeekFigure]:
    from app.models.client_requests import RequestRoute
    from app.models.responses import Response

    people = select(User.id).where(User.unit_id == user.unit_id).scalar_subquery()
    this, last = weeks.monday(today), weeks.monday(today) - weeks.WEEK

    def by_people(column):
        """Work by the unit's people; the division's is work by anyone (a person wrote it, not an import)."""
        return column.is_not(None) if division else column.in_(people)

    def both(fn) -> tuple[float, float]:
        return fn(*_week_span(this)), fn(*_week_span(last))

    def activities(a, b):
        return session.scalar(select(func.count(Activity.id)).where(
            by_people(Activity.author_id), Activity.occurred_at >= a, Activity.occurred_at < b)) or 0

    def won(a, b):
        return session.scalar(select(func.coalesce(func.sum(Deal.amount), 0)).where(
            by_people(Deal.owner_id), Deal.stage == "won", Deal.closed_on >= a.date(), Deal.closed_on < b.date())) or 0

    def answered(a, b):
        return session.scalar(select(func.count(RequestRoute.id)).where(
            RequestRoute.answered_at >= a, RequestRoute.answered_at < b,
            true() if division else RequestRoute.unit_id == user.unit_id)) or 0

    figures = [WeekFigure(N_("Activities logged"), *both(activities)),
               WeekFigure(N_("Won deals, amount"), *both(won), money=True),
               WeekFigure(N_("Client requests answered"), *both(answered))]
    if division or user.unit.code == "promotion":
        def received(a, b):
            return session.scalar(select(func.count(Response.id)).where(
                Response.received_at >= a, Response.received_at < b)) or 0
        figures.insert(0, WeekFigure(N_("Responses received"), *both(received)))
    return figures


def signs_brief(session: Session, user, today: date) -> dict | None:
    """For an admin: how many of the division's signs are red, green and unknown, and the red ones' titles.
    Each sign counts over the whole base (hundreds of milliseconds at 200,000 clients), so a process keeps
    the brief for SIGNS_BRIEF_SECONDS (config; the signs page itself is always fresh) and says as of when."""
    if not permissions.is_admin(user):
        return None
    from app.services import signs
    from app.services import workflow_definitions as registry

    def count() -> dict:
        states = signs.division_signs(session, registry.registry().signs, today)
        return {"red": [s for s in states if s.state == "red"],
                "green": sum(1 for s in states if s.state == "green"),
                "unknown": sum(1 for s in states if s.state not in ("red", "green")),
                "as_of": utcnow()}

    return kept(session, "SIGNS_BRIEF_SECONDS", ("signs", today), count)


def usual_pages(user) -> list[tuple[str, str]]:
    """The pages this person's unit opens most, those their role may open."""
    pages = USUAL_PAGES.get(user.unit.code, DEPARTMENT_PAGES)
    if not permissions.is_admin(user):
        pages = [p for p in pages if not p[0].startswith(("admin.", "backups."))]
    return pages
