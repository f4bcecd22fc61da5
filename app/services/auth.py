"""Sign-in rules: the password check, and a throttle on guessing that never locks the rightful owner out.

Failed attempts are kept in the database, so every gunicorn process on every machine sees the same count. Past a
few failures an account (or an address) must wait before the next try, and the wait doubles with each further
failure, up to the window: a guesser gets a handful of tries an hour instead of thousands. The owner signs in from a
device that has signed in before: it carries a signed "known device" cookie for that account, and the throttle does
not apply to it, so nobody can lock a person out by guessing at their account. A wrong email costs the same time
as a wrong password, so the answer's timing does not tell which addresses have accounts. The code of two-step
sign-in (app.services.two_step) counts against the same throttle: a wrong code is a failed attempt.
"""
from __future__ import annotations

import math
from datetime import timedelta
from functools import cache

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from app.models.base import utcnow
from app.models.org import LoginAttempt, User

FIRST_WAIT_SECONDS = 30
ADDRESS_FACTOR = 4   # an address may fail for a few accounts' worth of attempts before it waits


@cache
def _dummy_hash() -> str:
    return generate_password_hash("no account has this password")


class TooManyAttempts(Exception):
    """Sign-in must wait for this account or address; the message says for how long."""

    def __init__(self, seconds: int):
        super().__init__(seconds)
        self.seconds = seconds
        self.minutes = max(1, math.ceil(seconds / 60))


def _wait(failures: int, last, free: int, window_seconds: int) -> int:
    """Seconds still to wait after `failures` failures, the newest at `last`; 0 when a try is allowed."""
    if failures < free or last is None:
        return 0
    delay = min(window_seconds, FIRST_WAIT_SECONDS * 2 ** (failures - free))
    left = (last + timedelta(seconds=delay) - utcnow()).total_seconds()
    return max(0, math.ceil(left))


def authenticate(session: Session, email: str, password: str, ip: str, max_attempts: int,
                 window_seconds: int, known_device_ids: list[int] = ()) -> User | None:
    """The user when the password is right; None when wrong (the failed attempt is added to the session: the
    caller commits it either way); TooManyAttempts while this account or address must wait. A device that
    has signed in to this account before (its id in known_device_ids) is never made to wait."""
    email = (email or "").strip().lower()
    now = utcnow()
    since = now - timedelta(seconds=window_seconds)
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < since))   # the table keeps only the window
    user = session.scalar(select(User).where(User.email == email))
    trusted = user is not None and user.id in known_device_ids
    if not trusted:
        _throttle(session, email, ip, since, max_attempts, window_seconds)
    if user is not None and user.is_active:
        ok = user.check_password(password)
    else:
        check_password_hash(_dummy_hash(), password or "")   # the same work as for a real account
        ok = False
    if ok:
        session.execute(delete(LoginAttempt).where(LoginAttempt.email == email))
        return user
    session.add(LoginAttempt(email=email[:254], ip=ip[:64], at=now))
    return None


def _throttle(session: Session, email: str, ip: str, since, max_attempts: int, window_seconds: int) -> None:
    """TooManyAttempts while this account or this address must wait after its failures (passwords and codes)."""
    per_email, last_email = session.execute(select(func.count(LoginAttempt.id), func.max(LoginAttempt.at))
                                            .where(LoginAttempt.at >= since, LoginAttempt.email == email)).one()
    per_ip, last_ip = session.execute(select(func.count(LoginAttempt.id), func.max(LoginAttempt.at))
                                      .where(LoginAttempt.at >= since, LoginAttempt.ip == ip)).one()
    wait = max(_wait(per_email, last_email, max_attempts, window_seconds),
               _wait(per_ip, last_ip, max_attempts * ADDRESS_FACTOR, window_seconds))
    if wait:
        raise TooManyAttempts(wait)


def check_code(session: Session, user: User, code: str, ip: str, max_attempts: int, window_seconds: int,
               known_device_ids: list[int] = ()) -> bool:
    """The second step of sign-in under the same throttle as the password: a wrong code is a failed attempt of
    this account and address (added to the session; the caller commits either way); TooManyAttempts while they
    must wait. A right code (or an unused recovery code) clears the account's failures."""
    from app.services import two_step

    now = utcnow()
    since = now - timedelta(seconds=window_seconds)
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < since))
    if user.id not in known_device_ids:
        _throttle(session, user.email, ip, since, max_attempts, window_seconds)
    if user.is_active and two_step.verify(session, user, code):
        session.execute(delete(LoginAttempt).where(LoginAttempt.email == user.email))
        return True
    session.add(LoginAttempt(email=user.email[:254], ip=ip[:64], at=now))
    return False


KNOWN_DEVICE_COOKIE = "known_device"


def known_device_ids(secret_key: str, cookie: str | None) -> list[int]:
    """The accounts that signed in on this device before (the cookie is signed: nobody can forge one)."""
    from itsdangerous import BadSignature, URLSafeSerializer

    if not cookie:
        return []
    try:
        ids = URLSafeSerializer(secret_key, salt=KNOWN_DEVICE_COOKIE).loads(cookie)
    except BadSignature:
        return []
    return [i for i in ids if isinstance(i, int)][:5] if isinstance(ids, list) else []


def known_device_cookie(secret_key: str, ids: list[int], user_id: int) -> str:
    """The cookie after a successful sign-in: this account first, at most five accounts per device."""
    from itsdangerous import URLSafeSerializer

    return URLSafeSerializer(secret_key, salt=KNOWN_DEVICE_COOKIE).dumps(([user_id] + [i for i in ids if i != user_id])[:5])
