"""Client requests: what a key account asks, routed to departments, answered, relayed and closed."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import bindparam, case, func, or_, select
from sqlalchemy.orm import Session, selectinload
from werkzeug.utils import secure_filename

from app.i18n import lazy_gettext as _l
from app.i18n import localized, reader_locale
from app.i18n import tr as _
from app.models.base import utcnow
from app.models.client_requests import (
    CHANNELS,
    OPEN_STATUSES,
    ROUTE_WAITING,
    ClientRequest,
    RequestAttachment,
    RequestRoute,
    RequestStep,
)
from app.models.companies import Company
from app.models.contacts import Contact
from app.models.key_accounts import KeyAccount
from app.models.org import Unit, User
from app.services import notifications, org, permissions, timeline
from app.services.errors import required
from app.services.key_accounts import AccountsError, deputy_of
from app.services.links import path_for

MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
# What a client's request may carry, by extension, with the type it is served as (never HTML or SVG: a file a
# browser would run as a page of the portal).
ATTACHMENT_TYPES = {
    "pdf": "application/pdf", "doc": "application/msword", "rtf": "application/rtf", "txt": "text/plain",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel", "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "odt": "application/vnd.oasis.opendocument.text", "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif", "tif": "image/tiff",
    "tiff": "image/tiff", "zip": "application/zip", "7z": "application/x-7z-compressed", "rar": "application/vnd.rar",
    "eml": "message/rfc822", "msg": "application/vnd.ms-outlook",
}
DUE_SOON_DAYS = 1  # "about to miss its date": due today or tomorrow

STATUS_LABELS = {"open": _l("open"), "answered": _l("answered"), "closed": _l("closed")}
ROUTE_LABELS = {"new": _l("new"), "accepted": _l("accepted"), "asked": _l("asked back"),
                "answered": _l("answered"), "closed": _l("closed")}
CHANNEL_LABELS = {"phone": _l("phone"), "email": _l("email"), "meeting": _l("meeting"),
                  "messenger": _l("messenger"), "letter": _l("letter"), "portal": _l("portal")}
STEP_LABELS = {"registered": _l("Registered"), "sent": _l("Sent to the department"), "accepted": _l("Accepted"),
               "asked": _l("Asked back"), "clarified": _l("Clarified"), "answered": _l("Answered"),
               "relayed": _l("Answer relayed to the client"), "closed": _l("Closed with the client's confirmation"),
               "reopened": _l("Reopened"), "split": _l("Split into sub-requests"), "attached": _l("File attached")}


def manager_and_deputy(session: Session, req: ClientRequest) -> tuple[User | None, int | None]:
    """The two people who speak to the client about this request."""
    return req.account_manager, deputy_of(session, req.company_id)


def can_see(session: Session, user, req: ClientRequest) -> bool:
    """May this person open the request and its files (others get a 404)?"""
    return visible_requests(session, user, [req])[req.id]


def visible_requests(session: Session, user, reqs) -> dict[int, bool]:
    """Request id -> whether this person may open it, for many requests at once (a deputy look-up per
    company, not per request)."""
    deputies: dict[int, int | None] = {}
    out = {}
    for req in reqs:
        if req.company_id not in deputies:
            deputies[req.company_id] = deputy_of(session, req.company_id)
        out[req.id] = permissions.can_see_request(user, req.account_manager, deputies[req.company_id],
                                                  [r.unit_id for r in req.routes])
    return out


def can_carry(session: Session, user, req: ClientRequest) -> bool:
    """May this person relay, close, reopen or split the request for the client?"""
    manager, deputy = manager_and_deputy(session, req)
    return permissions.can_carry_for(user, manager, deputy)


def _carrier_clause(user, manager_col, company_col):
    """Rows whose account this person carries: as manager, deputy, or head of the manager's unit."""
    deputy_companies = select(KeyAccount.company_id).where(KeyAccount.deputy_id == user.id)
    clauses = [manager_col == user.id, company_col.in_(deputy_companies)]
    if user.role == "head":
        clauses.append(manager_col.in_(select(User.id).where(User.unit_id == user.unit_id)))
    return or_(*clauses)


