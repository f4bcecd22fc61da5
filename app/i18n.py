"""Russian and English: each user's choice, else the browser's language; formatting per locale."""
from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app, request, session
from flask_babel import format_currency, format_date, format_datetime, get_locale
from flask_login import current_user

from app.extensions import babel

# One catalogue per language: translations/<lang>/LC_MESSAGES/messages.po (English is the msgids themselves).
TRANSLATIONS_ROOT = Path(__file__).parent / "translations"


def N_(message: str) -> str:
    """Marks a msgid for the catalogue where a service raises it; the view translates it for its reader."""
    return message


def select_locale() -> str:
    """The user's saved language, then the session's, then the browser's best match."""
    langs = current_app.config["LANGUAGES"]
    if current_user and current_user.is_authenticated and current_user.locale in langs:
        return current_user.locale
    if session.get("locale") in langs:
        return session["locale"]
    return request.accept_languages.best_match(langs) or current_app.config["BABEL_DEFAULT_LOCALE"]


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
    if value is None:
        return "—"
    return format_currency(value, currency or current_app.config["CURRENCY"])


def init_app(app: Flask) -> None:
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS_ROOT)
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals.update(get_locale=get_locale)
    app.jinja_env.filters.update(money=money, date=lambda d, fmt="medium": format_date(d, fmt) if d else "—",
                                 datetime=lambda d, fmt="short": format_datetime(d, fmt) if d else "—")
