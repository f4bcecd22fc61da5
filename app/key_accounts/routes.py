"""Account management views (thin: parse, call a service, render)."""
from __future__ import annotations

from datetime import date, timedelta, timezone
from pathlib import Path

from flask import abort, current_app, flash, redirect, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import to_user_timezone, to_utc
from flask_login import current_user
from sqlalchemy import select

from app.extensions import db, htmx
from app.i18n import reader_locale
from app.key_accounts import bp
from app.key_accounts.forms import NONE, KeyAccountForm, MarkKeyAccountForm, RequestForm, UnitForm
from app.models.base import utcnow
from app.models.client_requests import CHANNELS, ClientRequest, RequestAttachment
from app.models.companies import Company
from app.models.contacts import Contact
from app.models.key_accounts import KeyAccount
from app.models.org import Unit, User
from app.services import client_requests, numbers, org, permissions
from app.services import key_accounts as key_accounts_service
from app.services import search as search_service
from app.services.client_request_figures import request_figures
from app.services.client_requests import CHANNEL_LABELS, ROUTE_LABELS, STATUS_LABELS, STEP_LABELS
from app.services.key_accounts import AccountsError
from app.web import render

PERIODS = {"90": 90, "365": 365, "all": None}


def _today() -> date:
    return date.today()


def _unit_label(unit: Unit) -> str:
    return unit.name(reader_locale())


# ---------------------------------------------------------------- the account manager's home

@bp.route("/start")
def start():
    """The menu's entry: a manager's own accounts, the accounts head's list of all, anyone else's department inbox."""
    if key_accounts_service.key_accounts_of(db.session, current_user.id):
        return redirect(url_for("key_accounts.home"))
    if permissions.can_assign_accounts(current_user):
        return redirect(url_for("key_accounts.key_accounts"))
    return redirect(url_for("key_accounts.inbox"))


@bp.route("/")
def home():
    """The account manager's accounts with revenue, requests, deals in progress and last contact."""
    manager = current_user
    manager_id = request.args.get("manager", type=numbers.record_id)
    if manager_id and manager_id != current_user.id:
        manager = db.session.get(User, manager_id)
        if manager is None or not permissions.can_carry_for(current_user, manager, None):
            abort(404)
    rows = key_accounts_service.manager_home(db.session, manager.id, _today())
    return render("key_accounts/home.html", None, manager=manager, rows=rows, today=_today())


# ---------------------------------------------------------------- key accounts

@bp.route("/key-accounts", methods=["GET", "POST"])
def key_accounts():
    """Every key account with its people; admins and the head of account management mark new ones."""
    permissions.require(permissions.can_assign_accounts(current_user))
    form = MarkKeyAccountForm()
    _people_choices(form)
    if form.validate_on_submit():
        company = _find_company(form.company.data, form.company_id.data)
        if company is None:
            form.company.errors.append(_("No single company matches; type its INN or its exact name."))
        else:
            try:
                key_accounts_service.set_key_account(db.session, company.id, form.manager_id.data or None,
                                         form.deputy_id.data or None, form.note.data, current_user.id)
                db.session.commit()
                flash(_("%(company)s is now a key account.", company=company.display_name), "success")
                return redirect(url_for("key_accounts.key_accounts"))
            except AccountsError as exc:
                db.session.rollback()
                getattr(form, exc.field or "company").errors.append(str(exc))
    listed = db.session.execute(
        select(Company, KeyAccount).join(KeyAccount, KeyAccount.company_id == Company.id)
        .order_by(Company.name_sort)).all()
    status = 422 if form.errors else 200
    return render("key_accounts/key_accounts.html", None, form=form, listed=listed), status


@bp.route("/key-accounts/<int:company_id>", methods=["GET", "POST"])
def key_account(company_id: int):
    """Reassign a key account's manager or deputy, with a hand-over note that stays on record."""
    permissions.require(permissions.can_assign_accounts(current_user))
    account = key_accounts_service.key_account(db.session, company_id) or abort(404)
    form = KeyAccountForm(obj=None if request.method == "POST" else _key_account_data(account))
    _people_choices(form)
    if form.validate_on_submit():
        try:
            key_accounts_service.set_key_account(db.session, company_id, form.manager_id.data or None,
                                     form.deputy_id.data or None, form.note.data, current_user.id)
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("key_accounts.key_account", company_id=company_id))
        except AccountsError as exc:
            db.session.rollback()
            getattr(form, exc.field or "note").errors.append(str(exc))
    history = key_accounts_service.handovers(db.session, company_id)
    status = 422 if form.errors else 200
    return render("key_accounts/key_account.html", None, form=form, account=account, history=history), status


