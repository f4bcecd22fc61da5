"""Client base views (thin: parse, call a service, render)."""
from __future__ import annotations

import re
from datetime import datetime

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import to_user_timezone
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.crm import bp, stale
from app.crm.forms import (
    ActivityForm,
    AddressForm,
    CompanyForm,
    ContactForm,
    DealForm,
    ProductForm,
    attach_errors,
    options,
)
from app.extensions import db
from app.i18n import N_, label, reader_locale
from app.models.companies import ClientType, Company, Tag
from app.models.contacts import Contact
from app.models.deals import Deal
from app.models.org import User
from app.models.products import Product
from app.services import activities, audit, contact_points, numbers, org
from app.services import companies as companies_service
from app.services import contacts as contacts_service
from app.services import deals as deals_service
from app.services import permissions as perm
from app.services import products as products_service
from app.services import search as search_service
from app.services.errors import Conflict, FieldErrors, RuleError
from app.services.timeline import company_timeline
from app.web import render

HISTORY_MODELS = {"companies": Company, "contacts": Contact, "deals": Deal}


def _region() -> str:
    return current_app.config["DEFAULT_PHONE_REGION"]


def _company_or_404(company_id: int, include_deleted: bool = False, page: bool = False) -> Company:
    try:
        return companies_service.get_company(db.session, company_id, include_deleted, page)
    except LookupError:
        abort(404)


def _version(value) -> int | None:
    return numbers.whole_number(value, 0, numbers.MAX_ID)


def _people_choices():
    return options([(None, "—")] + [(u.id, u.name) for u in org.active_people(db.session)])


def _company_choices(form: CompanyForm) -> CompanyForm:
    locale = reader_locale()
    form.client_type_id.choices = options([(None, "—")] + [(t.id, t.name(locale)) for t in db.session.scalars(
        select(ClientType).where(ClientType.active.is_(True)).order_by(ClientType.id))])
    form.account_manager_id.choices = _people_choices()
    return form


def _saved(form, save):
    """Run one service save and commit; bad input goes next to its fields and nothing is kept.
    A Conflict passes through to the caller, which answers 409."""
    try:
        result = save()
        db.session.commit()
        return result
    except RuleError as exc:   # FieldErrors among them
        db.session.rollback()
        attach_errors(form, exc.errors)
        return None
    except Conflict:
        db.session.rollback()
        raise


def _conflict_response(template: str, exc: Conflict, form, status: int = 409, shown=None, current=None, **ctx):
    """Refuse a stale save: the person's input stays in the form, with what the other person changed; after a
    merge refused on a clash, the fields they left alone show the stored values (`current`), each clash is
    marked at its field, and the hidden originals become the stored copy."""
    stale.after_clash(form, shown, current, exc)
    return render_template(template, form=form, conflict=exc, originals=stale.original_inputs(current or form),
                           **ctx), status


@bp.app_template_global()
def crm_label(kind: str, value) -> str:
    """A stored code (status, stage, activity kind, address kind) in the reader's language."""
    from app.crm import forms

    table = {"status": forms.STATUS_LABELS, "stage": forms.STAGE_LABELS, "activity": forms.KIND_LABELS,
             "address": forms.ADDRESS_LABELS}[kind]
    return str(table.get(value, value or ""))


bp.add_app_template_global(contact_points.format_phone, "format_phone")
bp.add_app_template_global(audit.field_label, "crm_field_label")
bp.add_app_template_global(audit.field_value, "crm_field_value")


@bp.app_template_global()
def crm_action(action: str) -> str:
    return audit.action_label(action)


MATCHED_FIELDS = {"phone": N_("phone"), "email": N_("email"), "inn": N_("INN"), "city": N_("city"), "name": N_("name"),
                  "position": N_("position"), "legal_form": N_("legal form")}


@bp.app_template_global()
def crm_field(name: str) -> str:
    """The name of a field a search matched on."""
    return label(MATCHED_FIELDS, name)


@bp.app_template_global()
def crm_user_name(user_id: int | None) -> str:
    """Who verified or deleted something, by name."""
    user = db.session.get(User, user_id) if user_id else None
    return user.name if user else "—"


# ---------------------------------------------------------------- companies

