"""Contact points: phones, emails, addresses and tax ids, how each is checked, stored and verified.

The one home of these rules. Each value has a strict rule and a lenient key, side by side:

- strict (`normalize_phone`, `normalize_email`, `normalize_inn`, `normalize_address`): the normalised
  value to store, or a ContactPointError naming the field with the message every form, import and public
  page shows. What is stored always passed the strict rule.
- lenient (`phone_key`, `email_key`, `inn_key`, `inn_digits`, `address_key`): what the matching engine,
  search, merges and lists compare; None when there is nothing to compare. Never a reason to store.

The rules need no app (messages are plain English outside one), so the engine in app.matching, a pure
library, takes its keys from here through app/matching/normalize.py.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import datetime

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from flask import current_app, has_app_context
from sqlalchemy.orm import Session

from app.i18n import tr as _
from app.models.base import utcnow
from app.models.contact_points import ADDRESS_KINDS, Address, Email, Phone
from app.services.errors import FieldErrors
from app.services.records import clean_fields, future_error, length_errors, raise_errors

ADDRESS_FIELDS = ("kind", "postcode", "region", "city", "street", "country")
POINT_MODELS = {"phone": Phone, "email": Email, "address": Address}


class ContactPointError(FieldErrors):
    """A phone, email, INN or address the rules refuse: one field and its message, nothing saved."""

    def __init__(self, message: str, field: str):
        super().__init__({field: message})
        self.message = message

    def __str__(self) -> str:
        return self.message


def default_region() -> str:
    """Where a phone written without a country code is: the portal's setting, Russia outside an app."""
    return current_app.config.get("DEFAULT_PHONE_REGION", "RU") if has_app_context() else "RU"


# ---------------------------------------------------------------- phones

_NON_DIGIT = re.compile(r"\D+")
_EXTENSION = re.compile(r"(?i)(?:доб|ext|вн|x)\.?\s*\d+\s*$")


def normalize_phone(raw: str, region: str | None = None) -> str:
    """Strict: any written form of a real phone becomes E.164, so every spelling stores the same number."""
    try:
        num = phonenumbers.parse(raw or "", region or default_region())
    except phonenumbers.NumberParseException:
        num = None
    if num is None or not phonenumbers.is_valid_number(num):
        raise ContactPointError(_("“%(value)s” is not a phone number we can read.", value=raw), "phone")
    return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)