@bp.route("/key-accounts/<int:company_id>/remove", methods=["POST"])
def remove_key_account(company_id: int):
    """Stop treating a company as a key account (the hand-over list keeps the fact)."""
    permissions.require(permissions.can_assign_accounts(current_user))
    key_accounts_service.remove_key_account(db.session, company_id, current_user.id)
    db.session.commit()
    return redirect(url_for("key_accounts.key_accounts"))


def _key_account_data(account):
    from types import SimpleNamespace

    return SimpleNamespace(manager_id=account.company.account_manager_id, deputy_id=account.deputy_id or NONE,
                           note="")


def _people_choices(form) -> None:
    people = [(u.id, u.name) for u in org.active_people(db.session)]
    form.manager_id.choices = [(NONE, "—")] + people
    form.deputy_id.choices = [(NONE, "—")] + people


def _find_company(text: str, company_id: int | None = None) -> Company | None:
    """The company chosen in the picker, else the one company whose INN or exact name was typed."""
    if company_id:
        company = db.session.get(Company, company_id)
        return company if company is not None and company.deleted_at is None else None
    hits = search_service.search(db.session, text or "", limit=2, kinds=("company",))
    exact = [h for h in hits if h.rank in (search_service.EXACT_ID, search_service.EXACT_NAME)]
    return db.session.get(Company, exact[0].entity_id) if len(exact) == 1 else None


# ---------------------------------------------------------------- requests

@bp.route("/requests")
def requests_list():
    """Requests the person carries and where each one is: which department holds it, in what state."""
    tab = request.args.get("tab", "active")
    page = client_requests.carried_requests(db.session, current_user, tab, _today(),
                                     page=request.args.get("page", 1, type=numbers.page_number))
    return render("key_accounts/requests.html", "key_accounts/_requests_table.html", page=page, tab=tab, today=_today())


@bp.route("/requests/new", methods=["GET", "POST"])
def new_request():
    """Register what a key-account client asked for and send it to the departments."""
    # Choosing the client reloads the form with that client's contacts, keeping what was typed.
    reloading = bool(htmx) and request.method == "GET" and htmx.trigger_name == "company_id"
    form = RequestForm(formdata=request.args) if reloading else RequestForm()
    companies = client_requests.registrable_accounts(db.session, current_user)
    form.company_id.choices = [(NONE, "—")] + [(c.id, c.display_name) for c in companies]
    if request.method == "GET" and not reloading:
        form.company_id.data = request.args.get("company_id", type=numbers.record_id)
    company_id = form.company_id.data
    contacts = db.session.scalars(select(Contact).where(Contact.company_id == (company_id or -1),
                                                        Contact.deleted_at.is_(None)).order_by(Contact.name)).all()
    form.contact_id.choices = [(NONE, "—")] + [(c.id, c.name) for c in contacts]
    form.channel.choices = [(c, CHANNEL_LABELS[c]) for c in CHANNELS]
    form.unit_ids.choices = [(u.id, _unit_label(u)) for u in org.units(db.session)]
    if reloading:
        return render("key_accounts/request_form.html", "key_accounts/_request_form.html", form=form)
    if request.method == "GET":
        form.asked_at.data = to_user_timezone(utcnow()).replace(tzinfo=None, second=0, microsecond=0)
    if form.validate_on_submit():
        data = client_requests.NewRequest(
            company_id=form.company_id.data, subject=form.subject.data, unit_ids=form.unit_ids.data,
            details=form.details.data or "", contact_id=form.contact_id.data or None, channel=form.channel.data,
            asked_at=to_utc(form.asked_at.data).replace(tzinfo=timezone.utc) if form.asked_at.data else None,
            due_on=form.due_on.data, files=request.files.getlist(form.files.name))
        company = db.session.get(Company, form.company_id.data)
        allowed = company is not None and permissions.can_register_request(
            current_user, company.account_manager, key_accounts_service.deputy_of(db.session, company.id))
        if not allowed:
            form.company_id.errors.append(_("You do not carry this client."))
        else:
            try:
                req = client_requests.register_request(db.session, data, current_user.id, current_app.config["UPLOAD_DIR"])
            except AccountsError as exc:
                db.session.rollback()
                getattr(form, exc.field or "subject").errors.append(str(exc))
            else:
                db.session.commit()
                flash(_("Request #%(id)s registered and sent.", id=req.id), "success")
                if client_requests.can_see(db.session, current_user, req):
                    return _redirect(url_for("key_accounts.request_detail", request_id=req.id))
                return _redirect(url_for("key_accounts.home"))
    status = 422 if form.errors else 200
    return render("key_accounts/request_form.html", "key_accounts/_request_form.html", form=form), status