@bp.route("/companies")
def companies():
    """Current companies with filters, sorting and pagination; the filters live in the URL."""
    args = request.args
    filters = {"client_type": args.get("client_type", type=numbers.record_id), "status": args.get("status") or None,
               "manager": args.get("manager", type=numbers.record_id), "region": (args.get("region") or "").strip()[:120],
               "city": (args.get("city") or "").strip()[:120], "tag": args.get("tag", type=numbers.record_id)}
    sort = args.get("sort", "name")
    page = companies_service.company_list(db.session, filters, sort, args.get("page", 1, type=numbers.page_number),
                            current_app.config["PAGE_SIZE"])
    ctx = dict(page=page, filters=filters, sort=sort,
               client_types=db.session.scalars(select(ClientType).order_by(ClientType.id)).all(),
               # the filters' choices as the columns shown, not people with their units or tags as rows
               managers=db.session.execute(select(User.id, User.name).order_by(User.name)).all(),
               tags=db.session.execute(select(Tag.id, Tag.name).order_by(Tag.name)).all())
    return render("crm/companies.html", "crm/_companies_table.html", **ctx)


@bp.route("/companies/new", methods=["GET", "POST"])
def company_new():
    """Create a company; bad input is shown next to its field and nothing is saved."""
    from app.services import matching

    form = _company_choices(CompanyForm())
    duplicate = None
    if form.validate_on_submit():
        data = {k: form[k].data for k in companies_service.COMPANY_FIELDS}

        def save():
            matching.ensure_not_duplicate(db.session, "company", data, form.confirmed_different.data)
            return companies_service.create_company(db.session, data, companies_service.parse_tags(form.tags.data))

        try:
            company = _saved(form, save)
        except matching.DuplicateError as exc:
            db.session.rollback()
            company, duplicate = None, exc
        if company is not None:
            flash(_("Company created."), "success")
            return redirect(url_for("crm.company", company_id=company.id))
    status = 422 if form.is_submitted() else 200
    return render_template("crm/company_form.html", form=form, company=None, duplicate=duplicate,
                           hits=duplicate.existing if duplicate else []), status


@bp.route("/companies/<int:company_id>/edit", methods=["GET", "POST"])
def company_edit(company_id: int):
    """Edit every field of a company; a stale copy is refused with what changed meanwhile."""
    company = _company_or_404(company_id)
    perm.require(perm.can_edit_company(current_user, company))
    form = _company_choices(CompanyForm(obj=company))
    if request.method == "GET":
        _company_form_values(form, company)
    elif "tags" not in request.form:
        # Without the field we cannot tell "no tags" from "keep them"; the form always sends it, even empty.
        form.tags.data = ", ".join(t.name for t in company.tags)
        form.validate()
        form.form_errors.append(_("The tags field is missing from the form; reload the page and try again."))
        return render_template("crm/company_form.html", form=form, company=company), 422
    shown = stale.shown_form(CompanyForm) if request.method == "POST" else None
    if form.validate_on_submit():
        data = {k: form[k].data for k in companies_service.COMPANY_FIELDS}
        original = stale.shown_values(shown, (*companies_service.COMPANY_FIELDS, "tags"))
        try:
            saved = _saved(form, lambda: companies_service.update_company(db.session, company_id, data, _version(form.version.data),
                                                            companies_service.parse_tags(form.tags.data), original))
        except Conflict as exc:
            db.session.expire_all()
            current = _company_form_values(_company_choices(CompanyForm(obj=company, formdata=None)), company)
            return _conflict_response("crm/company_form.html", exc, form, shown=shown, current=current, company=company)
        if saved is not None:
            flash(_("Changes saved."), "success")
            return redirect(url_for("crm.company", company_id=company_id))
    status = 422 if form.is_submitted() else 200
    return render_template("crm/company_form.html", form=form, company=company,
                           originals=stale.original_inputs(shown or form)), status


def _company_form_values(form: CompanyForm, company: Company) -> CompanyForm:
    """What the edit form shows for a stored company beyond its columns."""
    form.tags.data = ", ".join(t.name for t in company.tags)
    form.legal_form.data = company.legal_form or ""
    return form


@bp.route("/companies/<int:company_id>")
def company(company_id: int):
    """The company page: its fields, contact points, contacts, deals and the timeline."""
    company = _company_or_404(company_id, page=True)
    return render_template("crm/company.html", company=company, **_company_page_parts(company))


