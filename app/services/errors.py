"""Errors the rules raise, one family: a message next to its field (nothing saved), or a stale copy refused.

Every rule's error is a RuleError: views show `str(exc)` next to `exc.field` (the whole form when None),
or the messages of `exc.errors` next to theirs. Services flush but never commit; the caller commits.
"""
from __future__ import annotations

from app.models.audit import AuditEntry


class RuleError(ValueError):
    """A rule refused the input; `field` names the form field the message belongs next to (None: the form)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message, self.field = str(message), field
        self.errors: dict[str, str] = {field or "__all__": self.message}


class FieldErrors(RuleError):
    """Bad input: a message per field, and nothing was saved."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()), next(iter(errors), None))
        self.errors = errors


class Conflict(Exception):
    """The record changed since the person opened it; their save was refused. `clashes` names the fields both
    they and someone else changed (empty when the form sent no originals to merge with)."""

    def __init__(self, entity_type: str, entity_id: int, changes: list[AuditEntry], current_version: int,
                 clashes: list[str] | tuple = ()):
        super().__init__(f"{entity_type} {entity_id} changed since it was opened")
        self.entity_type, self.entity_id = entity_type, entity_id
        self.changes, self.current_version = changes, current_version
        self.clashes = list(clashes)


def required(value: str | None, message: str, field: str, error: type[RuleError] = RuleError) -> str:
    """The stripped text, or the rule's error naming the field when it is blank."""
    value = (value or "").strip()
    if not value:
        raise error(message, field)
    return value
