"""Portal settings an administrator sets: the privacy policy the public forms link to, two-step sign-in for all.

The policy text is versioned: each change bumps the version, and a consent records the version and the hash of
the exact text the visitor agreed to, so a later edit never rewrites what someone consented to (152-FZ).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.i18n import N_
from app.models.settings import PortalSetting
from app.services.errors import RuleError

POLICY_TEXT, POLICY_VERSION, TWO_STEP_FOR_EVERYONE = "privacy_policy", "privacy_policy_version", "two_step_for_everyone"
POLICY_MAX_CHARS = 100_000


_HELD = "settings.held"   # session.info key: {key: value or None} read with the signed-in person


def get(session: Session, key: str, default: str = "") -> str:
    """A setting's stored value, or the default before anyone set it."""
    held = session.info.get(_HELD, {})
    if key in held:
        return held[key] if held[key] is not None else default
    row = session.get(PortalSetting, key)
    return row.value if row is not None else default


def value_column(key: str):
    """A setting as a scalar subquery (NULL when unset), so the sign-in's own query brings what every page asks."""
    return select(PortalSetting.value).where(PortalSetting.key == key).scalar_subquery()


def remember(session: Session, key: str, value: str | None) -> None:
    """Keep a value just read for the rest of this session (one request); put() replaces it."""
    session.info.setdefault(_HELD, {})[key] = value


def put(session: Session, key: str, value: str, user_id: int | None) -> None:
    """Store a setting (the caller commits)."""
    row = session.get(PortalSetting, key)
    if row is None:
        row = PortalSetting(key=key)
        session.add(row)
    row.value, row.updated_by_id = value, user_id
    session.info.get(_HELD, {}).pop(key, None)
    session.flush()


@dataclass(frozen=True)
class Policy:
    """The privacy policy as published: its text, version and the hash a consent records."""

    text: str
    version: int

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def privacy_policy(session: Session) -> Policy | None:
    """The published policy, or None while no administrator has set one."""
    text = get(session, POLICY_TEXT).strip()
    return Policy(text, int(get(session, POLICY_VERSION, "0") or 0)) if text else None


def set_privacy_policy(session: Session, text: str, user_id: int | None) -> Policy | None:
    """Publish a new text of the policy; an unchanged text keeps its version."""
    text = (text or "").replace("\r\n", "\n").strip()
    if len(text) > POLICY_MAX_CHARS:
        raise RuleError(N_("The policy text is too long."), "privacy_policy")
    current = privacy_policy(session)
    if current is not None and current.text == text:
        return current
    if current is None and not text:
        return None
    put(session, POLICY_TEXT, text, user_id)
    put(session, POLICY_VERSION, str((current.version if current else int(get(session, POLICY_VERSION, "0") or 0)) + 1),
        user_id)
    return privacy_policy(session)


def two_step_for_everyone(session: Session) -> bool:
    """Whether an administrator requires two-step sign-in of every person, not only of administrators and heads."""
    return get(session, TWO_STEP_FOR_EVERYONE, "0") == "1"


def set_two_step_for_everyone(session: Session, on: bool, user_id: int | None) -> None:
    put(session, TWO_STEP_FOR_EVERYONE, "1" if on else "0", user_id)