def _redirect(url: str):
    """htmx follows HX-Redirect; a plain form follows the 302."""
    if htmx:
        from flask_htmx import make_response

        return make_response("", redirect=url)
    return redirect(url)


def _visible(request_id: int) -> ClientRequest:
    """The request, or 404 for anyone who may not see it (no hint that it exists)."""
    req = db.session.get(ClientRequest, request_id)
    if req is None or not client_requests.can_see(db.session, current_user, req):
        abort(404)
    return req


def _detail(req: ClientRequest, errors: dict | None = None, status: int = 200):
    ctx = dict(req=req, errors=errors or {}, today=_today(),
               can_carry=client_requests.can_carry(db.session, current_user, req),
               my_unit_ids={r.unit_id for r in req.routes if permissions.can_act_for_unit(current_user, r.unit_id)},
               units=org.units(db.session), unit_label=_unit_label)
    return render("key_accounts/request.html", "key_accounts/_request.html", **ctx), status


def _after_write(request_id: int):
    db.session.expire_all()
    if htmx:
        return _detail(_visible(request_id))
    return redirect(url_for("key_accounts.request_detail", request_id=request_id))


@bp.route("/requests/<int:request_id>")
def request_detail(request_id: int):
    """One request: what was asked, where it is in each department, every step with its time."""
    return _detail(_visible(request_id))


ROUTE_ACTIONS = {"accept": "unit", "answer": "unit", "ask": "unit", "clarify": "carrier", "relay": "carrier"}


@bp.route("/requests/<int:request_id>/routes/<int:route_id>/<action>", methods=["POST"])
def route_action(request_id: int, route_id: int, action: str):
    """A department accepts, answers or asks back; the account manager clarifies or relays the answer."""
    req = _visible(request_id)
    route = next((r for r in req.routes if r.id == route_id), None)
    if route is None or action not in ROUTE_ACTIONS:
        abort(404)
    if ROUTE_ACTIONS[action] == "unit":
        permissions.require(permissions.can_act_for_unit(current_user, route.unit_id))
    else:
        permissions.require(client_requests.can_carry(db.session, current_user, req))
    text = request.form.get("text", "")
    try:
        if action == "accept":
            client_requests.accept(db.session, route_id, current_user.id)
        else:
            {"answer": client_requests.answer, "ask": client_requests.ask_back, "clarify": client_requests.clarify,
             "relay": client_requests.relay}[action](db.session, route_id, text, current_user.id)
    except AccountsError as exc:
        db.session.rollback()
        return _detail(_visible(request_id), errors={f"{action}-{route_id}": str(exc)}, status=422)
    db.session.commit()
    return _after_write(request_id)


@bp.route("/requests/<int:request_id>/<action>", methods=["POST"])
def request_action(request_id: int, action: str):
    """The account manager closes (with the client's confirmation), reopens, splits or attaches files."""
    req = _visible(request_id)
    if action not in ("close", "reopen", "split", "attach"):
        abort(404)
    permissions.require(client_requests.can_carry(db.session, current_user, req))
    try:
        if action == "close":
            client_requests.close(db.session, request_id, request.form.get("confirmation", ""), current_user.id)
        elif action == "reopen":
            client_requests.reopen(db.session, request_id, request.form.get("reason", ""), current_user.id)
        elif action == "split":
            unit_ids = request.form.getlist("unit_id", type=numbers.record_id)
            subjects, details = request.form.getlist("subject"), request.form.getlist("details")
            parts = [(uid, subjects[i] if i < len(subjects) else "", details[i] if i < len(details) else "")
                     for i, uid in enumerate(unit_ids)]
            client_requests.split(db.session, request_id, parts, current_user.id, current_app.config["UPLOAD_DIR"])
        else:
            client_requests.add_attachments(db.session, request_id, request.files.getlist("files"), current_user.id,
                                     current_app.config["UPLOAD_DIR"])
    except AccountsError as exc:
        db.session.rollback()
        return _detail(_visible(request_id), errors={action: str(exc)}, status=422)
    db.session.commit()
    return _after_write(request_id)


