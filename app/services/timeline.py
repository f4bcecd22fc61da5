"""The company timeline: everything that happened with a client, from every area, newest first.

Each area registers a source `fn(session, company_id, before, limit, viewer=None) -> list[TimelineItem]`;
`viewer` is the person reading (None for jobs and commands), so a source hides what that person may not see.
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Callable

from sqlalchemy.orm import Session


@dataclass
class TimelineItem:
    at: datetime
    kind: str          # activity, deal, change, response, request ... (a CSS class and an icon)
    title: str
    body: str | None = None
    url: str | None = None
    author: str | None = None


SourceFn = Callable[..., list[TimelineItem]]
SOURCES: list[str] = []  # dotted paths of source functions, imported lazily


def source_query(build: Callable[[bool], object]) -> Callable[[bool], object]:
    """A source's query built once per shape, paged (`before` given) or not, with its cache key: every company
    page reads every source. `build(paged)` leaves :company_id, :limit and, paged, :before as bound parameters."""
    return lru_cache(maxsize=2)(build)


def source_params(company_id: int, before: datetime | None, limit: int) -> dict:
    """The bound parameters of a source's query (`before` is left out of an unpaged one)."""
    return {"company_id": company_id, "limit": limit} if before is None else \
        {"company_id": company_id, "limit": limit, "before": before}


def register(path: str) -> None:
    if path not in SOURCES:
        SOURCES.append(path)


def company_timeline(session: Session, company_id: int, before: datetime | None = None,
                     limit: int = 50, viewer=None) -> list[TimelineItem]:
    """Merge every source's newest items, as far as `viewer` may see them; `before` pages further back."""
    import importlib

    streams = []
    for path in SOURCES:
        module, _, name = path.rpartition(".")
        fn: SourceFn = getattr(importlib.import_module(module), name)
        streams.append(fn(session, company_id, before, limit, viewer=viewer))
    return heapq.nlargest(limit, (item for stream in streams for item in stream), key=lambda i: i.at)
