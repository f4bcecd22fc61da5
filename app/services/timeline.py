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


def source_query(build: Callable[[], tuple]) -> Callable:
    """A source's query, built once per shape (paged or not) with its cache key, as every company page reads every
    source. `build()` gives the statement of one :company_id's items, the column of their moment and their order,
    newest first; the decorated name then runs it: `rows(session, company_id, before, limit)` -> a result."""
    from sqlalchemy import bindparam

    @lru_cache(maxsize=2)
    def statement(paged: bool):
        stmt, moment, order = build()
        if paged:
            stmt = stmt.where(moment < bindparam("before"))
        return stmt.order_by(*order).limit(bindparam("limit"))

    def rows(session: Session, company_id: int, before: datetime | None, limit: int):
        params = {"company_id": company_id, "limit": limit}
        if before is not None:
            params["before"] = before
        return session.execute(statement(before is not None), params)

    return rows


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
