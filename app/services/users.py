"""Changing people: role, unit, language, access; a change of password or access signs them out everywhere."""
from __future__ import annotations

import secrets

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.i18n import tr as _
from app.models.org import ROLES, Unit, User
from app.services import org, passwords
from app.services.org import UserError


def update_user(session: Session, user: User, *, acting: User, email: str, name: str, role: str, unit_code: str,
                locale: str | None, active: bool, password: str | None) -> User:
    """Apply an admin's edit; refuses to leave the portal without an active admin."""
    if role not in ROLES:
        raise UserError(_("role must be one of %(roles)s", roles=", ".join(ROLES)))
    unit = session.scalar(select(Unit).where(Unit.code == unit_code))
    if unit is None:
        raise UserError(_("unknown unit %(unit)s", unit=repr(unit_code)))
    email = email.strip().lower()
    weak = passwords.problem(password, email) if password else None
    if weak:
        raise UserError(weak, "password")
    clash = session.scalar(select(User.id).where(User.email == email, User.id != user.id))
    if clash:
        raise UserError(_("a user with email %(email)s already exists", email=email))
    losing_admin = user.role == "admin" and (role != "admin" or not active)
    if losing_admin and session.scalar(select(func.count(User.id)).where(
            User.role == "admin", org.ACTIVE_PEOPLE, User.id != user.id)) == 0:
        raise UserError(_("this is the last active administrator; make someone else an administrator first"))
    user.email, user.name, user.role, user.unit_id = email, name.strip(), role, unit.id
    user.locale = locale or None
    if user.is_active_user != active or password:
        user.session_token = secrets.token_hex(16)  # signs them out everywhere
    user.is_active_user = active
    if password:
        user.set_password(password)
    session.flush()
    return user