def _company_deals(company: Company) -> list[Deal]:
    """The company's deals, newest first, with their owners (the page shows each owner's name)."""
    return list(db.session.scalars(select(Deal).where(Deal.company_id == company.id)
                                   .options(joinedload(Deal.owner)).order_by(Deal.created_at.desc())))


def _company_page_parts(company: Company) -> dict:
    deals = _company_deals(company)
    return dict(deals=deals, activity_form=_activity_form(company, deals=deals), timeline=company_timeline(db.session, company.id, viewer=current_user),
                address_form=AddressForm(formdata=None), errors={}, editing=None,
                # the fields show their labels only: choices are filled when one is opened for editing
                field_form=CompanyForm(obj=company, formdata=None),
                can_edit=perm.can_edit_company(current_user, company),
                can_delete=perm.can_delete_company(current_user, company))


@bp.route("/companies/<int:company_id>/field/<name>", methods=["GET", "POST"])
def company_field(company_id: int, name: str):
    """Click-to-edit one field: GET shows it, POST saves it (refused when the page was stale)."""
    if name not in companies_service.INLINE_FIELDS:
        abort(404)
    company = _company_or_404(company_id)
    form = _company_choices(CompanyForm(obj=company))
    ctx = dict(company=company, name=name, form=form, editing=False,
               can_edit=perm.can_edit_company(current_user, company))
    if request.method == "POST":
        perm.require(perm.can_edit_company(current_user, company))
        ctx["editing"] = True
        field = form[name]
        if not field.validate(form):
            return render_template("crm/_company_field.html", **ctx), 422
        try:
            companies_service.update_company(db.session, company_id, {name: field.data}, _version(form.version.data),
                                             original=stale.shown_values(stale.shown_form(CompanyForm), (name,)))
            db.session.commit()
        except FieldErrors as exc:
            db.session.rollback()
            field.errors = list(exc.errors.values())
            return render_template("crm/_company_field.html", **ctx), 422
        except Conflict as exc:
            db.session.rollback()
            current = _company_form_values(_company_choices(CompanyForm(obj=company, formdata=None)), company)
            stale.after_clash(form, stale.shown_form(CompanyForm), current, exc)
            return render_template("crm/_company_field.html", conflict=exc, **ctx), 409
        ctx.update(company=company, editing=False, saved=True)
    elif request.args.get("edit"):
        perm.require(perm.can_edit_company(current_user, company))
        ctx["editing"] = True
    return render_template("crm/_company_field.html", **ctx)


@bp.route("/companies/<int:company_id>/delete", methods=["POST"])
def company_delete(company_id: int):
    """Soft delete: the company disappears from lists and search; an admin can restore it."""
    company = _company_or_404(company_id)
    perm.require(perm.can_delete_company(current_user, company))
    companies_service.soft_delete_company(db.session, company_id, current_user.id)
    db.session.commit()
    flash(_("Company %(name)s deleted. An admin can restore it under “Deleted companies”.",
            name=company.display_name), "success")
    return redirect(url_for("crm.companies"))


@bp.route("/companies/deleted")
def deleted_companies():
    """Admins see what was deleted, by whom and when, and can undo it."""
    perm.require(perm.is_admin(current_user))
    return render_template("crm/deleted.html", companies=companies_service.deleted_companies(db.session),
                           users={u.id: u for u in db.session.scalars(select(User))})


@bp.route("/companies/<int:company_id>/restore", methods=["POST"])
def company_restore(company_id: int):
    """Undo a soft delete."""
    company = _company_or_404(company_id, include_deleted=True)
    perm.require(perm.can_restore_company(current_user, company))
    companies_service.restore_company(db.session, company_id)
    db.session.commit()
    flash(_("Company %(name)s restored.", name=company.display_name), "success")
    return redirect(url_for("crm.company", company_id=company_id))


# ---------------------------------------------------------------- phones, emails, addresses of a company

def _points(company: Company, status: int = 200, errors: dict | None = None, address_form=None, editing=None):
    db.session.refresh(company)
    return render_template("crm/_points.html", company=company, errors=errors or {},
                           address_form=address_form or AddressForm(formdata=None), editing=editing,
                           can_edit=perm.can_edit_company(current_user, company)), status


@bp.route("/companies/<int:company_id>/points", methods=["GET"])
def company_points(company_id: int):
    """The phones, emails and addresses section (also closes an address being edited)."""
    return _points(_company_or_404(company_id))


