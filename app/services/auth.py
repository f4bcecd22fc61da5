"""Sign-in rules: password check with a limit on failed attempts per account and per address."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from app.models.base import utcnow
from app.models.org import LoginAttempt, User


class TooManyAttempts(Exception):
    """Sign-in is paused for this account or address; the message says for how long."""

    def __init__(self, minutes: int):
        super().__init__(minutes)
        self.minutes = minutes


def authenticate(session: Session, email: str, password: str, ip: str, max_attempts: int,
                 window_seconds: int) -> User | None:
    """The user when the password is right; None when wrong (the failed attempt is added to the session: the
    caller commits it either way); TooManyAttempts when locked out."""
    email = (email or "").strip().lower()
    since = utcnow() - timedelta(seconds=window_seconds)
    recent = session.scalar(select(func.count(LoginAttempt.id)).where(
        LoginAttempt.at >= since, or_(LoginAttempt.email == email, LoginAttempt.ip == ip)))
    # An address is allowed a few accounts' worth of attempts; an account exactly max_attempts.
    per_email = session.scalar(select(func.count(LoginAttempt.id)).where(
        LoginAttempt.at >= since, LoginAttempt.email == email))
    if per_email >= max_attempts or recent >= max_attempts * 4:
        raise TooManyAttempts(max(1, window_seconds // 60))
    user = session.scalar(select(User).where(User.email == email))
    if user is not None and user.is_active and user.check_password(password):
        session.execute(delete(LoginAttempt).where(LoginAttempt.email == email))
        return user
    session.add(LoginAttempt(email=email[:254], ip=ip[:64]))
    return None
