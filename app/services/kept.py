"""Whole-base figures a process keeps for a while: each counts the base (tens to hundreds of milliseconds at
200,000 clients) and is shown on pages opened all day (home pages, boards), where a minute-old count serves."""
from __future__ import annotations

from time import monotonic
from typing import Callable, TypeVar

from sqlalchemy.orm import Session

T = TypeVar("T")

_kept: dict[tuple, tuple[float, object]] = {}   # (figure, scope..., base, language) -> (when, value)
MAX_KEPT = 1000   # scopes per unit, board and day: a long-running process drops old days


def kept(session: Session, config_key: str, key: tuple, count: Callable[[], T]) -> T:
    """The value this process counted on this base less than the config's `config_key` seconds ago, or counted
    now; 0 seconds counts every time and keeps nothing. Kept per base (tests and benches run several in one
    process) and per reader's language (a figure's label is text)."""
    from flask import current_app

    from app.i18n import reader_locale

    seconds = current_app.config.get(config_key, 0)
    key = (*key, str(session.get_bind().engine.url), reader_locale())
    held = _kept.get(key)
    if held and monotonic() - held[0] < seconds:
        return held[1]
    value = count()
    if seconds:
        if len(_kept) >= MAX_KEPT:
            _kept.clear()
        _kept[key] = (monotonic(), value)
    return value
