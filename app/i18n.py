"""Russian and English: each user's choice, else the browser's language; formatting per locale.

reader_locale() is the one answer to "which language is this text for"; speaking(person) makes a job,
a reminder or a command write in a given person's language, where there is no request to ask.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, timezone
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import dates as babel_dates

from flask import Flask, current_app, has_app_context, has_request_context, request, session
from flask_babel import (
    force_locale,
    format_currency,
    format_datetime,
    format_decimal,
    format_percent,
    get_locale,
    get_timezone,
)
from flask_babel.speaklater import LazyString
from flask_login import current_user

from app.extensions import babel

# One catalogue per language: translations/<lang>/LC_MESSAGES/messages.po (English is the msgids themselves).
TRANSLATIONS_ROOT = Path(__file__).parent / "translations"


def N_(message: str) -> str:
    """Marks a msgid for the catalogue where a service raises it; the view translates it for its reader."""
    return message


_speaking: ContextVar[str | None] = ContextVar("speaking", default=None)


def select_locale() -> str:
    """Flask-Babel's selector: the user's saved language, then the session's, then the browser's best match;
    outside a request (jobs, commands) the portal's default (a speaking() block forces its own)."""
    langs = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in langs:
        return current_user.locale
    if session.get("locale") in langs:
        return session["locale"]
    return request.accept_languages.best_match(langs) or current_app.config["BABEL_DEFAULT_LOCALE"]


def reader_locale() -> str:
    """The language of the text being made: a speaking() block's, else the reader's in a request (their
    choice, the session's, the browser's), else the default; every page, job and service asks this."""
    if not has_app_context():
        from app.config import Config

        return _speaking.get() or Config.BABEL_DEFAULT_LOCALE
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def locale_of(person_or_locale) -> str:
    """A person's saved language (or a locale code) if the portal speaks it, else the portal's default."""
    code = getattr(person_or_locale, "locale", person_or_locale)
    return code if code in current_app.config["LANGUAGES"] else current_app.config["BABEL_DEFAULT_LOCALE"]


@contextmanager
def speaking(person_or_locale) -> Iterator[str]:
    """Translate for this person or locale outside a request (jobs, reminders, commands): gettext, dates and
    money inside the block follow it. Needs an app context; yields the locale used."""
    locale = locale_of(person_or_locale)
    token = _speaking.set(locale)
    try:
        with force_locale(locale):
            yield locale
    finally:
        _speaking.reset(token)


def spoken_locale() -> str | None:
    """The locale of the innermost speaking() block, or None: helpers that only translate inside a request
    translate inside such a block too."""
    return _speaking.get()


def compile_catalogs() -> int:
    """Compile every .po to .mo when the .mo is missing or older; returns how many were built."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    built = 0
    for po in TRANSLATIONS_ROOT.glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as f:
            catalog = read_po(f)
        with mo.open("wb") as f:
            write_mo(f, catalog)
        built += 1
    return built


def money(value, currency: str | None = None) -> str:
    """An amount in the reader's notation with the portal's currency: «150 000,00 ₽»; a value no amount can be
    (a row written before amounts were checked: NaN, infinity) shows as a dash rather than breaking the page."""
    from decimal import Decimal, localcontext

    if value is None:
        return "—"
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    if not number.is_finite():
        return "—"
    with localcontext() as ctx:
        ctx.prec = max(28, number.adjusted() + 20)   # 1e30 rounds to kopecks without overflowing
        return format_currency(number, currency or current_app.config["CURRENCY"])


def number(value, digits: int | None = None) -> str:
    """A number in the reader's notation («1 234,5» / "1,234.5"); `digits` fixes the decimals shown."""
    if value is None:
        return "—"
    if digits is None:
        return format_decimal(value)
    return format_decimal(value, "#,##0" + ("." + "0" * digits if digits else ""))


def percent(value, digits: int = 0, signed: bool = False) -> str:
    """A share (0.7) as the reader writes a percentage («70 %» / "70%"); `signed` shows + on a rise."""
    if value is None:
        return "—"
    from babel import Locale

    locale = Locale.parse(str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"]))
    pattern = locale.percent_formats[None].pattern
    if digits:
        pattern = pattern.replace("#,##0", "#,##0." + "0" * digits, 1)
    if signed:
        pattern = f"+{pattern};-{pattern}"
    return format_percent(value, pattern)


def file_size(size) -> str:
    """A file size in the reader's units and notation («3,9 МБ» / "3.9 MB")."""
    if size is None:
        return "—"
    from babel.units import format_unit

    locale = str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])
    for unit, scale in (("digital-gigabyte", 1024 ** 3), ("digital-megabyte", 1024 ** 2), ("digital-kilobyte", 1024)):
        if size >= scale:
            return format_unit(size / scale, unit, length="short", format="#,##0.#", locale=locale)
    return format_unit(size, "digital-byte", length="short", locale=locale)