def phone_key(raw: str | None, default_region: str = "RU") -> str | None:
    """Lenient: the E.164 digits a phone could mean, valid or not, so old and foreign spellings still meet;
    cheap, because the engine calls it for every record of a million-row base."""
    if not raw:
        return None
    text = str(raw).strip()
    # A Russian number already in E.164 (what the base stores and the engine reads back) is its own key.
    if len(text) == 12 and text.startswith("+7") and text[2] in "3489" and text[1:].isascii() and text[1:].isdigit():
        return text
    # Extensions ("доб. 123", "ext 12") identify a desk, not a line: drop them.
    text = _EXTENSION.split(text)[0]
    digits = _NON_DIGIT.sub("", text)
    # Fast path for the usual Russian shapes; phonenumbers costs ~30 µs a call.
    if default_region == "RU" and not text.startswith("+") or text.startswith("+7"):
        if len(digits) == 11 and digits[0] in "78" and digits[1] in "3489":
            return "+7" + digits[1:]
        if len(digits) == 10 and digits[0] in "3489" and not text.startswith("+"):
            return "+7" + digits
    try:
        num = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(num):
        return None
    return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str) -> str:
    """Show a stored phone the way people read it (+7 495 123-45-67)."""
    try:
        return phonenumbers.format_number(phonenumbers.parse(e164, None), phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        return e164


# ---------------------------------------------------------------- emails

_EMAIL_SHAPE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalize_email(raw: str) -> str:
    """Strict: a valid address, lower-cased; no DNS lookup (the network may be closed)."""
    try:
        return validate_email((raw or "").strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise ContactPointError(_("“%(value)s” is not a valid email address.", value=raw), "email") from None


def email_key(raw: str | None) -> str | None:
    """Lenient: the lower-cased address without display name or mailto:, or None when it is no address."""
    if not raw:
        return None
    text = str(raw).strip().lower()
    if "<" in text and ">" in text:
        text = text[text.index("<") + 1:text.index(">")]
    text = text.removeprefix("mailto:").strip().strip(".")
    return text if _EMAIL_SHAPE.match(text) else None


# ---------------------------------------------------------------- tax ids

_INN_SEPARATORS = re.compile(r"[\s-]+")
_INN10_W = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_W1 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_W2 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def _inn_digit(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights)) % 11 % 10


def inn_is_valid(inn: str) -> bool:
    """A 10- or 12-digit INN whose check digits agree, so a typo is not read as a different firm."""
    if len(inn) == 10 and inn.isascii() and inn.isdigit():   # "²".isdigit() is True, int("²") fails
        return _inn_digit(inn, _INN10_W) == int(inn[9])
    if len(inn) == 12 and inn.isascii() and inn.isdigit():
        return (_inn_digit(inn, _INN12_W1) == int(inn[10])
                and _inn_digit(inn, _INN12_W2) == int(inn[11]))
    return False


def normalize_inn(raw: str | None, country: str | None = "RU") -> str | None:
    """Strict: a Russian INN as its 10 or 12 digits (spaces and hyphens dropped) with matching check digits;
    other countries' tax ids are free text; blank is None."""
    text = (raw or "").strip()
    if not text:
        return None
    if (country or "RU").upper() != "RU":
        return text
    digits = _INN_SEPARATORS.sub("", text)
    if not re.fullmatch(r"\d{10}|\d{12}", digits):
        why = _("A Russian INN has 10 digits (organisations) or 12 digits (sole traders).")
    elif not inn_is_valid(digits):
        why = _("This INN's check digits do not match: check it for a typo.")
    else:
        return digits
    raise ContactPointError(_("The INN %(value)s is not valid.", value=text) + " " + why, "inn")


def inn_error(inn: str | None, country: str | None = "RU") -> str | None:
    """The strict INN rule's message, or None when the INN may be stored."""
    try:
        normalize_inn(inn, country)
    except ContactPointError as exc:
        return exc.message
    return None


def inn_digits(raw: str | int | None) -> str:
    """Lenient: every digit of a tax id as typed, to find a stored INN however it was spelt."""
    return _NON_DIGIT.sub("", str(raw)) if raw is not None else ""


def inn_key(raw: str | int | None) -> str | None:
    """Lenient: digits of a valid INN or None; an invalid INN is no evidence either way."""
    digits = inn_digits(raw)
    return digits if inn_is_valid(digits) else None


# ---------------------------------------------------------------- addresses

QUOTES = "«»„“”‟\"'`´‘’‚‹›"
_QUOTE_TABLE = str.maketrans({q: " " for q in QUOTES})
_SPACES = re.compile(r"\s+")
_ADDRESS_ABBREV: dict[str, str] = {
    "ул": "улица", "пр": "проспект", "прт": "проспект", "пр-т": "проспект", "просп": "проспект",
    "пер": "переулок", "пл": "площадь", "ш": "шоссе", "наб": "набережная", "б-р": "бульвар",
    "бул": "бульвар", "д": "дом", "к": "корпус", "корп": "корпус", "стр": "строение",
    "кв": "квартира", "оф": "офис", "г": "город", "гор": "город", "обл": "область",
    "р-н": "район", "пос": "поселок", "п": "поселок", "мкр": "микрорайон", "эт": "этаж",
    "пом": "помещение", "влд": "владение", "вл": "владение", "тер": "территория",
    "st": "street", "str": "street", "ave": "avenue", "av": "avenue", "rd": "road",
    "blvd": "boulevard", "ln": "lane", "dr": "drive", "pl": "place", "sq": "square",
    "hwy": "highway", "ct": "court", "cres": "crescent", "apt": "apartment", "fl": "floor",
    "bldg": "building", "ste": "suite", "pr-d": "проезд", "пр-д": "проезд",
}
_ADDRESS_WORD = re.compile(r"[\w-]+", re.UNICODE)
# Words that only say "this is a street/house" carry little identity and are dropped after
# expansion, so "ул. Ленина, д. 5" and "Ленина улица 5" agree.
_ADDRESS_STOP = frozenset({
    "улица", "дом", "город", "street", "россия", "российская", "федерация", "russia",
    "russian", "federation", "рф",
})


def address_errors(data: dict) -> dict[str, str]:
    """Strict: what is wrong with an address, field by field (street and kind required, column lengths)."""
    errors = length_errors(Address, data)
    if not data.get("street"):
        errors["street"] = _("The street line is required.")
    if data.get("kind") not in ADDRESS_KINDS:
        errors["kind"] = _("Choose legal, postal or delivery.")
    return errors


def normalize_address(data: dict) -> dict:
    """Strict: an address's known fields with runs of spaces collapsed and the country code in capitals
    (RU when blank), or FieldErrors naming each bad field."""
    data = clean_fields(data, ADDRESS_FIELDS)
    for key, value in data.items():
        if isinstance(value, str):
            data[key] = _SPACES.sub(" ", value)
    data["country"] = (data.get("country") or "RU").upper()
    raise_errors(address_errors(data))
    return data


def address_key(text: str | None) -> str:
    """Lenient: the address with abbreviations expanded and filler words dropped, so ул./улица and
    st./street agree."""
    if not text:
        return ""
    low = unicodedata.normalize("NFKC", str(text)).lower().replace("ё", "е").translate(_QUOTE_TABLE)
    out: list[str] = []
    for raw in _ADDRESS_WORD.findall(low):
        word = _ADDRESS_ABBREV.get(raw, raw)
        if word.isdigit() and len(word) == 6 and not out:
            continue  # a leading six-digit postcode is often missing in the other copy
        if word in _ADDRESS_STOP or word == "-":
            continue
        out.append(word.strip("-"))
    return " ".join(w for w in out if w)


# ---------------------------------------------------------------- saving and verifying


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


def save_address(session: Session, company_id: int, data: dict, address_id: int | None = None) -> Address:
    """Add or change a legal, postal or delivery address."""
    data = normalize_address(data)
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
