"""Two-step sign-in: a time-based one-time code (TOTP, RFC 6238) from an authenticator app after the password.

Administrators and heads must use it (the roles in TWO_STEP_ROLES); an administrator may require it of everyone
(a portal setting); anyone else may turn it on. Enrolment stores a secret, which counts only once a first code
confirms it; ten one-time recovery codes are shown once and kept as salted hashes. A code is accepted once: the
time step it belongs to is remembered, so a code seen over someone's shoulder cannot be replayed.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time

import pyotp
from flask import current_app
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.i18n import N_
from app.models.base import utcnow
from app.models.org import RecoveryCode, User
from app.services import settings
from app.services.errors import RuleError

ISSUER = "Clientele"
RECOVERY_CODES = 10
STEP_SECONDS = 30
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"   # no 0/o, 1/l/i: read off paper without doubt


class TwoStepError(RuleError):
    """A refused enrolment step; the message goes next to the code field."""


def enrolled(user: User) -> bool:
    return user.totp_enabled_at is not None


def required(session: Session, user: User) -> bool:
    """Whether this person must use two-step sign-in: by role, or because an administrator requires it of all."""
    return user.role in current_app.config["TWO_STEP_ROLES"] or settings.two_step_for_everyone(session)


def must_enrol(session: Session, user: User) -> bool:
    """Signed in with a password but not yet enrolled although required: sent to enrolment before anything else."""
    return not enrolled(user) and required(session, user)


def start(session: Session, user: User) -> str:
    """Give the person a new secret to add to their authenticator app (not in force until a code confirms it)."""
    if enrolled(user):
        raise TwoStepError(N_("Two-step sign-in is already on."), "code")
    user.totp_secret = pyotp.random_base32()
    session.flush()
    return user.totp_secret


def provisioning_uri(user: User) -> str:
    """The otpauth:// address an authenticator app reads (typed in, or from a QR code made elsewhere)."""
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def _totp_step(user: User, code: str) -> int | None:
    """The time step this code belongs to (the current one or a neighbour, for clock drift), if it is valid and
    newer than the last code used; None otherwise."""
    code = "".join(ch for ch in (code or "") if not ch.isspace())
    if not user.totp_secret or len(code) != 6 or not code.isdigit():
        return None
    totp, now = pyotp.TOTP(user.totp_secret), int(time.time()) // STEP_SECONDS
    for step in (now - 1, now, now + 1):
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code) and step > (user.totp_last_step or -1):
            return step
    return None


def confirm(session: Session, user: User, code: str) -> list[str]:
    """Turn two-step sign-in on once a first code from the app proves it was set up; returns the recovery codes,
    which are shown this once."""
    if enrolled(user):
        raise TwoStepError(N_("Two-step sign-in is already on."), "code")
    step = _totp_step(user, code)
    if step is None:
        raise TwoStepError(N_("This code is not right. Enter the 6 digits your app shows now."), "code")
    user.totp_last_step, user.totp_enabled_at = step, utcnow()
    return new_recovery_codes(session, user)


def new_recovery_codes(session: Session, user: User) -> list[str]:
    """Ten fresh one-time recovery codes (the old ones stop working); only their hashes are kept."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        session.add(RecoveryCode(user_id=user.id, code_hash=_hash(raw)))
    session.flush()
    return codes


def _hash(raw: str, salt: str | None = None) -> str:
    salt = salt or secrets.token_hex(8)
    return f"{salt}${hashlib.sha256((salt + raw).encode()).hexdigest()}"


def _normal_recovery(code: str) -> str:
    return "".join(ch for ch in (code or "").lower() if ch.isalnum())


def verify(session: Session, user: User, code: str) -> bool:
    """Whether this code from the app, or an unused recovery code, lets the person in; either works once."""
    if not enrolled(user):
        return False
    step = _totp_step(user, code)
    if step is not None:
        user.totp_last_step = step
        session.flush()
        return True
    raw = _normal_recovery(code)
    if len(raw) != 10:
        return False
    for row in session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id,
                                                          RecoveryCode.used_at.is_(None))):
        salt, _sep, _digest = row.code_hash.partition("$")
        if hmac.compare_digest(_hash(raw, salt), row.code_hash):
            row.used_at = utcnow()
            session.flush()
            return True
    return False


def recovery_codes_left(session: Session, user: User) -> int:
    return session.scalar(select(func.count(RecoveryCode.id)).where(RecoveryCode.user_id == user.id,
                                                                    RecoveryCode.used_at.is_(None))) or 0


def turn_off(session: Session, user: User, *, by_admin: bool = False) -> None:
    """Remove two-step sign-in: the person, when it is not required of them; an administrator resetting a person
    who lost both their app and their codes (they enrol again at their next sign-in when it is required)."""
    if not by_admin and required(session, user):
        raise TwoStepError(N_("Two-step sign-in is required for you and cannot be turned off."), "code")
    user.totp_secret = user.totp_enabled_at = user.totp_last_step = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    session.flush()
