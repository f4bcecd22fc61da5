"""The client base's rules: validation, saves that refuse stale copies, soft delete, deals, activities, timeline.

Functions work on a session and ids, flush but never commit (the caller owns the transaction), and raise
FieldErrors (per-field messages, nothing saved) or Conflict (someone else saved first, nothing overwritten).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from flask import has_request_context
from flask_babel import gettext, pgettext
from markupsafe import Markup, escape
from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from app.i18n import spoken_locale
from app.models.audit import AuditEntry
from app.models.base import utcnow
from app.models.companies import ADDRESS_KINDS, COMPANY_STATUSES, Address, Company, Tag, company_tags
from app.models.contacts import Contact, Email, Phone
from app.models.sales import ACTIVITY_KINDS, DEAL_STAGES, Activity, Deal, DealLine, Product
from app.models.search import SearchToken
from app.services import audit
from app.services.actor import current_actor_id
from app.services.timeline import TimelineItem

COMPANY_FIELDS = ("legal_name", "legal_form", "inn", "country", "client_type_id", "industry", "region", "city",
                  "status", "account_manager_id", "source", "external_id", "website", "notes")
# Fields the company page edits in place (click-to-edit).
INLINE_FIELDS = ("legal_name", "legal_form", "inn", "industry", "region", "city", "status", "source", "website")
CONTACT_FIELDS = ("name", "position", "company_id", "do_not_contact", "do_not_contact_at", "do_not_contact_reason",
                  "notes")
ADDRESS_FIELDS = ("kind", "postcode", "region", "city", "street", "country")
COUNT_CAP = 10_000
POINT_MODELS = {"phone": Phone, "email": Email, "address": Address}


class FieldErrors(ValueError):
    """Bad input: a message per field, and nothing was saved."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class Conflict(Exception):
    """The record changed since the person opened it; their save was refused."""

    def __init__(self, entity_type: str, entity_id: int, changes: list[AuditEntry], current_version: int):
        super().__init__(f"{entity_type} {entity_id} changed since it was opened")
        self.entity_type, self.entity_id = entity_type, entity_id
        self.changes, self.current_version = changes, current_version


def _(message: str, **kwargs) -> str:
    """Translate inside a request or a speaking() block (a job); commands without one get the English text."""
    if has_request_context() or spoken_locale():
        return gettext(message, **kwargs)
    return message % kwargs if kwargs else message


def _p(context: str, message: str) -> str:
    """pgettext under the same rule as _(): one English word that needs two Russian ones."""
    return pgettext(context, message) if has_request_context() or spoken_locale() else message


# ---------------------------------------------------------------- field rules (also used by the forms)

def inn_error(inn: str | None, country: str | None = "RU") -> str | None:
    """A Russian INN has 10 or 12 digits whose check digits agree; other countries' tax ids are free text."""
    if not inn:
        return None
    if (country or "RU").upper() != "RU":
        return None
    if not re.fullmatch(r"\d{10}|\d{12}", inn):
        return _("A Russian INN has 10 digits (organisations) or 12 digits (sole traders).")
    d = [int(c) for c in inn]

    def check(weights):
        return sum(a * w for a, w in zip(d, weights)) % 11 % 10

    if len(d) == 10:
        ok = check([2, 4, 10, 3, 5, 9, 4, 6, 8]) == d[9]
    else:
        ok = (check([7, 2, 4, 10, 3, 5, 9, 4, 6, 8]) == d[10]
              and check([3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8]) == d[11])
    return None if ok else _("This INN's check digits do not match: check it for a typo.")


