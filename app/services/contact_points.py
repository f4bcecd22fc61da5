"""Contact points: phones, emails, addresses and tax ids, how each is checked, stored and verified."""
from __future__ import annotations

import re
from datetime import datetime

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from sqlalchemy.orm import Session

from app.i18n import tr as _
from app.models.base import utcnow
from app.models.contact_points import ADDRESS_KINDS, Address, Email, Phone
from app.services.errors import FieldErrors
from app.services.records import clean_fields, future_error, length_errors, raise_errors

ADDRESS_FIELDS = ("kind", "postcode", "region", "city", "street", "country")
POINT_MODELS = {"phone": Phone, "email": Email, "address": Address}


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


def add_company_phone(session: Session, company_id: int, raw: str, region: str) -> Phone:
    """A phone of the company itself (switchboard, office)."""
    _company(session, company_id)
    phone = Phone(company_id=company_id, e164=normalize_phone(raw, region), kind="work")
    session.add(phone)
    session.flush()
    return phone


def add_company_email(session: Session, company_id: int, raw: str) -> Email:
    _company(session, company_id)
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
    raise_errors({"verified_at": msg} if (msg := future_error(at)) else {})
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
    errors = length_errors(Address, data)
    if not data.get("street"):
        errors["street"] = _("The street line is required.")
    if data.get("kind") not in ADDRESS_KINDS:
        errors["kind"] = _("Choose legal, postal or delivery.")
    return errors


def save_address(session: Session, company_id: int, data: dict, address_id: int | None = None) -> Address:
    """Add or change a legal, postal or delivery address."""
    data = clean_fields(data, ADDRESS_FIELDS)
    data["country"] = (data.get("country") or "RU").upper()
    raise_errors(address_errors(data))
    if address_id is None:
        _company(session, company_id)
        address = Address(company_id=company_id, **data)
        session.add(address)
    else:
        address = get_point(session, "address", address_id)
        for key, value in data.items():
            setattr(address, key, value)
    session.flush()
    return address


# ---------------------------------------------------------------- contacts


def _company(session: Session, company_id: int):
    """The live company the point belongs to (LookupError when gone); companies' rules import this module."""
    from app.services.companies import get_company

    return get_company(session, company_id)
