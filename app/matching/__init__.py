"""Duplicate matching for companies and contacts; names resolve lazily so importing the package is free."""

from __future__ import annotations

from typing import Any

__all__ = [
    "COMPANY_SCHEMA", "CONTACT_SCHEMA", "BlockPass", "Candidate", "Field", "Index", "Matcher",
    "Reason", "Schema", "SortKey", "Thresholds", "cluster", "merge_shards",
]

_WHERE = {
    "COMPANY_SCHEMA": "schemas", "CONTACT_SCHEMA": "schemas", "Reason": "reasons",
}


def __getattr__(name: str) -> Any:
    """Import the engine only when a caller first needs it."""
    if name not in __all__:
        raise AttributeError(name)
    from importlib import import_module

    return getattr(import_module(f".{_WHERE.get(name, 'engine')}", __name__), name)
