"""Who is acting: the signed-in user in a request, or the one a job or command runs for."""
from __future__ import annotations

import contextlib
from contextvars import ContextVar

from flask import has_request_context

_actor_id: ContextVar[int | None] = ContextVar("actor_id", default=None)


def current_actor_id() -> int | None:
    """The user id to record as the author of a change."""
    explicit = _actor_id.get()
    if explicit is not None:
        return explicit
    if has_request_context():
        from flask_login import current_user

        if current_user and current_user.is_authenticated:
            return current_user.id
    return None


@contextlib.contextmanager
def acting_as(user_id: int | None):
    """Attribute changes made inside the block to this user (jobs, CLI commands)."""
    token = _actor_id.set(user_id)
    try:
        yield
    finally:
        _actor_id.reset(token)