@bp.route("/companies/<int:company_id>/points/<kind>", methods=["POST"])
def company_point_add(company_id: int, kind: str):
    """Add a phone or email to the company itself, or an address."""
    company = _company_or_404(company_id)
    perm.require(perm.can_edit_company(current_user, company))
    try:
        if kind == "phone":
            contact_points.add_company_phone(db.session, company_id, request.form.get("value", ""), _region())
        elif kind == "email":
            contact_points.add_company_email(db.session, company_id, request.form.get("value", ""))
        elif kind == "address":
            form = AddressForm()
            if not form.validate():
                return _points(company, 422, address_form=form)
            contact_points.save_address(db.session, company_id, form.data)
        else:
            abort(404)
        db.session.commit()
    except FieldErrors as exc:
        db.session.rollback()
        if kind == "address":
            form = AddressForm()
            attach_errors(form, exc.errors)
            return _points(company, 422, address_form=form)
        return _points(company, 422, errors={kind: next(iter(exc.errors.values())), "value": request.form.get("value")})
    return _points(company)


def _point_or_404(kind: str, point_id: int):
    """A phone, email or address and its company; editing it follows its contact or company."""
    try:
        point = contact_points.get_point(db.session, kind, point_id)
    except LookupError:
        abort(404)
    contact = getattr(point, "contact", None)
    company = _company_or_404(point.company_id) if point.company_id else None
    if contact is not None:
        perm.require(perm.can_edit_contact(current_user, contact))
    elif company is None:
        abort(404)
    else:
        perm.require(perm.can_edit_company(current_user, company))
    return point, company


@bp.route("/points/<kind>/<int:point_id>/verify", methods=["POST"])
def point_verify(kind: str, point_id: int):
    """Someone checked this phone, email or address: record when and who."""
    point, company = _point_or_404(kind, point_id)
    contact_points.verify_point(db.session, kind, point_id, current_user.id)
    db.session.commit()
    if getattr(point, "contact_id", None):
        return redirect(url_for("crm.contact", contact_id=point.contact_id))
    return _points(company)


@bp.route("/points/<kind>/<int:point_id>/remove", methods=["POST"])
def point_remove(kind: str, point_id: int):
    """Remove a phone, email or address."""
    point, company = _point_or_404(kind, point_id)
    contact_id = getattr(point, "contact_id", None)
    contact_points.remove_point(db.session, kind, point_id)
    db.session.commit()
    if contact_id:
        return redirect(url_for("crm.contact", contact_id=contact_id))
    return _points(company)


@bp.route("/addresses/<int:address_id>", methods=["GET", "POST"])
def address_edit(address_id: int):
    """Edit an address in place within the section."""
    address, company = _point_or_404("address", address_id)
    if request.method == "GET":
        return _points(company, editing=(address.id, AddressForm(obj=address)))
    form = AddressForm()
    if form.validate() and _saved(form, lambda: contact_points.save_address(db.session, company.id, form.data, address_id)):
        return _points(company)
    return _points(company, 422, editing=(address.id, form))


# ---------------------------------------------------------------- timeline and activities

def _deal_choices(company: Company) -> list:
    """The company's deals as (id, title), newest first: what an activity can be logged against."""
    return db.session.execute(select(Deal.id, Deal.title).where(Deal.company_id == company.id)
                              .order_by(Deal.created_at.desc())).all()


def _activity_form(company: Company, formdata=None, deals: list | None = None) -> ActivityForm:
    """The form to log an activity; `deals` are the company's (id, title) pairs when the caller has them."""
    form = ActivityForm(formdata=formdata)
    if formdata is None:
        form.occurred_at.data = to_user_timezone(datetime.utcnow()).replace(tzinfo=None, second=0, microsecond=0)
    if deals is None:
        deals = _deal_choices(company)
    form.contact_id.choices = options([(None, "—")] + [(c.id, c.name) for c in company.contacts])
    form.deal_id.choices = options([(None, "—")] + [(d.id, d.title) for d in deals])
    return form


