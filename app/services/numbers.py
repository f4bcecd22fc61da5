"""The one rule for values people type or pass in a URL: amounts, quantities and prices in the reader's locale,
record ids, whole numbers in a range and dates, each bounded so that the database and every page can hold them.

Amounts follow Babel's rules for the locale, strictly: "15,000" in English is 15000, «15 000,50» and "15000,50"
in Russian are 15000.50; a value that reads two ways ("15,000" in Russian, "1.234,5" in English) is refused with
a message asking for an unambiguous one. Only finite values of at most the column's digits and decimals pass.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from babel.numbers import NumberFormatError, format_decimal, get_decimal_symbol, get_group_symbol, parse_decimal

from app.i18n import N_, reader_locale
from app.i18n import tr as _
from app.services.errors import RuleError

# Record ids are 32-bit on every table; anything above is no record (404/None), never an overflow.
MAX_ID = 2**31 - 1
# Dates people type or pass: wide enough for founding dates and plans, narrow enough for every engine and page.
MIN_DATE, MAX_DATE = date(1900, 1, 1), date(2100, 12, 31)
MIN_YEAR, MAX_YEAR = MIN_DATE.year, MAX_DATE.year
# The longest range an analysis or report may span, and the most days/weeks a "last N" parameter may ask for.
MAX_RANGE_DAYS = 366 * 10
MAX_PAGE = 100_000

SPACES = " \u00a0\u202f\u2009\u2007"
_SHAPE = re.compile(r"^[+-]?[0-9][0-9" + re.escape(SPACES) + r".,]*$|^[+-]?[.,][0-9]+$")
AMBIGUOUS = N_("Write the number so that it reads one way only, e.g. %(example)s.")
NOT_A_NUMBER = N_("Give a number, e.g. %(example)s.")


@dataclass(frozen=True)
class Precision:
    """A Numeric(digits, places) column: at most `places` decimals and `digits - places` whole digits."""

    digits: int
    places: int

    @property
    def maximum(self) -> Decimal:
        return Decimal(10) ** (self.digits - self.places) - Decimal(1).scaleb(-self.places)


MONEY = Precision(14, 2)      # deal and line amounts, prices, budgets, spend, revenue
QUANTITY = Precision(14, 3)   # deal line quantities


def example(places: int = 2, locale: str | None = None) -> str:
    """A well-formed number in the locale, for messages: 15,000.50 / 15 000,50."""
    pattern = "#,##0" + ("." + "0" * places if places else "")
    return format_decimal(Decimal("15000.5"), format=pattern, locale=locale or reader_locale()).replace("\u00a0", " ")


def shown(value: Decimal, locale: str | None = None) -> str:
    """A number for a message, grouped as the reader writes it."""
    return format_decimal(value, locale=locale or reader_locale()).replace("\u00a0", " ")


def too_large(precision: Precision, locale: str | None = None) -> str:
    return _("The value is too large: at most %(max)s.", max=shown(precision.maximum, locale))


def parse_decimal_input(raw, precision: Precision = MONEY, *, minimum: Decimal | None = Decimal(0),
                        field: str | None = None, locale: str | None = None) -> Decimal | None:
    """The typed number as a Decimal (None when blank), or a RuleError(message, field) saying what to write."""
    text = str(raw if raw is not None else "").strip()
    if not text:
        return None
    locale = locale or reader_locale()
    places = precision.places
    value = _parse(text, locale, places, field)
    if not value.is_finite():
        raise RuleError(_(NOT_A_NUMBER, example=example(places, locale)), field)
    if minimum is not None and value < minimum:
        raise RuleError(_("The value cannot be below %(min)s.", min=format_decimal(minimum, locale=locale)), field)
    if abs(value) > precision.maximum:
        raise RuleError(too_large(precision, locale), field)
    if value != value.quantize(Decimal(1).scaleb(-places)):
        if places == 0:
            raise RuleError(_("Give a whole number."), field)
        raise RuleError(_("At most %(n)d digits after the decimal separator.", n=places), field)
    return value.quantize(Decimal(1).scaleb(-places)) if places else value.to_integral_value()


def _parse(text: str, locale: str, places: int, field: str | None) -> Decimal:
    if not _SHAPE.match(text):
        raise RuleError(_(NOT_A_NUMBER, example=example(places, locale)), field)
    decimal_sym, group_sym = get_decimal_symbol(locale), get_group_symbol(locale)
    if group_sym in SPACES:
        text = re.sub("[" + SPACES + "]", group_sym, text)
        alternative = "."      # a space-grouping locale also reads a lone dot as the decimal separator
    else:
        if any(ch in text for ch in SPACES):
            text = re.sub("[" + SPACES + "]", group_sym, text)
        alternative = None
    body = text.lstrip("+-")
    for sym in filter(None, (decimal_sym, alternative)):
        # "15,000" in Russian or "15.000" in English: a decimal separator before exactly three digits and no
        # grouping anywhere else may well mean fifteen thousand.
        if body.count(sym) == 1 and re.fullmatch(r"[0-9]{1,3}" + re.escape(sym) + r"[0-9]{3}", body):
            raise RuleError(_(AMBIGUOUS, example=example(places, locale)), field)
    if alternative and alternative in text and decimal_sym in text:
        raise RuleError(_(AMBIGUOUS, example=example(places, locale)), field)
    try:
        return parse_decimal(text, locale=locale, strict=True)
    except (NumberFormatError, InvalidOperation, ValueError):
        raise RuleError(_(AMBIGUOUS, example=example(places, locale)), field) from None


def whole_number(raw, lo: int = 0, hi: int = MAX_ID) -> int | None:
    """An ASCII whole number within lo..hi, else None ('²', '٣', '1e3', 2**64 are none)."""
    text = str(raw if raw is not None else "").strip()
    if not text or not re.fullmatch(r"[+-]?[0-9]{1,12}", text):
        return None
    value = int(text)
    return value if lo <= value <= hi else None


def record_id(raw) -> int:
    """A record id 1..2^31-1; raises ValueError otherwise, so `request.args.get(k, type=record_id)` gives None."""
    value = whole_number(raw, 1, MAX_ID)
    if value is None:
        raise ValueError(f"not a record id: {raw!r}")
    return value


def id_or_none(raw) -> int | None:
    """A record id, or None for anything that is not one."""
    return whole_number(raw, 1, MAX_ID)


def ids(values) -> list[int]:
    """The record ids among the values, in order, without the ones that are not ids."""
    out = []
    for v in values or ():
        value = id_or_none(v)
        if value is not None:
            out.append(value)
    return out


def bounded(lo: int, hi: int):
    """A `type=` for request.args.get: a whole number in lo..hi, else the default (ValueError)."""

    def convert(raw) -> int:
        value = whole_number(raw, lo, hi)
        if value is None:
            raise ValueError(f"not a whole number in {lo}..{hi}: {raw!r}")
        return value

    return convert


def clamp(raw, lo: int, hi: int, default: int) -> int:
    """A whole number pulled into lo..hi (days, weeks, page numbers); the default when it is not a number."""
    text = str(raw if raw is not None else "").strip()
    if not re.fullmatch(r"[+-]?[0-9]{1,30}", text):
        return default
    return max(lo, min(int(text), hi))


page_number = bounded(1, MAX_PAGE)


def in_date_range(value: date | datetime | None) -> bool:
    if value is None:
        return True
    day = value.date() if isinstance(value, datetime) else value
    return MIN_DATE <= day <= MAX_DATE


def date_error() -> str:
    return _("Give a date between %(min)s and %(max)s.", min=MIN_DATE.isoformat(), max=MAX_DATE.isoformat())


def parse_date(raw, field: str | None = None) -> date | None:
    """An ISO date 1900-01-01..2100-12-31 (None when blank), or a RuleError next to the field."""
    text = str(raw if raw is not None else "").strip()
    if not text:
        return None
    try:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
            raise ValueError(text)
        value = date.fromisoformat(text)
    except ValueError:
        raise RuleError(_("Use a date like 2026-03-31."), field) from None
    if not in_date_range(value):
        raise RuleError(date_error(), field)
    return value


def date_or_none(raw) -> date | None:
    """A date query parameter: the date when it is one within the bounds, else None."""
    try:
        return parse_date(raw)
    except RuleError:
        return None


def bounded_range(start: date, end: date, max_days: int = MAX_RANGE_DAYS) -> tuple[date, date]:
    """A period with start <= end and at most max_days long (the start moves up to fit)."""
    if start > end:
        start, end = end, start
    if (end - start).days > max_days:
        start = date.fromordinal(end.toordinal() - max_days)
    return start, end
