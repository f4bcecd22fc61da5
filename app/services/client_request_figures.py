"""How fast client requests are answered and closed, per account manager, department and client.

Durations are stored in seconds when each event happens. The figures read them in one pass per source
over a covering index (only numbers and flags, no date arithmetic in SQL) and take nearest-rank
percentiles from the sorted values, so the same code runs on SQLite and PostgreSQL.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.orm import Session

from app.i18n import reader_locale
from app.i18n import tr as _
from app.models.client_requests import OPEN_STATUSES, ROUTE_WAITING, ClientRequest, RequestRoute
from app.models.companies import Company
from app.models.org import Unit, User
from app.services.figures import Figure, figure

ON_TIME_TARGET = 0.8   # below this share closed by the agreed date, a department or manager is flagged
CLOSED_WINDOW_DAYS = 90


@dataclass
class GroupFigures:
    """Request figures for one account manager, department or client."""

    key: int
    label: str = ""
    requests: int = 0
    p50_answer: int | None = None     # seconds
    p90_answer: int | None = None
    p50_close: int | None = None
    p90_close: int | None = None
    closed_with_date: int = 0
    closed_on_time: int = 0
    reopened: int = 0
    overdue_open: int = 0
    waiting: int = 0
    answers: list[int] = field(default_factory=list, repr=False)
    closes: list[int] = field(default_factory=list, repr=False)

    @property
    def on_time_share(self) -> float | None:
        return self.closed_on_time / self.closed_with_date if self.closed_with_date else None

    @property
    def keeps_waiting(self) -> bool:
        """Flagged: requests past their date still open, or too few closed by the agreed date."""
        share = self.on_time_share
        return self.overdue_open > 0 or (share is not None and share < ON_TIME_TARGET)

    def add(self, with_date, on_time, reopened, overdue, answer_secs, close_secs) -> None:
        self.requests += 1
        self.closed_with_date += with_date
        self.closed_on_time += on_time
        self.reopened += reopened or 0
        self.overdue_open += overdue
        if answer_secs is not None:
            self.answers.append(answer_secs)
        if close_secs is not None:
            self.closes.append(close_secs)

    def finish(self) -> GroupFigures:
        self.p50_answer, self.p90_answer = nearest_rank(self.answers, 50), nearest_rank(self.answers, 90)
        self.p50_close, self.p90_close = nearest_rank(self.closes, 50), nearest_rank(self.closes, 90)
        self.answers, self.closes = [], []
        return self


def nearest_rank(values: list[int], pct: int) -> int | None:
    """The value at rank ceil(pct% of n) in sorted order; None when there are no values."""
    if not values:
        return None
    values.sort()
    return values[max(0, -(-len(values) * pct // 100) - 1)]


def _start(since: date | None) -> datetime | None:
    return datetime.combine(since, time.min, tzinfo=timezone.utc) if since else None


def _flags(today: date):
    """Per-request 0/1 flags computed by the database, so no dates cross into Python."""
    c = ClientRequest.__table__.c
    closed_with_date = and_(c.status == "closed", c.due_on.is_not(None))
    return (case((closed_with_date, 1), else_=0),
            case((and_(closed_with_date, c.closed_on_time.is_(True)), 1), else_=0),
            c.reopened_count,
            case((and_(c.status != "closed", c.due_on < today), 1), else_=0))


def request_figures(session: Session, today: date, since: date | None = None,
                    top_clients: int = 30) -> dict[str, list[GroupFigures]]:
    """The figures page: per manager, per department (those keeping clients waiting first), busiest clients."""
    start = _start(since)
    period = [ClientRequest.__table__.c.asked_at >= start] if start else []
    managers: dict[int, GroupFigures] = {}
    clients: dict[int, GroupFigures] = {}
    departments: dict[int, GroupFigures] = {}
    by_request: dict[int, tuple] = {}
    # Plain table columns run as Core: tens of thousands of rows without the ORM's per-row work.
    req, share = ClientRequest.__table__.c, RequestRoute.__table__.c
    connection = session.connection()
    rows = connection.execute(select(req.id, req.account_manager_id, req.company_id, *_flags(today),
                                     req.first_answer_secs, req.close_secs).where(*period)).all()
    for request_id, manager_id, company_id, *values in rows:
        by_request[request_id] = values
        if manager_id is not None:
            (managers.get(manager_id) or managers.setdefault(manager_id, GroupFigures(manager_id))).add(*values)
        (clients.get(company_id) or clients.setdefault(company_id, GroupFigures(company_id))).add(*values)
    # A department's share is sent after the client asked, so every share of a request in the period is
    # among those sent since its start; reading the shares on their own avoids a join per row.
    shares = select(share.request_id, share.unit_id, share.status, share.first_answer_secs)
    if start:
        shares = shares.where(share.sent_at >= start)
    for request_id, unit_id, status, answer_secs in connection.execute(shares).all():
        values = by_request.get(request_id)
        if values is None:
            continue
        group = departments.get(unit_id) or departments.setdefault(unit_id, GroupFigures(unit_id))
        with_date, on_time, reopened, overdue, _answer, close_secs = values
        group.add(with_date, on_time, reopened, overdue, answer_secs, close_secs)
        group.waiting += status in ROUTE_WAITING
    for group in (*managers.values(), *clients.values(), *departments.values()):
        group.finish()
    for uid, name in session.execute(select(User.id, User.name).where(User.id.in_(list(managers)))):
        managers[uid].label = name
    for unit in session.scalars(select(Unit).where(Unit.id.in_(list(departments)))):
        departments[unit.id].label = unit.name_ru if reader_locale() == "ru" else unit.name_en
    busiest = sorted(clients.values(), key=lambda g: (-g.requests, g.key))[:top_clients]
    for cid, legal_form, legal_name in session.execute(
            select(Company.id, Company.legal_form, Company.legal_name).where(Company.id.in_([g.key for g in busiest]))):
        clients[cid].label = f"{legal_form} {legal_name}" if legal_form else legal_name
    return {
        "managers": sorted(managers.values(), key=lambda g: g.label),
        "departments": sorted(departments.values(),
                              key=lambda g: (not g.keeps_waiting, -g.overdue_open, -(g.p90_answer or 0))),
        "clients": busiest,
    }




def _has_requests(session: Session) -> bool:
    return session.scalar(select(literal(1)).select_from(ClientRequest).limit(1)) is not None


@figure("requests_overdue")
def requests_overdue(session: Session, today: date) -> Figure:
    """Client requests still open after the date agreed with the client."""
    if not _has_requests(session):
        return Figure("requests_overdue", _("Client requests past their agreed date"), None, "int",
                      status="unknown", note=_("No client requests have been registered yet."))
    n = session.scalar(select(func.count(ClientRequest.id))
                       .where(ClientRequest.status.in_(OPEN_STATUSES), ClientRequest.due_on < today))
    return Figure("requests_overdue", _("Client requests past their agreed date"), n, "int",
                  status="bad" if n else "ok")


@figure("requests_closed_on_time_share")
def requests_closed_on_time_share(session: Session, today: date) -> Figure:
    """Of the requests closed in the last 90 days with an agreed date, the share (0..1) closed by that date."""
    start = _start(today - timedelta(days=CLOSED_WINDOW_DAYS))
    closed, on_time = session.execute(
        select(func.count(), func.sum(case((ClientRequest.closed_on_time.is_(True), 1), else_=0)))
        .where(ClientRequest.closed_at >= start, ClientRequest.due_on.is_not(None))).one()
    label = _("Client requests closed by the agreed date")
    if not closed:
        return Figure("requests_closed_on_time_share", label, None, "percent", status="unknown",
                      note=_("No request with an agreed date was closed in the last 90 days."))
    share = (on_time or 0) / closed
    return Figure("requests_closed_on_time_share", label, share, "percent",
                  status="ok" if share >= ON_TIME_TARGET else "bad",
                  note=_("%(on_time)s of %(closed)s closed in the last 90 days", on_time=on_time or 0, closed=closed),
                  detail={"closed": closed, "on_time": on_time or 0})