@bp.route("/companies/<int:company_id>/timeline")
def company_timeline_page(company_id: int):
    """Older timeline items, fetched by the “Older” button."""
    company = _company_or_404(company_id)
    before = request.args.get("before")
    try:
        before_at = datetime.fromisoformat(before) if before else None
    except ValueError:
        abort(400)
    return render_template("crm/_timeline_page.html", company=company,
                           timeline=company_timeline(db.session, company.id, before_at, viewer=current_user))


@bp.route("/companies/<int:company_id>/activities", methods=["POST"])
def activity_new(company_id: int):
    """Log a call, meeting, email or note; the timeline updates in the same response."""
    company = _company_or_404(company_id)
    perm.require(perm.can_log_activity(current_user, company))
    deals = _deal_choices(company)
    form = _activity_form(company, request.form, deals)
    if form.validate() and _saved(form, lambda: activities.log_activity(
            db.session, author_id=current_user.id, company_id=company.id, kind=form.kind.data,
            occurred_at=form.occurred_utc(), contact_id=form.contact_id.data, deal_id=form.deal_id.data,
            subject=form.subject.data or "", outcome=form.outcome.data)):
        return render_template("crm/_activity_form.html", company=company, activity_form=_activity_form(company, deals=deals),
                               timeline=company_timeline(db.session, company.id, viewer=current_user), logged=True)
    return render_template("crm/_activity_form.html", company=company, activity_form=form), 422


# ---------------------------------------------------------------- contacts

@bp.route("/contacts")
def contacts():
    """Current contacts: search by name, position, phone or email; filter by do-not-contact."""
    args = request.args
    filters = {"q": (args.get("q") or "").strip()[:200], "dnc": args.get("dnc") or None,
               "company": args.get("company", type=numbers.record_id)}
    sort = args.get("sort", "name")
    page = contacts_service.contact_list(db.session, filters, sort, args.get("page", 1, type=numbers.page_number),
                            current_app.config["PAGE_SIZE"], _region())
    return render("crm/contacts.html", "crm/_contacts_table.html", page=page, filters=filters, sort=sort)


def _contact_or_404(contact_id: int) -> Contact:
    try:
        return contacts_service.get_contact(db.session, contact_id)
    except LookupError:
        abort(404)


@bp.route("/contacts/<int:contact_id>")
def contact(contact_id: int):
    """A person: position, company, phones and emails with their verification, do-not-contact."""
    contact = _contact_or_404(contact_id)
    return render_template("crm/contact.html", contact=contact,
                           can_edit=perm.can_edit_contact(current_user, contact))


ROW_ACTION = re.compile(r"(add)-(phones|emails)|(remove)-(phones|emails)-([0-9]{1,3})")


def _contact_form_rows(form: ContactForm) -> None:
    """Add or remove a phone/email row when the person pressed one of those buttons instead of Save."""
    action = ROW_ACTION.fullmatch(request.form.get("row_action", ""))
    if action is None:
        form.refused = True
        form.form_errors.append(_("This button is not on the form; reload the page and try again."))
        return
    if action[1]:
        getattr(form, action[2]).append_entry()
        return
    rows = getattr(form, action[4])
    kept = [e.data for i, e in enumerate(rows.entries) if i != int(action[5])]
    while rows.entries:
        rows.pop_entry()
    for value in kept or [""]:
        rows.append_entry(value)


def _save_contact(form: ContactForm, contact: Contact | None, shown=None):
    if request.form.get("row_action"):
        _contact_form_rows(form)
        return None
    missing = [name for name in ("phones", "emails") if not any(k.startswith(f"{name}-") for k in request.form)]
    if request.method == "POST" and missing:
        # The form always sends its rows (an empty one at least); without them we cannot tell what to keep.
        for name in missing:
            rows = getattr(form, name)
            while rows.entries:
                rows.pop_entry()
            rows.append_entry("")
        form.validate()
        form.refused = True
        form.form_errors.append(_("The phone and email rows are missing from the form; reload the page and try again."))
        return None
    if not form.validate_on_submit():
        return None
    data = {k: form[k].data for k in contacts_service.CONTACT_FIELDS}
    # The company the contact is saved into is the form's, whatever the URL said: that is the one checked.
    if form.company_id.data and (contact is None or form.company_id.data != contact.company_id):
        target = db.session.get(Company, form.company_id.data)
        if target is not None:
            perm.require(perm.can_edit_company(current_user, target))
    original = stale.shown_values(shown, (*contacts_service.CONTACT_FIELDS, "phones", "emails")) if contact else None
    saved = _saved(form, lambda: contacts_service.save_contact(
        db.session, data, [e.data for e in form.phones], [e.data for e in form.emails], _region(),
        contact.id if contact else None, _version(form.version.data) if contact else None, original))
    if saved is None:
        return None
    flash(_("Contact saved."), "success")
    return redirect(url_for("crm.contact", contact_id=saved.id))


