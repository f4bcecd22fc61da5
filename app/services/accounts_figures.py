"""How fast client requests are answered and closed, per account manager, department and client.

Percentiles are nearest-rank, computed with ROW_NUMBER()/COUNT() window functions over durations stored in
seconds when each event happened, so the same SQL runs on SQLite and PostgreSQL and only a few rows per
group come back.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from flask_babel import gettext as _
from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from app.models.accounts import ROUTE_WAITING, ClientRequest, RequestRoute
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

    @property
    def on_time_share(self) -> float | None:
        return self.closed_on_time / self.closed_with_date if self.closed_with_date else None

    @property
    def keeps_waiting(self) -> bool:
        """Flagged: requests past their date still open, or too few closed by the agreed date."""
        share = self.on_time_share
        return self.overdue_open > 0 or (share is not None and share < ON_TIME_TARGET)


def _start(since: date | None) -> datetime | None:
    return datetime.combine(since, time.min, tzinfo=timezone.utc) if since else None


def _nearest_rank(n, pct: int):
    """ceil(pct% of n) in integer arithmetic, the same on both engines."""
    return (n * pct + 99).self_group().op("/")(100)


def _percentiles(session: Session, group, answer, close, select_from, where) -> dict[int, dict[str, int]]:
    """Median and 90th percentile of both durations per group, in one pass of window functions."""
    ranked = (select(group.label("g"), answer.label("a"), close.label("c"),
                     func.row_number().over(partition_by=group, order_by=answer.asc().nulls_last()).label("ra"),
                     func.count(answer).over(partition_by=group).label("na"),
                     func.row_number().over(partition_by=group, order_by=close.asc().nulls_last()).label("rc"),
                     func.count(close).over(partition_by=group).label("nc"))
              .select_from(select_from).where(*where).subquery())
    r = ranked.c
    stmt = select(r.g, r.a, r.c, r.ra, r.na, r.rc, r.nc).where(or_(
        and_(r.na > 0, or_(r.ra == _nearest_rank(r.na, 50), r.ra == _nearest_rank(r.na, 90))),
        and_(r.nc > 0, or_(r.rc == _nearest_rank(r.nc, 50), r.rc == _nearest_rank(r.nc, 90)))))
    out: dict[int, dict[str, int]] = {}
    for g, a, c, ra, na, rc, nc in session.execute(stmt):
        slot = out.setdefault(g, {})
        if na and ra == (na * 50 + 99) // 100:
            slot["p50_answer"] = a
        if na and ra == (na * 90 + 99) // 100:
            slot["p90_answer"] = a
        if nc and rc == (nc * 50 + 99) // 100:
            slot["p50_close"] = c
        if nc and rc == (nc * 90 + 99) // 100:
            slot["p90_close"] = c
    return out


def _aggregates(session: Session, group, select_from, where, today: date):
    due_known_closed = and_(ClientRequest.status == "closed", ClientRequest.due_on.is_not(None))
    return session.execute(
        select(group, func.count(),
               func.sum(case((due_known_closed, 1), else_=0)),
               func.sum(case((and_(due_known_closed, ClientRequest.closed_on_time.is_(True)), 1), else_=0)),
               func.sum(ClientRequest.reopened_count),
               func.sum(case((and_(ClientRequest.status != "closed", ClientRequest.due_on < today), 1), else_=0)))
        .select_from(select_from).where(*where).group_by(group))


def _groups(session: Session, group, answer, select_from, where, today: date) -> dict[int, GroupFigures]:
    rows: dict[int, GroupFigures] = {}
    for key, n, with_date, on_time, reopened, overdue in _aggregates(session, group, select_from, where, today):
        if key is None:
            continue
        rows[key] = GroupFigures(key=key, requests=n, closed_with_date=with_date or 0, closed_on_time=on_time or 0,
                                 reopened=reopened or 0, overdue_open=overdue or 0)
    for key, values in _percentiles(session, group, answer, ClientRequest.close_secs, select_from, where).items():
        if key in rows:
            for name, value in values.items():
                setattr(rows[key], name, value)
    return rows


def request_figures(session: Session, today: date, since: date | None = None,
                    top_clients: int = 30) -> dict[str, list[GroupFigures]]:
    """The figures page: per manager, per department (slowest first) and the busiest clients."""
    start = _start(since)
    where = [ClientRequest.asked_at >= start] if start else []
    managers = _groups(session, ClientRequest.account_manager_id, ClientRequest.first_answer_secs,
                       ClientRequest.__table__, where, today)
    clients = _groups(session, ClientRequest.company_id, ClientRequest.first_answer_secs,
                      ClientRequest.__table__, where, today)
    routed = RequestRoute.__table__.join(ClientRequest.__table__, ClientRequest.id == RequestRoute.request_id)
    departments = _groups(session, RequestRoute.unit_id, RequestRoute.first_answer_secs, routed, where, today)
    for unit_id, n in session.execute(select(RequestRoute.unit_id, func.count()).select_from(routed)
                                      .where(RequestRoute.status.in_(ROUTE_WAITING), *where)
                                      .group_by(RequestRoute.unit_id)):
        if unit_id in departments:
            departments[unit_id].waiting = n
    for uid, name in session.execute(select(User.id, User.name).where(User.id.in_(list(managers)))):
        managers[uid].label = name
    for unit in session.scalars(select(Unit).where(Unit.id.in_(list(departments)))):
        departments[unit.id].label = unit.name_ru if _locale() == "ru" else unit.name_en
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


def _locale() -> str:
    from flask_babel import get_locale

    return str(get_locale() or "ru")


def _has_requests(session: Session) -> bool:
    return session.scalar(select(literal(1)).select_from(ClientRequest).limit(1)) is not None


@figure("requests_overdue")
def requests_overdue(session: Session, today: date) -> Figure:
    """Client requests still open after the date agreed with the client."""
    if not _has_requests(session):
        return Figure("requests_overdue", _("Client requests past their agreed date"), None, "int",
                      status="unknown", note=_("No client requests have been registered yet."))
    n = session.scalar(select(func.count(ClientRequest.id))
                       .where(ClientRequest.status != "closed", ClientRequest.due_on < today))
    return Figure("requests_overdue", _("Client requests past their agreed date"), n, "int",
                  status="bad" if n else "ok")


@figure("requests_closed_on_time_share")
def requests_closed_on_time_share(session: Session, today: date) -> Figure:
    """Of the requests closed in the last 90 days with an agreed date, the percentage closed by that date."""
    start = _start(today - timedelta(days=CLOSED_WINDOW_DAYS))
    closed, on_time = session.execute(
        select(func.count(), func.sum(case((ClientRequest.closed_on_time.is_(True), 1), else_=0)))
        .where(ClientRequest.status == "closed", ClientRequest.due_on.is_not(None),
               ClientRequest.closed_at >= start)).one()
    label = _("Client requests closed by the agreed date")
    if not closed:
        return Figure("requests_closed_on_time_share", label, None, "percent", status="unknown",
                      note=_("No request with an agreed date was closed in the last 90 days."))
    share = round(100.0 * (on_time or 0) / closed, 1)
    return Figure("requests_closed_on_time_share", label, share, "percent",
                  status="ok" if share >= ON_TIME_TARGET * 100 else "bad",
                  note=_("%(on_time)s of %(closed)s closed in the last 90 days", on_time=on_time or 0, closed=closed),
                  detail={"closed": closed, "on_time": on_time or 0})