def normalize_phone(raw: str, region: str) -> str:
    """Any written form of a phone becomes E.164, so every spelling finds the same number."""
    try:
        num = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        num = None
    if num is None or not phonenumbers.is_valid_number(num):
        raise FieldErrors({"phone": _("“%(value)s” is not a phone number we can read.", value=raw)})
    return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str) -> str:
    """Show a stored phone the way people read it (+7 495 123-45-67)."""
    try:
        return phonenumbers.format_number(phonenumbers.parse(e164, None), phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        return e164


def normalize_email(raw: str) -> str:
    """A valid address, lower-cased; no DNS lookup (the network may be closed)."""
    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise FieldErrors({"email": _("“%(value)s” is not a valid email address.", value=raw)}) from None


def future_error(value: date | datetime | None) -> str | None:
    """Things that already happened cannot be dated in the future."""
    if value is None:
        return None
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        future = aware > utcnow()
    else:
        future = value > utcnow().date()
    return _("This date is in the future; it must be today or earlier.") if future else None


def _length_errors(model, data: dict) -> dict[str, str]:
    """Refuse values longer than their column, with the limit in the message."""
    errors = {}
    for key, value in data.items():
        col = model.__table__.columns.get(key)
        limit = getattr(getattr(col, "type", None), "length", None)
        if limit and isinstance(value, str) and len(value) > limit:
            errors[key] = _("Too long: at most %(max)d characters (you entered %(n)d).", max=limit, n=len(value))
    return errors


def _clean(data: dict, fields) -> dict:
    """Keep the known fields; blank text becomes None."""
    out = {}
    for key in fields:
        if key in data:
            value = data[key]
            if isinstance(value, str):
                value = value.strip() or None
            out[key] = value
    return out


def _raise(errors: dict[str, str]) -> None:
    if errors:
        raise FieldErrors(errors)


# ---------------------------------------------------------------- companies

def company_errors(data: dict) -> dict[str, str]:
    errors = _length_errors(Company, data)
    if "legal_name" in data and not data.get("legal_name"):
        errors["legal_name"] = _("The legal name is required.")
    if data.get("inn") and "inn" not in errors:
        msg = inn_error(data["inn"], data.get("country") or "RU")
        if msg:
            errors["inn"] = msg
    if "status" in data and data["status"] not in COMPANY_STATUSES:
        errors["status"] = _("Choose a status from the list.")
    return errors


def create_company(session: Session, data: dict, tags: list[str] | None = None) -> Company:
    """A new client; its name is checked, its INN validated."""
    data = _clean(data, COMPANY_FIELDS)
    data.setdefault("status", "prospect")
    data["country"] = (data.get("country") or "RU").upper()
    _raise(company_errors(data))
    company = Company(**data, name_sort=data["legal_name"].lower())
    session.add(company)
    session.flush()
    if tags is not None:
        set_tags(session, company, tags)
    return company


def _check_version(session: Session, record, entity_type: str, version: int | None) -> None:
    if version is not None and record.version != version:
        raise Conflict(entity_type, record.id, audit.changes_since(session, entity_type, record.id, version),
                       record.version)


def _flush_or_conflict(session: Session, model, entity_type: str, record_id: int, version: int | None) -> None:
    """SQLAlchemy's own version check catches a save that raced past ours."""
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        fresh = session.get(model, record_id)
        raise Conflict(entity_type, record_id, audit.changes_since(session, entity_type, record_id, version or 0),
                       fresh.version) from None


def update_company(session: Session, company_id: int, data: dict, version: int | None,
                   tags: list[str] | None = None) -> Company:
    """Save changes made on a copy of `version`; a stale copy raises Conflict and changes nothing."""
    company = get_company(session, company_id)
    data = _clean(data, COMPANY_FIELDS)
    if "country" in data:
        data["country"] = (data["country"] or "RU").upper()
    check = dict(data)
    if "inn" in check:
        check.setdefault("country", company.country)
    _raise(company_errors(check))
    _check_version(session, company, "companies", version)
    for key, value in data.items():
        setattr(company, key, value)
    if "legal_name" in data:
        company.name_sort = data["legal_name"].lower()
    if tags is not None:
        set_tags(session, company, tags)
    _flush_or_conflict(session, Company, "companies", company_id, version)
    return company


def get_company(session: Session, company_id: int, include_deleted: bool = False) -> Company:
    company = session.get(Company, company_id)
    if company is None or (company.deleted_at is not None and not include_deleted):
        raise LookupError(company_id)
    return company


def parse_tags(text: str | None) -> list[str]:
    """Tags typed as a comma-separated line, trimmed, without repeats."""
    seen: dict[str, str] = {}
    for part in (text or "").split(","):
        name = part.strip()[:60]
        if name and name.lower() not in seen:
            seen[name.lower()] = name
    return list(seen.values())


def set_tags(session: Session, company: Company, names: list[str]) -> None:
    """Replace the company's tags, creating new ones; the change goes into its history."""
    old = sorted(t.name for t in company.tags)
    existing = {t.name.lower(): t for t in session.scalars(select(Tag).where(func.lower(Tag.name).in_(
        [n.lower() for n in names])))} if names else {}
    tags = []
    for name in names:
        tag = existing.get(name.lower())
        if tag is None:
            tag = Tag(name=name)
            session.add(tag)
            existing[name.lower()] = tag
        tags.append(tag)
    company.tags = tags
    new = sorted(t.name for t in tags)
    if old != new:
        session.add(AuditEntry(entity_type="companies", entity_id=company.id, company_id=company.id, action="update",
                               field="tags", old_value=", ".join(old) or None, new_value=", ".join(new) or None,
                               version=company.version, user_id=current_actor_id()))


def soft_delete_company(session: Session, company_id: int, user_id: int) -> Company:
    """Hide a company everywhere; an admin can bring it back."""
    company = get_company(session, company_id)
    company.deleted_at = utcnow()
    company.deleted_by_id = user_id
    session.flush()
    return company


def restore_company(session: Session, company_id: int) -> Company:
    """Undo a soft delete; recorded as a restore in the history."""
    company = get_company(session, company_id, include_deleted=True)
    company.deleted_at = None
    company.deleted_by_id = None
    session.flush()
    return company


def deleted_companies(session: Session, limit: int = 200) -> list[Company]:
    return list(session.scalars(select(Company).where(Company.deleted_at.is_not(None))
                                .order_by(Company.deleted_at.desc()).limit(limit)))


@dataclass
class ListPage:
    """One page of a list, with a count that stops at COUNT_CAP so it stays cheap on big tables."""

    items: list
    page: int
    per_page: int
    total: int
    capped: bool

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page * self.per_page < self.total

    @property
    def pages(self) -> int | None:
        return None if self.capped else max(1, -(-self.total // self.per_page))


def _page(session: Session, model, stmt, order, page: int, per_page: int, options=()) -> ListPage:
    """Page through ids alone (read from an index), then load just that page's rows with what they show."""
    page = max(1, page)
    ids_stmt = stmt.with_only_columns(model.id)
    total = session.scalar(select(func.count()).select_from(ids_stmt.limit(COUNT_CAP + 1).subquery()))
    ids = list(session.scalars(ids_stmt.order_by(*order).limit(per_page).offset((page - 1) * per_page)))
    rows = {r.id: r for r in session.scalars(select(model).options(*options).where(model.id.in_(ids)))} if ids else {}
    return ListPage([rows[i] for i in ids], page, per_page, min(total, COUNT_CAP), total > COUNT_CAP)


COMPANY_SORTS = {
    "name": (Company.name_sort, Company.id),
    "city": (Company.city, Company.name_sort, Company.id),
    "created": (Company.created_at.desc(), Company.id.desc()),
}


def _prefix(col, text: str):
    """Starts-with on an indexed column; the first letter is tried as typed and capitalised."""
    variants = {text, text[:1].upper() + text[1:]}
    cond = None
    for v in variants:
        c = (col >= v) & (col < v + "\U0010ffff")
        cond = c if cond is None else (cond | c)
    return cond


def company_list(session: Session, filters: dict, sort: str = "name", page: int = 1, per_page: int = 50) -> ListPage:
    """Current companies filtered by type, region, city, status, manager and tag."""
    stmt = select(Company).where(Company.deleted_at.is_(None))
    if filters.get("client_type"):
        stmt = stmt.where(Company.client_type_id == filters["client_type"])
    if filters.get("status"):
        stmt = stmt.where(Company.status == filters["status"])
    if filters.get("manager"):
        stmt = stmt.where(Company.account_manager_id == filters["manager"])
    if filters.get("region"):
        stmt = stmt.where(_prefix(Company.region, filters["region"]))
    if filters.get("city"):
        stmt = stmt.where(_prefix(Company.city, filters["city"]))
    if filters.get("tag"):
        stmt = stmt.where(Company.id.in_(select(company_tags.c.company_id).where(company_tags.c.tag_id == filters["tag"])))
    return _page(session, Company, stmt, COMPANY_SORTS.get(sort, COMPANY_SORTS["name"]), page, per_page)


def contact_list(session: Session, filters: dict, sort: str = "name", page: int = 1, per_page: int = 50,
                 region: str = "RU") -> ListPage:
    """Current contacts, searched by every word of name, position, phone or email (the first
    SEARCH_CAP matches of each word, as in the search box)."""
    stmt = select(Contact).where(Contact.deleted_at.is_(None))
    if filters.get("q"):
        stmt = stmt.where(Contact.id.in_(_contact_matches(session, filters["q"], region)))
    if filters.get("company"):
        stmt = stmt.where(Contact.company_id == filters["company"])
    if filters.get("dnc") == "yes":
        stmt = stmt.where(Contact.do_not_contact.is_(True))
    elif filters.get("dnc") == "no":
        stmt = stmt.where(Contact.do_not_contact.is_(False))
    order = (Contact.created_at.desc(), Contact.id.desc()) if sort == "created" else (Contact.name, Contact.id)
    return _page(session, Contact, stmt, order, page, per_page,
                 (joinedload(Contact.company), selectinload(Contact.phones), selectinload(Contact.emails)))


SEARCH_CAP = 5000


def _contact_matches(session: Session, q: str, region: str) -> list[int]:
    """Contact ids whose search tokens match every word of the query, driven by the index of tokens."""
    from app.services.search import _prefix as token_prefix
    from app.services.search import _query_terms

    ids: set[int] | None = None
    for alts in _query_terms(q, region):
        if max(len(a) for a in alts) < 2:
            continue
        cond = None
        for a in alts:
            c = token_prefix(SearchToken.token, a)
            cond = c if cond is None else (cond | c)
        found = set(session.scalars(select(SearchToken.entity_id).where(cond, SearchToken.kind == "contact")
                                    .limit(SEARCH_CAP)))
        ids = found if ids is None else ids & found
    return sorted(ids or [])


# ---------------------------------------------------------------- phones, emails, addresses

def add_company_phone(session: Session, company_id: int, raw: str, region: str) -> Phone:
    """A phone of the company itself (switchboard, office)."""
    get_company(session, company_id)
    phone = Phone(company_id=company_id, e164=normalize_phone(raw, region), kind="work")
    session.add(phone)
    session.flush()
    return phone


def add_company_email(session: Session, company_id: int, raw: str) -> Email:
    get_company(session, company_id)
    email = Email(company_id=company_id, address=normalize_email(raw))
    session.add(email)
    session.flush()
    return email


def get_point(session: Session, kind: str, point_id: int):
    model = POINT_MODELS.get(kind)
    point = session.get(model, point_id) if model else None
    if point is None:
        raise LookupError(point_id)
    return point


def verify_point(session: Session, kind: str, point_id: int, user_id: int, at: datetime | None = None):
    """Someone confirmed this phone, email or address is right: remember when and who."""
    at = at or utcnow()
    _raise({"verified_at": msg} if (msg := future_error(at)) else {})
    point = get_point(session, kind, point_id)
    point.verified_at, point.verified_by_id = at, user_id
    point.flagged_invalid, point.flag_reason = False, None
    session.flush()
    return point


def remove_point(session: Session, kind: str, point_id: int) -> int | None:
    """Remove a phone, email or address; its company id is returned for re-rendering."""
    point = get_point(session, kind, point_id)
    company_id = point.company_id
    session.delete(point)
    session.flush()
    return company_id


def address_errors(data: dict) -> dict[str, str]:
    errors = _length_errors(Address, data)
    if not data.get("street"):
        errors["street"] = _("The street line is required.")
    if data.get("kind") not in ADDRESS_KINDS:
        errors["kind"] = _("Choose legal, postal or delivery.")
    return errors


def save_address(session: Session, company_id: int, data: dict, address_id: int | None = None) -> Address:
    """Add or change a legal, postal or delivery address."""
    data = _clean(data, ADDRESS_FIELDS)
    data["country"] = (data.get("country") or "RU").upper()
    _raise(address_errors(data))
    if address_id is None:
        get_company(session, company_id)
        address = Address(company_id=company_id, **data)
        session.add(address)
    else:
        address = get_point(session, "address", address_id)
        for key, value in data.items():
            setattr(address, key, value)
    session.flush()
    return address


# ---------------------------------------------------------------- contacts

def contact_errors(data: dict) -> dict[str, str]:
    errors = _length_errors(Contact, data)
    if "name" in data and not data.get("name"):
        errors["name"] = _("The name is required.")
    if data.get("do_not_contact"):
        if not data.get("do_not_contact_reason") and "do_not_contact_reason" not in errors:
            errors["do_not_contact_reason"] = _("Say why this person must not be contacted.")
        if msg := future_error(data.get("do_not_contact_at")):
            errors["do_not_contact_at"] = msg
    return errors


def _points_from(raw_phones, raw_emails, region: str) -> tuple[list[str], list[str], dict[str, str]]:
    """Normalise every entered phone and email; errors are keyed phones-N / emails-N like the form rows."""
    phones, emails, errors = [], [], {}
    for i, raw in enumerate(raw_phones or []):
        if raw and raw.strip():
            try:
                phones.append(normalize_phone(raw.strip(), region))
            except FieldErrors as exc:
                errors[f"phones-{i}"] = exc.errors["phone"]
    for i, raw in enumerate(raw_emails or []):
        if raw and raw.strip():
            try:
                emails.append(normalize_email(raw))
            except FieldErrors as exc:
                errors[f"emails-{i}"] = exc.errors["email"]
    return list(dict.fromkeys(phones)), list(dict.fromkeys(emails)), errors


def _contact_data(data: dict) -> dict:
    data = _clean(data, CONTACT_FIELDS)
    data["do_not_contact"] = bool(data.get("do_not_contact"))
    if data["do_not_contact"]:
        dnc_at = data.get("do_not_contact_at")
        if isinstance(dnc_at, date) and not isinstance(dnc_at, datetime):
            dnc_at = datetime.combine(dnc_at, datetime.min.time(), tzinfo=timezone.utc)
        data["do_not_contact_at"] = dnc_at or utcnow()
    else:
        data["do_not_contact_at"] = data["do_not_contact_reason"] = None
    return data


def save_contact(session: Session, data: dict, phones: list[str], emails: list[str], region: str,
                 contact_id: int | None = None, version: int | None = None) -> Contact:
    """Create or change a contact with its phones and emails; a stale copy raises Conflict."""
    data = _contact_data(data)
    new_phones, new_emails, errors = _points_from(phones, emails, region)
    errors.update(contact_errors(data))
    if data.get("company_id") and session.get(Company, data["company_id"]) is None:
        errors["company_id"] = _("Choose a company from the list.")
    _raise(errors)
    if contact_id is None:
        contact = Contact(**data)
        session.add(contact)
        session.flush()
    else:
        contact = session.get(Contact, contact_id)
        if contact is None or contact.deleted_at is not None:
            raise LookupError(contact_id)
        _check_version(session, contact, "contacts", version)
        for key, value in data.items():
            setattr(contact, key, value)
    _sync_points(session, contact, new_phones, new_emails)
    _flush_or_conflict(session, Contact, "contacts", contact.id, version)
    return contact


def _sync_points(session: Session, contact: Contact, phones: list[str], emails: list[str]) -> None:
    """Keep the rows (and their verification) of numbers still listed; add new ones, remove the rest."""
    for model, values, attr, rel in ((Phone, phones, "e164", contact.phones), (Email, emails, "address", contact.emails)):
        kept = set()
        for row in list(rel):
            if getattr(row, attr) in values and getattr(row, attr) not in kept:
                kept.add(getattr(row, attr))
                row.company_id = contact.company_id
            else:
                rel.remove(row)
                session.delete(row)
        for value in values:
            if value not in kept:
                rel.append(model(company_id=contact.company_id, contact_id=contact.id, **{attr: value}))


def get_contact(session: Session, contact_id: int) -> Contact:
    contact = session.get(Contact, contact_id)
    if contact is None or contact.deleted_at is not None:
        raise LookupError(contact_id)
    return contact


def soft_delete_contact(session: Session, contact_id: int, user_id: int) -> Contact:
    contact = get_contact(session, contact_id)
    contact.deleted_at, contact.deleted_by_id = utcnow(), user_id
    session.flush()
    return contact


# ---------------------------------------------------------------- deals and the catalogue

def _decimal(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value).replace(",", ".").replace(" ", ""))
    except InvalidOperation:
        return None


def save_deal(session: Session, company_id: int, data: dict, lines: list[dict], deal_id: int | None = None,
              version: int | None = None) -> Deal:
    """Create or change a deal; its amount is the sum of its lines; a lost deal needs a reason."""
    company = get_company(session, company_id)
    data = _clean(data, ("title", "contact_id", "owner_id", "stage", "lost_reason", "expected_close"))
    errors = _length_errors(Deal, data)
    if not data.get("title"):
        errors["title"] = _("The deal needs a title.")
    if data.get("stage") not in DEAL_STAGES:
        errors["stage"] = _("Choose a stage from the list.")
    if data.get("stage") == "lost" and not data.get("lost_reason"):
        errors["lost_reason"] = _("Say why the deal was lost.")
    if data.get("contact_id"):
        contact = session.get(Contact, data["contact_id"])
        if contact is None or contact.company_id != company.id:
            errors["contact_id"] = _("Choose a contact of this company.")
    clean_lines = []
    for i, line in enumerate(lines):
        if not line.get("product_id"):
            continue
        product = session.get(Product, int(line["product_id"]))
        qty = _decimal(line.get("quantity")) or Decimal(1)
        amount = _decimal(line.get("amount"))
        if product is None:
            errors[f"lines-{i}-product_id"] = _("Choose a product from the catalogue.")
            continue
        if qty <= 0 or (amount is not None and amount < 0):
            errors[f"lines-{i}-amount"] = _("Quantity and amount cannot be negative.")
            continue
        clean_lines.append((product, qty, amount if amount is not None else (product.price * qty).quantize(Decimal("0.01"))))
    if data.get("stage") != "lost":
        data["lost_reason"] = None
    _raise(errors)
    if deal_id is None:
        deal = Deal(company_id=company.id)
        session.add(deal)
    else:
        deal = session.get(Deal, deal_id)
        if deal is None or deal.company_id != company.id:
            raise LookupError(deal_id)
        _check_version(session, deal, "deals", version)
    was_closed = deal.stage in ("won", "lost")
    for key, value in data.items():
        setattr(deal, key, value)
    if deal.stage in ("won", "lost") and not was_closed:
        deal.closed_on = utcnow().date()
    elif deal.stage not in ("won", "lost"):
        deal.closed_on = None
    deal.lines.clear()
    for product, qty, amount in clean_lines:
        deal.lines.append(DealLine(product=product, quantity=qty, amount=amount))
    deal.recompute_amount()
    _flush_or_conflict(session, Deal, "deals", deal.id or 0, version)
    return deal


def save_product(session: Session, data: dict, product_id: int | None = None) -> Product:
    """Add or change a catalogue entry."""
    data = _clean(data, ("name", "product_line", "price", "active"))
    errors = _length_errors(Product, data)
    for key in ("name", "product_line"):
        if not data.get(key):
            errors[key] = _("This field is required.")
    price = _decimal(data.get("price"))
    if price is None or price < 0:
        errors["price"] = _("Enter a price of 0 or more.")
    _raise(errors)
    data["price"] = price
    data["active"] = bool(data.get("active", True))
    product = Product() if product_id is None else session.get(Product, product_id)
    if product is None:
        raise LookupError(product_id)
    for key, value in data.items():
        setattr(product, key, value)
    session.add(product)
    session.flush()
    return product


# ---------------------------------------------------------------- activities

def log_activity(session: Session, *, author_id: int | None, company_id: int, kind: str, occurred_at: datetime,
                 contact_id: int | None = None, deal_id: int | None = None, subject: str = "",
                 outcome: str | None = None) -> Activity:
    """Record a call, meeting, email or note with a client; it shows on the company timeline at once."""
    errors = {}
    if kind not in ACTIVITY_KINDS:
        errors["kind"] = _("Choose call, meeting, email or note.")
    if occurred_at is None:
        errors["occurred_at"] = _("Say when it happened.")
    elif msg := future_error(occurred_at):
        errors["occurred_at"] = msg
    errors.update(_length_errors(Activity, {"subject": subject}))
    company = session.get(Company, company_id)
    if company is None or company.deleted_at is not None:
        raise LookupError(company_id)
    if contact_id:
        contact = session.get(Contact, contact_id)
        if contact is None or contact.company_id != company_id:
            errors["contact_id"] = _("Choose a contact of this company.")
    if deal_id:
        deal = session.get(Deal, deal_id)
        if deal is None or deal.company_id != company_id:
            errors["deal_id"] = _("Choose a deal of this company.")
    _raise(errors)
    if occurred_at.tzinfo is None:
        occurred_at = occurred_at.replace(tzinfo=timezone.utc)
    activity = Activity(kind=kind, occurred_at=occurred_at, author_id=author_id, company_id=company_id,
                        contact_id=contact_id or None, deal_id=deal_id or None, subject=(subject or "").strip(),
                        outcome=(outcome or "").strip() or None)
    session.add(activity)
    session.flush()
    return activity


# ---------------------------------------------------------------- timeline sources

def activity_timeline(session: Session, company_id: int, before: datetime | None, limit: int) -> list[TimelineItem]:
    """Calls, meetings, emails and notes."""
    stmt = select(Activity).where(Activity.company_id == company_id)
    if before is not None:
        stmt = stmt.where(Activity.occurred_at < before)
    rows = session.scalars(stmt.order_by(Activity.occurred_at.desc(), Activity.id.desc()).limit(limit))
    return [TimelineItem(a.occurred_at, f"activity {a.kind}", " · ".join(x for x in (
        activity_kind_label(a.kind), a.subject, a.contact.name if a.contact else None) if x), a.outcome,
        None, a.author.name if a.author else None) for a in rows]


def deal_timeline(session: Session, company_id: int, before: datetime | None, limit: int) -> list[TimelineItem]:
    """Deals as they were opened (their later changes come through the change source)."""
    stmt = select(Deal).where(Deal.company_id == company_id)
    if before is not None:
        stmt = stmt.where(Deal.created_at < before)
    rows = session.scalars(stmt.order_by(Deal.created_at.desc(), Deal.id.desc()).limit(limit))
    return [TimelineItem(d.created_at, "deal", _("Deal opened: %(title)s", title=d.title),
                         f"{stage_label(d.stage)} · {d.amount}", None, d.owner.name if d.owner else None) for d in rows]


def change_timeline(session: Session, company_id: int, before: datetime | None, limit: int) -> list[TimelineItem]:
    """Changes to the company and its contacts, phones, emails and addresses, one item per save."""
    stmt = select(AuditEntry).where(AuditEntry.company_id == company_id)
    stmt = stmt.where(~((AuditEntry.entity_type == "deals") & (AuditEntry.action == "create")))
    if before is not None:
        stmt = stmt.where(AuditEntry.at < before)
    rows = list(session.scalars(stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit * 8)))
    groups: dict[tuple, list[AuditEntry]] = {}
    for row in rows:
        groups.setdefault((row.at, row.entity_type, row.entity_id, row.user_id), []).append(row)
    items = []
    for (at, etype, eid, _uid), entries in groups.items():
        action = entries[0].action
        title = f"{entity_label(etype)} #{eid}: {action_label(action)}"
        body = "; ".join(f"{field_label(e.field)}: {field_value(etype, e.field, e.old_value) or '—'} → "
                         f"{field_value(etype, e.field, e.new_value) or '—'}" for e in entries if e.field)
        items.append(TimelineItem(at, "change", title, body or None, None,
                                  entries[0].user.name if entries[0].user else None))
    return items[:limit]


def entity_label(entity_type: str) -> str:
    return {"companies": _("Company"), "contacts": _("Contact"), "phones": _("Phone"), "emails": _("Email"),
            "addresses": _("Address"), "deals": _("Deal"), "responses": _("Response"),
            "plan_tasks": _("Plan task")}.get(entity_type, entity_type)


def action_label(action: str) -> str:
    return {"create": _("created"), "update": _("changed"), "delete": _("removed"), "soft_delete": _("deleted"),
            "restore": _("restored")}.get(action, action)


def field_label(field: str | None) -> str:
    """A recorded field as its form calls it, for the history, the timeline and a refused save."""
    return {"legal_name": _("Legal name"), "legal_form": _("Legal form"), "inn": _("INN"), "country": _("Country"),
            "client_type_id": _("Client type"), "industry": _("Industry"), "region": _("Region"), "city": _("City"),
            "status": _("Status"), "account_manager_id": _("Account manager"), "source": _("Source"),
            "external_id": _("External id"), "website": _("Website"), "notes": _("Notes"), "deleted_at": _("Deleted"),
            "company_id": _("Company"), "contact_id": _("Contact"), "name": _("Name"), "position": _("Position"),
            "do_not_contact": _("Do not contact"), "do_not_contact_at": _("Do not contact since"),
            "do_not_contact_reason": _("Why not contact"), "e164": _("Phone"), "extension": _("Extension"),
            "kind": _("Kind"), "address": _("Email"), "postcode": _("Postcode"), "street": _("Street line"),
            "verified_at": _("Last verified"), "flagged_invalid": _("Invalid"), "flag_reason": _("Reason"),
            "verified_by_id": _("Verified by"), "title": _("Title"), "owner_id": _("Owner"), "stage": _("Stage"),
            "lost_reason": _("Why it was lost"), "expected_close": _("Expected close"), "closed_on": _("Closed on"),
            "amount": _("Amount"), "campaign_id": _("Campaign"), "channel_id": _("Channel"), "received_at": _("When"),
            "company_name": _("Company name"), "message": _("Message"), "created_prospect": _("new prospect"),
            "handled_by_id": _("Handled by"), "disqualified_reason": _("Reason (when disqualified)"),
            "deal_id": _("Deal"), "repeat_of_id": _("repeat"), "plan_id": _("Plan"), "action": _("Action"),
            "expected_result": _("Expected result"), "done": _p("task", "Done"), "activity_id": _("Activity"),
            "successful": _("Successful"), "outcome": _("Outcome")}.get(field or "", field or "")


def field_value(entity_type: str, field: str | None, value: str | None) -> str | None:
    """A recorded value in words where it is a code: a company's or a response's status, a stage, a kind, a
    response's source, a task's action, yes or no."""
    if value is None:
        return None
    if value in ("true", "false"):
        return _("yes") if value == "true" else _("no")
    if field == "status" and entity_type == "responses":
        return {"new": _p("response status", "new"), "qualified": _p("response status", "qualified"),
                "converted": _p("response status", "converted"),
                "disqualified": _p("response status", "disqualified")}.get(value, value)
    if field == "source" and entity_type == "responses":
        return {"staff": _p("response source", "staff"), "web": _p("response source", "web form"),
                "import": _p("response source", "import")}.get(value, value)
    if field == "action" and entity_type == "plan_tasks":
        return {"call": _("Call"), "meeting": _("Meeting"), "proposal": _("Proposal"),
                "send_material": _("Send material"), "follow_up": _("Follow-up")}.get(value, value)
    if field == "status":
        return {"prospect": _("prospect"), "client": _("client"), "former": _("former")}.get(value, value)
    if field == "stage":
        return stage_label(value)
    if field == "kind":
        return {"legal": _("legal"), "postal": _("postal"), "delivery": _("delivery"), "work": _("work"),
                "mobile": _("mobile")}.get(value, value)
    return value


def stage_label(stage: str) -> str:
    return {"new": _p("deal stage", "new"), "proposal": _("proposal"), "negotiation": _("negotiation"), "won": _("won"),
            "lost": _("lost")}.get(stage, stage)


def activity_kind_label(kind: str) -> str:
    return {"call": _("Call"), "meeting": _("Meeting"), "email": _p("activity", "Email"),
            "note": _p("activity", "Note")}.get(kind, kind)


# ---------------------------------------------------------------- search results, shown with the matching value

@dataclass
class ShownHit:
    """A search hit as the dropdown shows it: where it links and the value that matched, highlighted."""

    hit: object
    field: str
    value: Markup


def _mark_tail(formatted: str, count: int) -> Markup:
    """Highlight a formatted phone from its last `count` digits to the end (the part the query matched)."""
    positions = [i for i, ch in enumerate(formatted) if ch.isdigit()]
    if count >= len(positions):
        start = 0
    else:
        start = positions[len(positions) - count]
    return escape(formatted[:start]) + Markup("<mark>") + escape(formatted[start:]) + Markup("</mark>")


def describe_hits(session: Session, hits: list, q: str, region: str) -> list[ShownHit]:
    """Find for each hit the phone, email, INN or city the query matched, ready to show highlighted."""
    from app.services.search import highlight

    digits = re.sub(r"\D", "", q)
    full = None
    try:
        num = phonenumbers.parse(q, region)
        if phonenumbers.is_possible_number(num):
            full = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164).lstrip("+")
    except phonenumbers.NumberParseException:
        pass
    shown = []
    for h in hits:
        owner = Phone.contact_id == h.entity_id if h.kind == "contact" else (
            (Phone.company_id == h.entity_id) & Phone.contact_id.is_(None))
        value = Markup("")
        if h.field == "phone":
            for (e164,) in session.execute(select(Phone.e164).where(owner)):
                d = e164.lstrip("+")
                if full and d == full:
                    value = _mark_tail(format_phone(e164), len(d))
                    break
                if digits and d.endswith(digits):
                    value = _mark_tail(format_phone(e164), len(digits))
                    break
        elif h.field == "email":
            eowner = Email.contact_id == h.entity_id if h.kind == "contact" else (
                (Email.company_id == h.entity_id) & Email.contact_id.is_(None))
            for (address,) in session.execute(select(Email.address).where(eowner)):
                if address.startswith(q.lower()) or q.lower() in address:
                    i = address.find(q.lower())
                    value = escape(address[:i]) + Markup("<mark>") + escape(address[i:i + len(q)]) + \
                        Markup("</mark>") + escape(address[i + len(q):])
                    break
        elif h.field in ("inn", "city") and h.kind == "company":
            company = session.get(Company, h.entity_id)
            text = (company.inn if h.field == "inn" else company.city) or ""
            value = highlight(text, q)
        shown.append(ShownHit(h, h.field, value))
    return shown