@bp.route("/contacts/new", methods=["GET", "POST"])
def contact_new():
    """Add a person, usually from their company's page."""
    form = ContactForm()
    company_id = form.company_id.data if request.method == "POST" else request.args.get("company_id", type=numbers.record_id)
    company = db.session.get(Company, company_id) if company_id else None
    if company is not None:
        perm.require(perm.can_edit_company(current_user, company))
        if request.method == "GET":
            form.company_id.data = company.id
    done = _save_contact(form, None)
    if done is not None:
        return done
    status = 422 if form.is_submitted() and (getattr(form, "refused", False) or not request.form.get("row_action")) else 200
    return render_template("crm/contact_form.html", form=form, contact=None, company=company), status


@bp.route("/contacts/<int:contact_id>/edit", methods=["GET", "POST"])
def contact_edit(contact_id: int):
    """Edit a person and their phones and emails; a stale copy is refused."""
    contact = _contact_or_404(contact_id)
    perm.require(perm.can_edit_contact(current_user, contact))
    form = ContactForm(obj=contact)
    if request.method == "GET":
        _contact_form_points(form, contact)
    shown = stale.shown_form(ContactForm) if request.method == "POST" else None
    try:
        done = _save_contact(form, contact, shown)
    except Conflict as exc:
        db.session.expire_all()
        current = _contact_form_points(ContactForm(obj=contact, formdata=None), contact)
        return _conflict_response("crm/contact_form.html", exc, form, shown=shown, current=current, contact=contact,
                                  company=contact.company)
    if done is not None:
        return done
    status = 422 if form.is_submitted() and (getattr(form, "refused", False) or not request.form.get("row_action")) \
        else 200
    return render_template("crm/contact_form.html", form=form, contact=contact, company=contact.company,
                           originals=stale.original_inputs(shown or form)), status


def _contact_form_points(form: ContactForm, contact: Contact) -> ContactForm:
    """The edit form's phone and email rows for a stored contact (one empty row when there is none)."""
    form.phones.entries.clear()
    form.emails.entries.clear()
    for p in contact.phones:
        form.phones.append_entry(contact_points.format_phone(p.e164))
    for e in contact.emails:
        form.emails.append_entry(e.address)
    form.phones.append_entry("") if not contact.phones else None
    form.emails.append_entry("") if not contact.emails else None
    return form


@bp.route("/contacts/<int:contact_id>/delete", methods=["POST"])
def contact_delete(contact_id: int):
    """Remove a person from the base (kept in history)."""
    contact = _contact_or_404(contact_id)
    perm.require(perm.can_edit_contact(current_user, contact))
    company_id = contact.company_id
    contacts_service.soft_delete_contact(db.session, contact_id, current_user.id)
    db.session.commit()
    flash(_("Contact deleted."), "success")
    return redirect(url_for("crm.company", company_id=company_id) if company_id else url_for("crm.contacts"))


# ---------------------------------------------------------------- deals and products

def _deal_form(company: Company, deal: Deal | None) -> DealForm:
    form = DealForm(obj=deal)
    if deal is not None and request.method == "GET":
        while form.lines.entries:
            form.lines.pop_entry()
        for line in deal.lines:
            form.lines.append_entry({"product_id": line.product_id, "quantity": line.quantity, "amount": line.amount})
        form.lines.append_entry()
    form.contact_id.choices = options([(None, "—")] + [(c.id, c.name) for c in company.contacts])
    keep = deal.owner_id if deal is not None else None
    form.owner_id.choices = options([(None, "—")] + [(u.id, u.name) for u in org.active_people(db.session)
                                                     if u.id == keep or perm.can_give_deal_to(current_user, u)])
    _product_choices(form)
    if deal is None and request.method == "GET":
        form.owner_id.data = current_user.id
    return form