def format_day(value: date | datetime, fmt: str = "medium") -> str:
    """A date, or the reader's calendar day of a moment (a naive one is UTC), in the reader's words. The text of
    a day is made once per locale and format: Flask-Babel's format_date rebases and formats again for every row
    of a list, about 17 us a call."""
    if isinstance(value, datetime):
        value = _on_reader_clock(value).date()
    return _day_text(value, fmt, _locale_name())


def format_moment(value: datetime, fmt: str = "short") -> str:
    """A moment on the reader's clock and in their words, as Flask-Babel's format_datetime writes it: for the
    short and medium forms (a timeline shows fifty) from the kept texts of its day and of its time of day."""
    if fmt not in ("short", "medium"):
        return format_datetime(value, fmt)
    local, locale = _on_reader_clock(value), _locale_name()
    pattern, seconds = _moment_pattern(fmt, locale)
    clock = local.time().replace(microsecond=0) if seconds else local.time().replace(second=0, microsecond=0)
    return pattern.replace("{0}", _time_text(clock, fmt, locale)).replace("{1}", _day_text(local.date(), fmt, locale))


def _on_reader_clock(value: datetime) -> datetime:
    """A moment in the reader's time zone (a naive one is UTC, as Flask-Babel reads it); zoneinfo converts in C."""
    zone = get_timezone()
    name = getattr(zone, "zone", None)   # pytz's name for it
    moment = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return moment.astimezone(_zone(name) if name else zone)


def _locale_name() -> str:
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=8192)
def _day_text(day: date, fmt: str, locale: str) -> str:
    return babel_dates.format_date(day, fmt, locale=locale)


@lru_cache(maxsize=8192)
def _time_text(clock, fmt: str, locale: str) -> str:
    return babel_dates.format_time(clock, fmt, locale=locale)


@lru_cache(maxsize=32)
def _moment_pattern(fmt: str, locale: str) -> tuple[str, bool]:
    """How a locale joins a day and a time of day, and whether its time of day shows seconds."""
    return (babel_dates.get_datetime_format(fmt, locale=locale).replace("'", ""),
            "s" in babel_dates.get_time_format(fmt, locale=locale).pattern)


def _catalogue():
    """The reader's translations, kept on the request for as long as its locale holds (a speaking() block
    changes it): Flask-Babel looks them up again for every string, and a page translates a hundred."""
    from flask import g
    from flask_babel import get_translations

    if not has_app_context():
        return get_translations()
    locale = get_locale()
    held = g.get("_catalogue")
    if held is None or held[0] is not locale:
        held = g._catalogue = (locale, get_translations())
    return held[1]


def init_app(app: Flask) -> None:
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS_ROOT)
    babel.init_app(app, locale_selector=select_locale)
    # Flask-Babel's own callables, through the kept catalogue
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _catalogue().ugettext(s), ngettext=lambda s, p, n: _catalogue().ungettext(s, p, n),
        pgettext=lambda c, s: _catalogue().upgettext(c, s),
        npgettext=lambda c, s, p, n: _catalogue().unpgettext(c, s, p, n), newstyle=True)
    app.jinja_env.globals.update(reader_locale=reader_locale)
    app.jinja_env.filters.update(money=money, number=number, percent=percent, file_size=file_size,
                                 date=lambda d, fmt="medium": format_day(d, fmt) if d else "—",
                                 datetime=lambda d, fmt="short": format_moment(d, fmt) if d else "—")


def tr(message: str, **params) -> str:
    """gettext for services: in a request the reader's language, in a job its starter's (speaking()), in a
    command the default; plain text where there is no app at all."""
    text = _catalogue().ugettext(message) if has_app_context() else message
    return text % params if params else text


def trp(context: str, message: str) -> str:
    """pgettext under the same rule as tr(): one English word that needs two Russian ones."""
    return _catalogue().upgettext(context, message) if has_app_context() else message


def lazy_gettext(message: str, **params) -> LazyString:
    """A msgid translated each time it is shown (a form's label, a menu entry), through the kept catalogue as
    tr() is: Flask-Babel's own looks the reader's catalogue up again for every string, and a form shows dozens."""
    return LazyString(tr, message, **params)


def lazy_pgettext(context: str, message: str) -> LazyString:
    """lazy_gettext with a context, as trp()."""
    return LazyString(trp, context, message)


def label(labels: dict[str, str], key: str | None, default: str | None = None) -> str | None:
    """One entry of a table of msgids (marked N_) in the reader's language, or `default` (the key itself) for a
    key it lacks: building the table of translations to read one entry cost a lookup per entry."""
    msgid = labels.get(key or "")
    return tr(msgid) if msgid is not None else (key if default is None else default)


def localized(ru: str | None, en: str | None) -> str | None:
    """A bilingual name in the reader's language, the other one when that is blank."""
    return (ru or en) if reader_locale() == "ru" else (en or ru)