def carried_requests(session: Session, user, status: str, today: date, page: int = 1, per_page: int = 50):
    """Requests the person carries (as manager, deputy, head or admin): where each one is."""
    from app.extensions import db

    stmt = select(ClientRequest).order_by(ClientRequest.due_on.is_(None), ClientRequest.due_on, ClientRequest.id)
    if not permissions.is_admin(user):
        stmt = stmt.where(_carrier_clause(user, ClientRequest.account_manager_id, ClientRequest.company_id))
    if status == "overdue":
        stmt = stmt.where(ClientRequest.status.in_(OPEN_STATUSES), ClientRequest.due_on < today)
    elif status in ("open", "answered", "closed"):
        stmt = stmt.where(ClientRequest.status == status)
    else:
        stmt = stmt.where(ClientRequest.status.in_(OPEN_STATUSES))
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def registrable_accounts(session: Session, user) -> list[Company]:
    """Key accounts this person may register a request for; account management may do it for any colleague."""
    stmt = (select(Company).join(KeyAccount, KeyAccount.company_id == Company.id)
            .where(Company.deleted_at.is_(None)).order_by(Company.name_sort, Company.id))
    if not (permissions.is_admin(user) or user.unit.code == permissions.ACCOUNTS_UNIT):
        stmt = stmt.where(_carrier_clause(user, Company.account_manager_id, Company.id))
    return list(session.scalars(stmt))


# ---------------------------------------------------------------- registering and carrying requests

@dataclass
class NewRequest:
    """What the account manager wrote down when the client asked."""

    company_id: int
    subject: str
    unit_ids: list[int]
    details: str = ""
    contact_id: int | None = None
    channel: str = "phone"
    asked_at: datetime | None = None
    due_on: date | None = None
    files: list = field(default_factory=list)   # werkzeug FileStorage objects


def register_request(session: Session, data: NewRequest, by_id: int, upload_dir: Path,
                     today: date | None = None, parent_id: int | None = None) -> ClientRequest:
    """Record a client's request and send it to each chosen department's inbox."""
    company = session.get(Company, data.company_id)
    if company is None or session.get(KeyAccount, data.company_id) is None:
        raise AccountsError(_("Requests are carried for key accounts only."), "company_id")
    subject = required(data.subject, _("Say what the client asked for."), "subject", AccountsError)
    unit_ids = sorted(set(data.unit_ids or []))
    units = list(session.scalars(select(Unit).where(Unit.id.in_(unit_ids)))) if unit_ids else []
    if not units or len(units) != len(unit_ids):
        raise AccountsError(_("Choose at least one department."), "unit_ids")
    if data.channel not in CHANNELS:
        raise AccountsError(_("Choose how the client asked."), "channel")
    if data.contact_id is not None:
        contact = session.get(Contact, data.contact_id)
        if contact is None or contact.company_id != data.company_id:
            raise AccountsError(_("The contact must work at this company."), "contact_id")
    now = utcnow()
    asked_at = data.asked_at or now
    if asked_at > now + timedelta(minutes=5):
        raise AccountsError(_("The client cannot have asked in the future."), "asked_at")
    if data.due_on is not None and data.due_on < (today or now.date()) and parent_id is None:
        raise AccountsError(_("The agreed date has already passed."), "due_on")
    req = ClientRequest(company_id=company.id, account_manager_id=company.account_manager_id, created_by_id=by_id,
                        contact_id=data.contact_id, subject=subject[:300], details=(data.details or "").strip(),
                        channel=data.channel, asked_at=asked_at, due_on=data.due_on, status="open",
                        created_at=now, parent_id=parent_id)
    session.add(req)
    session.flush()
    _step(session, req, "registered", by_id, now)
    for unit in units:
        session.add(RequestRoute(request_id=req.id, unit_id=unit.id, status="new", sent_at=now))
        _step(session, req, "sent", by_id, now, unit_id=unit.id)
    for storage in data.files or []:
        if storage and storage.filename:
            _store_attachment(session, req, storage, by_id, upload_dir, now)
    session.flush()
    _notify_units(session, req, [u.id for u in units], "request_new",
                  _("New client request from %(company)s: %(subject)s", company=company.display_name,
                    subject=req.subject), by_id)
    return req


