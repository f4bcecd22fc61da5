"""Live figures: named measurements computed from the database, shown on workflow boards and dashboards.

An area registers a function with @figure("name"); a workflow definition names the figures its board
shows. A figure whose data does not exist yet says so (value None and a note), never an invented number.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Callable

from sqlalchemy.orm import Session


@dataclass
class Figure:
    """One measurement: its value, how to show it, and whether it signals trouble."""

    name: str
    label: str                      # already translated for the current locale by the caller's gettext
    value: float | int | None       # None: the data behind it does not exist yet
    fmt: str = "int"                # int | percent (value is a fraction 0..1) | money | days | text
    status: str = "neutral"         # ok | bad | neutral | unknown
    note: str | None = None         # why it is unknown, or what it counts
    detail: dict = field(default_factory=dict)

    @property
    def known(self) -> bool:
        return self.value is not None


FigureFn = Callable[..., Figure]
_REGISTRY: dict[str, FigureFn] = {}


def figure(name: str):
    """Register a figure function `fn(session, today: date) -> Figure` under a stable name."""

    def decorate(fn: FigureFn) -> FigureFn:
        if name in _REGISTRY and _REGISTRY[name] is not fn:
            raise ValueError(f"figure {name!r} is registered twice")
        _REGISTRY[name] = fn
        return fn

    return decorate


# Modules that register figures; imported on first use so nothing runs at app import.
FIGURE_MODULES: list[str] = [
    "app.services.crm_figures",
    "app.services.data_quality_figures",
    "app.services.promotion_figures",
    "app.services.sales_figures",
    "app.services.client_request_figures",
    "app.services.backup_figures",
]


def _load() -> None:
    import importlib

    for module in FIGURE_MODULES:
        importlib.import_module(module)


def names() -> set[str]:
    _load()
    return set(_REGISTRY)


def compute(session: Session, name: str, today: date | None = None) -> Figure:
    """Compute one figure by name; an unknown name is a programming error (definitions are validated)."""
    _load()
    return _REGISTRY[name](session, today or date.today())