@bp.route("/attachments/<int:attachment_id>")
def attachment(attachment_id: int):
    """A request's file, only for those who may see the request."""
    att = db.session.get(RequestAttachment, attachment_id) or abort(404)
    _visible(att.request_id)
    path = client_requests.attachment_path(current_app.config["UPLOAD_DIR"], att)
    if not path.is_file():
        abort(404)
    # Always a download, typed by the allow-list: an old file stored as text/html is served as bytes.
    mimetype = client_requests.ATTACHMENT_TYPES.get(Path(att.filename).suffix.lower().lstrip("."),
                                                    "application/octet-stream")
    return send_file(path, as_attachment=True, download_name=att.filename, mimetype=mimetype)


# ---------------------------------------------------------------- the department's inbox

@bp.route("/inbox")
def inbox():
    """The department's requests: what waits for an answer, what is late, what was answered."""
    unit_id = current_user.unit_id
    if permissions.is_admin(current_user):
        unit_id = request.args.get("unit", unit_id, type=numbers.record_id)
    unit = db.session.get(Unit, unit_id) or abort(404)
    tab = request.args.get("tab", "waiting")
    items = client_requests.inbox(db.session, unit.id, _today(), tab)
    counts = client_requests.inbox_counts(db.session, unit.id, _today())
    return render("key_accounts/inbox.html", "key_accounts/_inbox.html", unit=unit, tab=tab, items=items, counts=counts,
                  today=_today(), units=org.units(db.session) if permissions.is_admin(current_user) else [],
                  unit_label=_unit_label)


# ---------------------------------------------------------------- figures

@bp.route("/figures")
def figures():
    """Per manager, department and client: how fast requests are answered and closed; who keeps clients waiting."""
    period = request.args.get("period", "90")
    if period not in PERIODS:
        period = "90"
    days = PERIODS[period]
    since = _today() - timedelta(days=days) if days else None
    data = request_figures(db.session, _today(), since)
    return render("key_accounts/figures.html", "key_accounts/_figures.html", data=data, period=period)


# ---------------------------------------------------------------- units of the org board (admins)

@bp.route("/units", methods=["GET", "POST"])
@bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
def units(unit_id: int | None = None):
    """Admins add departments (Accounting, Production, Legal ...) that requests can be sent to."""
    permissions.require(permissions.is_admin(current_user))
    unit = db.session.get(Unit, unit_id) if unit_id else None
    if unit_id and unit is None:
        abort(404)
    form = UnitForm(obj=unit if request.method == "GET" else None)
    if request.method == "GET" and unit is not None:
        form.parent_id.data = unit.parent_id or NONE
    all_units = org.units(db.session)
    form.parent_id.choices = [(NONE, "—")] + [(u.id, _unit_label(u)) for u in all_units if u.id != unit_id]
    if form.validate_on_submit():
        try:
            org.save_unit(db.session, unit_id, form.code.data, form.name_ru.data, form.name_en.data,
                          form.parent_id.data or None, form.in_distribution.data)
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("key_accounts.units"))
        except org.UnitError as exc:
            db.session.rollback()
            getattr(form, exc.field or "code").errors.append(str(exc))
    status = 422 if form.errors else 200
    return render("admin/units.html", None, form=form, unit=unit, units=all_units, unit_label=_unit_label), status


@bp.context_processor
def labels():
    """Translated names of states, steps and channels, and what the menu offers, on every page of the area."""
    return {"status_labels": STATUS_LABELS, "route_labels": ROUTE_LABELS, "step_labels": STEP_LABELS,
            "channel_labels": CHANNEL_LABELS,
            "can_assign_accounts": current_user.is_authenticated and permissions.can_assign_accounts(current_user)}