def _step(session: Session, req: ClientRequest, kind: str, by_id: int | None, at: datetime,
          unit_id: int | None = None, text: str | None = None) -> RequestStep:
    step = RequestStep(request_id=req.id, kind=kind, author_id=by_id, at=at, unit_id=unit_id, text=text)
    session.add(step)
    return step


def _store_attachment(session: Session, req: ClientRequest, storage, by_id: int | None, upload_dir: Path,
                      now: datetime) -> RequestAttachment:
    """Save a file under UPLOAD_DIR/requests/<id>/ with a random name; the original name is kept for download."""
    extension = Path(storage.filename).suffix.lower().lstrip(".")
    if extension not in ATTACHMENT_TYPES:
        raise AccountsError(_("Attach documents, spreadsheets, images or archives (%(types)s), not a .%(ext)s file.",
                              types=", ".join(sorted(ATTACHMENT_TYPES)), ext=extension or "?"), "files")
    data = storage.stream.read(MAX_ATTACHMENT_BYTES + 1)   # never more than the limit in memory
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise AccountsError(_("A file may be at most 20 MB."), "files")
    safe = secure_filename(storage.filename) or "file"
    stored = f"{req.id}/{uuid.uuid4().hex}_{safe}"
    path = Path(upload_dir) / "requests" / stored
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    att = RequestAttachment(request_id=req.id, filename=storage.filename[:255], stored_name=stored,
                            content_type=ATTACHMENT_TYPES[extension], size=len(data), uploaded_by_id=by_id, at=now)
    session.add(att)
    _step(session, req, "attached", by_id, now, text=att.filename)
    return att


def add_attachments(session: Session, request_id: int, files: list, by_id: int, upload_dir: Path) -> int:
    """Attach more files to a request later (the client sent a drawing after the call)."""
    req = _get(session, request_id)
    now = utcnow()
    added = 0
    for storage in files:
        if storage and storage.filename:
            _store_attachment(session, req, storage, by_id, upload_dir, now)
            added += 1
    if not added:
        raise AccountsError(_("Choose a file."), "files")
    return added


def attachment_path(upload_dir: Path, att: RequestAttachment) -> Path:
    """Where the file lies on disk; only the download view reads it, after checking who asks."""
    return Path(upload_dir) / "requests" / att.stored_name


def _get(session: Session, request_id: int) -> ClientRequest:
    req = session.get(ClientRequest, request_id)
    if req is None:
        raise AccountsError(_("This request does not exist."))
    return req


def _route(session: Session, route_id: int) -> RequestRoute:
    route = session.get(RequestRoute, route_id)
    if route is None:
        raise AccountsError(_("This request does not exist."))
    return route


def _refresh_status(req: ClientRequest) -> None:
    """A request is answered once every department has answered; closing is the manager's act."""
    if req.status == "closed":
        return
    req.status = "answered" if req.routes and all(r.status == "answered" for r in req.routes) else "open"


def accept(session: Session, route_id: int, by_id: int) -> RequestRoute:
    """The department takes the request on."""
    route = _route(session, route_id)
    if route.status != "new":
        raise AccountsError(_("Only a new request can be accepted."))
    now = utcnow()
    route.status, route.accepted_at, route.accepted_by_id = "accepted", now, by_id
    _step(session, route.request, "accepted", by_id, now, unit_id=route.unit_id)
    return route


def _take_up(session: Session, route_id: int, text: str, by_id: int, allowed: tuple[str, ...],
             empty_message: str, state_message: str) -> tuple[RequestRoute, str, datetime]:
    """A department's reply needs its text and a route still waiting for it; replying also accepts."""
    route = _route(session, route_id)
    text = required(text, empty_message, "text", AccountsError)
    if route.status not in allowed:
        raise AccountsError(state_message)
    now = utcnow()
    if route.accepted_at is None:
        route.accepted_at, route.accepted_by_id = now, by_id
    return route, text, now


def _tell_carriers(session: Session, req: ClientRequest, kind: str, text: str, by_id: int | None) -> None:
    notifications.notify(session, [req.account_manager_id, deputy_of(session, req.company_id)], kind, text,
                         url=path_for("key_accounts.request_detail", request_id=req.id), exclude=by_id)