def _product_choices(form: DealForm) -> None:
    products = options([(None, "—")] + [(p.id, f"{p.name} ({p.product_line})") for p in db.session.scalars(
        select(Product).where(Product.active.is_(True)).order_by(Product.product_line, Product.name))])
    for entry in form.lines:
        entry.form.product_id.choices = products


def _save_deal(company: Company, deal: Deal | None):
    if deal is not None:
        perm.require(perm.can_edit_deal(current_user, deal))
    form = _deal_form(company, deal)
    if request.form.get("row_action") == "add-line":
        form.lines.append_entry()
        _product_choices(form)
        return render_template("crm/deal_form.html", form=form, company=company, deal=deal)
    if form.validate_on_submit():
        data = {k: form[k].data for k in ("title", "contact_id", "owner_id", "stage", "lost_reason", "expected_close")}
        lines = [e.form.data for e in form.lines]
        try:
            saved = _saved(form, lambda: deals_service.save_deal(db.session, company.id, data, lines, deal.id if deal else None,
                                                       _version(form.version.data) if deal else None, by=current_user))
        except Conflict as exc:
            return _conflict_response("crm/deal_form.html", exc, form, company=company, deal=deal)
        if saved is not None:
            flash(_("Deal saved."), "success")
            return redirect(url_for("crm.company", company_id=company.id))
    status = 422 if form.is_submitted() else 200
    return render_template("crm/deal_form.html", form=form, company=company, deal=deal), status


@bp.route("/companies/<int:company_id>/deals/new", methods=["GET", "POST"])
def deal_new(company_id: int):
    """Open a deal with this company; anyone who sells may."""
    return _save_deal(_company_or_404(company_id), None)


@bp.route("/deals/<int:deal_id>/edit", methods=["GET", "POST"])
def deal_edit(deal_id: int):
    """Change a deal: its owner, their unit or an admin."""
    deal = db.session.get(Deal, deal_id)
    if deal is None:
        abort(404)
    return _save_deal(_company_or_404(deal.company_id), deal)


@bp.route("/products")
def products():
    """The catalogue: what the company sells, by product line."""
    items = db.session.scalars(select(Product).order_by(Product.product_line, Product.name)).all()
    return render_template("crm/products.html", products=items, can_edit=perm.can_edit_products(current_user))


@bp.route("/products/new", methods=["GET", "POST"], defaults={"product_id": None})
@bp.route("/products/<int:product_id>/edit", methods=["GET", "POST"])
def product_edit(product_id: int | None):
    """Admins add and change catalogue entries."""
    perm.require(perm.can_edit_products(current_user))
    product = db.session.get(Product, product_id) if product_id else None
    if product_id and product is None:
        abort(404)
    form = ProductForm(obj=product)
    if form.validate_on_submit() and _saved(form, lambda: products_service.save_product(db.session, form.data, product_id)):
        flash(_("Product saved."), "success")
        return redirect(url_for("crm.products"))
    return render_template("crm/product_form.html", form=form, product=product), 422 if form.is_submitted() else 200


# ---------------------------------------------------------------- history and search

@bp.route("/history/<entity_type>/<int:entity_id>")
def history(entity_type: str, entity_id: int):
    """Who changed what and when, field by field."""
    model = HISTORY_MODELS.get(entity_type)
    record = db.session.get(model, entity_id) if model else None
    if record is None or not perm.can_read_history(current_user, record if model is Company else record.company):
        abort(404)
    return render_template("crm/history.html", record=record, entity_type=entity_type,
                           entries=audit.history(db.session, entity_type, entity_id))


@bp.route("/companies/pick")
def company_picker():
    """The company picker's list (contact form, key-account form): companies the one search finds."""
    q = request.args.get("q", "").strip()[:200]
    target = re.sub(r"[^\w-]", "", request.args.get("target", "company_id"))[:40] or "company_id"
    hits = search_service.search(db.session, q, _region(), limit=10, kinds=("company",)) if q else []
    return render_template("crm/_company_picker_hits.html", q=q, hits=hits, target=target,
                           highlight=search_service.highlight)


@bp.route("/search")
def search():
    """Active search: companies and contacts by name, phone in any format, email, INN or city."""
    q = request.args.get("q", "").strip()[:200]
    hits = search_service.search(db.session, q, _region()) if q else []
    return render("crm/search.html", "crm/_search_results.html", q=q,
                  hits=search_service.describe_hits(db.session, hits, q, _region()), highlight=search_service.highlight)
