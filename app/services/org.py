"""The org board and reference lists every installation starts with."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.companies import ClientType
from app.models.org import ROLES, Unit, User

# (code, Russian, English, parent code, in Distribution)
ORG_BOARD = [
    ("distribution", "Отделение распространения", "Distribution division", None, True),
    ("promotion", "4-й отдел: продвижение", "Dept 4: Promotion", "distribution", True),
    ("publications", "5-й отдел: публикации (материалы по пониманию)", "Dept 5: Publications", "distribution", True),
    ("sales", "6-й отдел: продажи", "Dept 6: Sales", "distribution", True),
    ("crm", "Секция базы клиентов (CRM)", "CRM section", "distribution", True),
    ("accounts", "Аккаунт-менеджмент", "Account management", "distribution", True),
    ("accounting", "Бухгалтерия", "Accounting", None, False),
    ("production", "Производство", "Production", None, False),
    ("logistics", "Логистика", "Logistics", None, False),
    ("legal", "Юридический отдел", "Legal", None, False),
]

CLIENT_TYPES = [
    ("corporate", "Корпоративный", "Corporate"),
    ("smb", "Малый и средний бизнес", "SMB"),
    ("government", "Государственный", "Government"),
    ("partner", "Партнёр", "Partner"),
    ("dealer", "Дилер", "Dealer"),
]


def seed_reference_data(session: Session) -> None:
    """Create the org board and client types if missing; safe to run on every start."""
    existing = {u.code: u for u in session.scalars(select(Unit))}
    for code, ru, en, parent, in_dist in ORG_BOARD:
        if code not in existing:
            unit = Unit(code=code, name_ru=ru, name_en=en, in_distribution=in_dist)
            session.add(unit)
            existing[code] = unit
    session.flush()
    for code, _ru, _en, parent, _in_dist in ORG_BOARD:
        if parent and existing[code].parent_id is None:
            existing[code].parent_id = existing[parent].id
    types = {t.code for t in session.scalars(select(ClientType))}
    for code, ru, en in CLIENT_TYPES:
        if code not in types:
            session.add(ClientType(code=code, name_ru=ru, name_en=en))
    session.commit()


def unit_by_code(session: Session, code: str) -> Unit | None:
    return session.scalar(select(Unit).where(Unit.code == code))


class UserError(ValueError):
    """A user cannot be created or changed as asked; the message says why."""


def create_user(session: Session, email: str, password: str, role: str, unit_code: str,
                name: str | None = None, locale: str | None = None) -> User:
    """Create a person with a role in a unit; the rules apply equally to the CLI and the admin page."""
    email = email.strip().lower()
    if role not in ROLES:
        raise UserError(_("role must be one of %(roles)s", roles=", ".join(ROLES)))
    unit = unit_by_code(session, unit_code)
    if unit is None:
        codes = ", ".join(session.scalars(select(Unit.code).order_by(Unit.code)))
        raise UserError(_("unknown unit %(unit)s; units: %(codes)s", unit=repr(unit_code), codes=codes))
    if session.scalar(select(User).where(User.email == email)):
        raise UserError(_("a user with email %(email)s already exists", email=email))
    if len(password) < 8:
        raise UserError(_("the password must have at least 8 characters"))
    user = User(email=email, name=name or email.split("@")[0], role=role, unit_id=unit.id, locale=locale)
    user.set_password(password)
    session.add(user)
    session.commit()
    return user
