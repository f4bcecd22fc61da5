"""Errors the rules raise: a message per field (nothing saved), or a stale copy refused."""
from __future__ import annotations

from app.models.audit import AuditEntry


class FieldErrors(ValueError):
    """Bad input: a message per field, and nothing was saved."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class Conflict(Exception):
    """The record changed since the person opened it; their save was refused."""

    def __init__(self, entity_type: str, entity_id: int, changes: list[AuditEntry], current_version: int):
        super().__init__(f"{entity_type} {entity_id} changed since it was opened")
        self.entity_type, self.entity_id = entity_type, entity_id
        self.changes, self.current_version = changes, current_version