def answer(session: Session, route_id: int, text: str, by_id: int) -> RequestRoute:
    """The department answers; the account manager is told so they can relay it."""
    route, text, now = _take_up(session, route_id, text, by_id, ROUTE_WAITING, _("Write the answer."),
                                _("This department has already answered."))
    req = route.request
    route.status, route.answer, route.answered_at, route.answered_by_id = "answered", text, now, by_id
    route.relayed_at = None
    if route.first_answer_secs is None:
        route.first_answer_secs = _secs(req.asked_at, now)
    if req.first_answer_at is None:
        req.first_answer_at, req.first_answer_secs = now, _secs(req.asked_at, now)
    _step(session, req, "answered", by_id, now, unit_id=route.unit_id, text=text)
    _refresh_status(req)
    _tell_carriers(session, req, "request_answered",
                   _("%(unit)s answered: %(subject)s", unit=route.unit.name(reader_locale()), subject=req.subject), by_id)
    return route


def ask_back(session: Session, route_id: int, question: str, by_id: int) -> RequestRoute:
    """The department needs more from the client before it can answer."""
    route, question, now = _take_up(session, route_id, question, by_id, ("new", "accepted"),
                                    _("Write the question."),
                                    _("This request is not waiting for the department."))
    req = route.request
    route.status, route.question = "asked", question
    _step(session, req, "asked", by_id, now, unit_id=route.unit_id, text=question)
    _tell_carriers(session, req, "request_asked",
                   _("%(unit)s asks about: %(subject)s", unit=route.unit.name(reader_locale()), subject=req.subject),
                   by_id)
    return route


def clarify(session: Session, route_id: int, text: str, by_id: int) -> RequestRoute:
    """The account manager brings the client's reply to the department's question."""
    route = _route(session, route_id)
    text = required(text, _("Write the client's reply."), "text", AccountsError)
    if route.status != "asked":
        raise AccountsError(_("The department has not asked anything."))
    now = utcnow()
    route.status = "accepted"
    _step(session, route.request, "clarified", by_id, now, unit_id=route.unit_id, text=text)
    _notify_units(session, route.request, [route.unit_id], "request_clarified",
                  _("The client replied: %(subject)s", subject=route.request.subject), by_id)
    return route


def relay(session: Session, route_id: int, text: str, by_id: int) -> RequestRoute:
    """The account manager passes a department's answer on to the client."""
    route = _route(session, route_id)
    if route.status != "answered":
        raise AccountsError(_("There is no answer to relay yet."))
    now = utcnow()
    route.relayed_at = now
    _step(session, route.request, "relayed", by_id, now, unit_id=route.unit_id, text=(text or "").strip() or None)
    return route


def close(session: Session, request_id: int, confirmation: str, by_id: int) -> ClientRequest:
    """Close with the client's confirmation; whether it was closed by the agreed date is kept for the figures."""
    req = _get(session, request_id)
    confirmation = required(confirmation, _("Write who confirmed and how."), "confirmation", AccountsError)
    if req.status == "closed":
        raise AccountsError(_("This request is already closed."))
    if not any(r.status == "answered" for r in req.routes) and not any(c.status == "closed" for c in req.children):
        raise AccountsError(_("No department has answered yet."))
    now = utcnow()
    req.status, req.closed_at, req.client_confirmation = "closed", now, confirmation[:500]
    req.close_secs = _secs(req.asked_at, now)
    req.closed_on_time = req.due_on is None or now.date() <= req.due_on
    for route in req.routes:
        if route.status in ROUTE_WAITING:
            route.status = "closed"
    _step(session, req, "closed", by_id, now, text=confirmation)
    return req


def reopen(session: Session, request_id: int, reason: str, by_id: int) -> ClientRequest:
    """The client came back: the departments get it in their inboxes again and the count of reopenings grows."""
    req = _get(session, request_id)
    reason = required(reason, _("Say why the client came back."), "reason", AccountsError)
    if req.status != "closed":
        raise AccountsError(_("Only a closed request can be reopened."))
    now = utcnow()
    req.status, req.closed_at, req.close_secs, req.closed_on_time = "open", None, None, None
    req.reopened_count = (req.reopened_count or 0) + 1
    for route in req.routes:
        route.status, route.relayed_at = "new", None
    _step(session, req, "reopened", by_id, now, text=reason)
    _notify_units(session, req, [r.unit_id for r in req.routes], "request_reopened",
                  _("Reopened: %(subject)s", subject=req.subject), by_id)
    return req


