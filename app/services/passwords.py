"""The one rule for a new password, wherever one is set (users create, the admin's user form, a person's own
change): long enough, and not one of the passwords guessers try first (app/data/common-passwords.txt, made by
scripts/make-common-passwords). The demo password of a fresh laptop base is the one documented exception
(app.demo.seed_users says so where it applies)."""
from __future__ import annotations

from functools import cache
from pathlib import Path

from app.i18n import tr
from app.services.errors import RuleError

MIN_LENGTH = 10
MAX_LENGTH = 200
LIST_FILE = Path(__file__).resolve().parent.parent / "data" / "common-passwords.txt"


class PasswordError(RuleError):
    """A new password the rule refuses; the message goes next to the password field."""


@cache
def common_passwords() -> frozenset[str]:
    lines = LIST_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def problem(password: str | None, email: str | None = None) -> str | None:
    """What is wrong with this new password, in the reader's language; None when it may be used."""
    password = password or ""
    if len(password) < MIN_LENGTH:
        return tr("The password must have at least %(n)s characters.", n=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return tr("The password must have at most %(n)s characters.", n=MAX_LENGTH)
    folded = password.strip().lower()
    if folded in common_passwords() or len(set(folded)) <= 2:
        return tr("This password is one of the first that guessers try. Choose another one.")
    local = (email or "").split("@")[0].lower()
    if len(local) >= 4 and local in folded:
        return tr("The password must not contain your email address.")
    return None


def check(password: str | None, email: str | None = None, field: str = "password") -> str:
    """The password when the rule accepts it; PasswordError with the reason otherwise."""
    message = problem(password, email)
    if message:
        raise PasswordError(message, field)
    return password
