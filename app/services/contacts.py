"""Contacts: create and edit with their phones and emails, soft delete, the list page."""
from __future__ import annotations

from datetime import date, datetime, timezone
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from app.i18n import tr as _
from app.models.base import utcnow
from app.models.companies import Company
from app.models.contact_points import Email, Phone
from app.models.contacts import Contact
from app.services.contact_points import normalize_email, normalize_phone
from app.services.errors import FieldErrors
from app.services.records import (
    ListPage,
    check_version,
    clean_fields,
    flush_or_conflict,
    future_error,
    length_errors,
    list_page,
    merge_fields,
    raise_errors,
    refuse_clashes,
    rows_by_ids,
)

CONTACT_FIELDS = ("name", "position", "company_id", "do_not_contact", "do_not_contact_at", "do_not_contact_reason",
                  "notes")
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
    # the whole list reads its page from the sort's partial index (see companies.COMPANY_SORT_INDEX); a
    # search or one company's contacts come by their own index instead
    index = None if filters.get("q") or filters.get("company") else \
        ("ix_contacts_live_created" if sort == "created" else "ix_contacts_live_name")
    return list_page(session, Contact, stmt, order, page, per_page, _list_rows(), sqlite_index=index,
                     collections=(Contact.phones, Contact.emails))


@lru_cache(maxsize=1)
def _list_rows():
    """The list's rows with each contact's company name (not the company's own manager and type, which its eager
    loads would join in); their phones and emails are filled after (fill_collections)."""
    return rows_by_ids(Contact, joinedload(Contact.company).lazyload("*"))


SEARCH_CAP = 5000


def _contact_matches(session: Session, q: str, region: str) -> list[int]:
    """Contact ids the one search finds for the query (its first SEARCH_CAP, best first)."""
    from app.services.search import find

    return sorted(e for _, e, *_ in find(session, q, region, limit=SEARCH_CAP, kinds=("contact",)))


# ---------------------------------------------------------------- phones, emails, addresses

def contact_errors(data: dict) -> dict[str, str]:
    errors = length_errors(Contact, data)
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
    data = clean_fields(data, CONTACT_FIELDS)
    data["do_not_contact"] = bool(data.get("do_not_contact"))
    if data["do_not_contact"]:
        dnc_at = data.get("do_not_contact_at")
        if isinstance(dnc_at, date) and not isinstance(dnc_at, datetime):
            dnc_at = datetime.combine(dnc_at, datetime.min.time(), tzinfo=timezone.utc)
        data["do_not_contact_at"] = dnc_at or utcnow()
    else:
        data["do_not_contact_at"] = data["do_not_contact_reason"] = None
    return data


DNC_FIELDS = ("do_not_contact", "do_not_contact_at", "do_not_contact_reason")


def save_contact(session: Session, data: dict, phones: list[str], emails: list[str], region: str,
                 contact_id: int | None = None, version: int | None = None, original: dict | None = None) -> Contact:
    """Create or change a contact with its phones and emails. A change made on a stale copy raises Conflict;
    with `original` (the values the form showed, phones and emails included) only what the person changed is
    saved onto the stored copy, and only a field someone else changed meanwhile refuses the save."""
    raw = clean_fields(data, CONTACT_FIELDS)
    new_phones, new_emails, errors = _points_from(phones, emails, region)
    contact = None
    seen_version = version
    if contact_id is not None:
        contact = session.get(Contact, contact_id)
        if contact is None or contact.deleted_at is not None:
            raise LookupError(contact_id)
    if contact is not None and original is not None and not errors:
        shown_phones, shown_emails, _bad = _points_from(original.get("phones"), original.get("emails"), region)
        mine = dict(raw, phones=new_phones, emails=new_emails)
        shown = dict(clean_fields(original, CONTACT_FIELDS), phones=shown_phones, emails=shown_emails)
        shown["do_not_contact"] = bool(shown.get("do_not_contact"))
        current = {k: getattr(contact, k) for k in CONTACT_FIELDS} | {
            "phones": [p.e164 for p in contact.phones], "emails": [e.address for e in contact.emails]}
        if not current["do_not_contact"]:
            current["do_not_contact_at"] = None  # the form shows no date without the flag
        changed, clashes = merge_fields(mine, shown, current)
        refuse_clashes(session, contact, "contacts", version, clashes)
        if any(k in changed for k in DNC_FIELDS):  # the flag, its date and its reason are one decision
            changed.update({k: raw.get(k) for k in DNC_FIELDS})
        data = {k: raw.get(k) for k in CONTACT_FIELDS if k in changed}
        if "phones" not in changed:
            new_phones = current["phones"]
        if "emails" not in changed:
            new_emails = current["emails"]
        version = None  # merged onto the stored copy; the flush's own version check still catches a racing save
        data = _contact_data(data) if any(k in data for k in DNC_FIELDS) else data
    else:
        data = _contact_data(data)
    errors.update(contact_errors(data))
    if data.get("company_id") and session.get(Company, data["company_id"]) is None:
        errors["company_id"] = _("Choose a company from the list.")
    raise_errors(errors)
    if contact is None:
        contact = Contact(**data)
        session.add(contact)
        session.flush()
    else:
        check_version(session, contact, "contacts", version)
        for key, value in data.items():
            setattr(contact, key, value)
    _sync_points(session, contact, new_phones, new_emails)
    flush_or_conflict(session, Contact, "contacts", contact.id, seen_version)
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