def split(session: Session, request_id: int, parts: list[tuple[int, str, str]], by_id: int,
          upload_dir: Path) -> list[ClientRequest]:
    """Split a request into sub-requests, one per department, each carried and answered on its own."""
    req = _get(session, request_id)
    if req.status == "closed":
        raise AccountsError(_("A closed request cannot be split."))
    parts = [(uid, (s or "").strip(), (d or "").strip()) for uid, s, d in parts if uid]
    if not parts:
        raise AccountsError(_("Choose at least one department."), "unit_ids")
    children = []
    for unit_id, subject, details in parts:
        data = NewRequest(company_id=req.company_id, subject=subject or req.subject, unit_ids=[unit_id],
                          details=details or req.details, contact_id=req.contact_id, channel=req.channel,
                          asked_at=req.asked_at, due_on=req.due_on)
        children.append(register_request(session, data, by_id, upload_dir, parent_id=req.id))
    _step(session, req, "split", by_id, utcnow(), text=", ".join(f"#{c.id}" for c in children))
    return children


def _secs(start: datetime, end: datetime) -> int:
    return max(0, int((end - start).total_seconds()))




def _unit_members(session: Session, unit_ids) -> dict[int, list[int]]:
    members: dict[int, list[int]] = {}
    for uid, unit_id in session.execute(select(User.id, User.unit_id).where(User.unit_id.in_(list(unit_ids)),
                                                                             org.ACTIVE_PEOPLE)):
        members.setdefault(unit_id, []).append(uid)
    return members


def _notify_units(session: Session, req: ClientRequest, unit_ids, kind: str, text: str, by_id: int | None) -> None:
    members = _unit_members(session, unit_ids)
    notifications.notify(session, [u for ids in members.values() for u in ids], kind, text,
                         url=path_for("key_accounts.request_detail", request_id=req.id), exclude=by_id)


# ---------------------------------------------------------------- the department's inbox

@dataclass
class InboxItem:
    """One line of a department's inbox: only what the list shows, read without loading whole records."""

    id: int
    subject: str
    company: str
    due_on: date | None
    sent_at: datetime
    status: str             # the department's state of the request
    request_status: str

    def is_overdue(self, today: date) -> bool:
        return self.request_status != "closed" and self.due_on is not None and self.due_on < today


def inbox(session: Session, unit_id: int, today: date, tab: str = "waiting", limit: int = 100) -> list[InboxItem]:
    """The department's share of requests, earliest agreed date first; answered ones newest first."""
    stmt = (select(ClientRequest.id, ClientRequest.subject, Company.legal_form, Company.legal_name,
                   ClientRequest.due_on, RequestRoute.sent_at, RequestRoute.status, ClientRequest.status)
            .select_from(RequestRoute)
            .join(ClientRequest, ClientRequest.id == RequestRoute.request_id)
            .join(Company, Company.id == ClientRequest.company_id)
            .where(RequestRoute.unit_id == unit_id))
    if tab == "answered":
        stmt = stmt.where(RequestRoute.status == "answered").order_by(RequestRoute.answered_at.desc())
    elif tab == "overdue":
        stmt = (stmt.where(RequestRoute.status.in_(ROUTE_WAITING), ClientRequest.due_on < today)
                .order_by(ClientRequest.due_on, ClientRequest.id))
    else:
        stmt = (stmt.where(RequestRoute.status.in_(ROUTE_WAITING))
                .order_by(ClientRequest.due_on.is_(None), ClientRequest.due_on, ClientRequest.id))
    return [InboxItem(rid, subject, f"{form} {name}" if form else name, due_on, sent_at, status, req_status)
            for rid, subject, form, name, due_on, sent_at, status, req_status in session.execute(stmt.limit(limit))]


def inbox_counts(session: Session, unit_id: int, today: date) -> dict[str, int]:
    """How many wait for the department and how many of those are late: one query over the waiting ones."""
    waiting, overdue = session.execute(
        select(func.count(), func.sum(case((ClientRequest.due_on < today, 1), else_=0)))
        .select_from(RequestRoute).join(ClientRequest, ClientRequest.id == RequestRoute.request_id)
        .where(RequestRoute.unit_id == unit_id, RequestRoute.status.in_(ROUTE_WAITING))).one()
    return {"waiting": waiting or 0, "overdue": overdue or 0}


# ---------------------------------------------------------------- reminders

def send_reminders(session: Session, today: date) -> dict[str, int]:
    """Tell the departments still owing an answer, and the account manager, that a date is near or missed."""
    soon_until = today + timedelta(days=DUE_SOON_DAYS)
    rows = session.execute(
        select(ClientRequest.id, ClientRequest.subject, ClientRequest.due_on, ClientRequest.account_manager_id,
               RequestRoute.unit_id, RequestRoute.status)
        .join(RequestRoute, RequestRoute.request_id == ClientRequest.id)
        .where(ClientRequest.status.in_(OPEN_STATUSES), ClientRequest.due_on.is_not(None),
               ClientRequest.due_on <= soon_until)).all()
    requests: dict[int, dict] = {}
    for rid, subject, due_on, manager_id, unit_id, route_status in rows:
        item = requests.setdefault(rid, {"subject": subject, "due_on": due_on, "manager": manager_id, "units": set()})
        if route_status in ROUTE_WAITING:
            item["units"].add(unit_id)
    members = _unit_members(session, {u for r in requests.values() for u in r["units"]})
    sent = {"due_soon": 0, "overdue": 0}
    for rid, item in requests.items():
        overdue = item["due_on"] < today
        kind = "overdue" if overdue else "due_soon"
        people = [item["manager"]] + [u for unit_id in item["units"] for u in members.get(unit_id, [])]
        due, subject = item["due_on"].isoformat(), item["subject"]
        text = (_("Overdue since %(date)s: %(subject)s", date=due, subject=subject) if overdue
                else _("Due %(date)s: %(subject)s", date=due, subject=subject))
        sent[kind] += notifications.notify(session, people, f"request_{kind}", text, url=path_for("key_accounts.request_detail", request_id=rid),
                                           dedup_key=f"request:{rid}:{kind}:{item['due_on'].isoformat()}")
    return sent


# ---------------------------------------------------------------- the company timeline

@timeline.source_query
def _timeline_rows():
    # columns, not the step entity: its eager unit and author (with the author's unit) would add three joins
    return (select(RequestStep.request_id, RequestStep.kind, RequestStep.at, ClientRequest.subject, Unit.name_ru,
                   Unit.name_en, User.name)
            .join(ClientRequest, ClientRequest.id == RequestStep.request_id)
            .outerjoin(Unit, Unit.id == RequestStep.unit_id).outerjoin(User, User.id == RequestStep.author_id)
            .where(ClientRequest.company_id == bindparam("company_id"), RequestStep.kind != "attached"),
            RequestStep.at, (RequestStep.at.desc(), RequestStep.id.desc()))


def timeline_items(session: Session, company_id: int, before: datetime | None, limit: int, viewer=None):
    """Requests and their steps on the company's timeline; the link opens the request for those allowed."""
    from flask import has_request_context, url_for

    from app.services.timeline import TimelineItem

    items = []
    rows = _timeline_rows(session, company_id, before, limit).all()
    seen: dict[int, bool] = {}
    if viewer is not None and rows:  # the requests and their routes in two queries, not three per request
        seen = visible_requests(session, viewer, session.scalars(
            select(ClientRequest).where(ClientRequest.id.in_({row[0] for row in rows}))
            .options(selectinload(ClientRequest.routes))))
    for request_id, kind, at, subject, unit_ru, unit_en, author in rows:
        visible = viewer is None or seen[request_id]
        unit = localized(unit_ru, unit_en) if unit_ru else None
        # Those outside the request learn that the client asked something, not what: no subject, no link.
        title = f"{STEP_LABELS.get(kind, kind)}: {subject}" if visible else _("%(step)s: a client request", step=STEP_LABELS.get(kind, kind))
        url = (url_for("key_accounts.request_detail", request_id=request_id)
               if has_request_context() and visible else None)
        items.append(TimelineItem(at=at, kind="request", title=title, body=unit, url=url, author=author))
    return items










# ---------------------------------------------------------------- units (admins add departments)

