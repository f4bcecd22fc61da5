"""The org board and reference lists every installation starts with."""
from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.i18n import tr
from app.models.campaigns import Channel
from app.models.companies import ClientType
from app.models.org import ROLES, Unit, User
from app.services import passwords
from app.services.errors import RuleError
from app.services.promotion import DEFAULT_CHANNELS

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
    """Create the org board, client types and promotion channels if missing (flushed; the caller commits); safe to
    run on every start."""
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
    if not session.scalar(select(func.count(Channel.id))):  # Promotion's usual channels, until it edits its own
        session.add_all(Channel(code=c, name_ru=ru, name_en=en) for c, ru, en in DEFAULT_CHANNELS)
    session.flush()


def unit_by_code(session: Session, code: str) -> Unit | None:
    return session.scalar(select(Unit).where(Unit.code == code))


class UserError(RuleError):
    """A user cannot be created or changed as asked; the message says why."""


class UnitError(RuleError):
    """A unit of the org board cannot be saved as asked; `field` names the form field at fault."""


def create_user(session: Session, email: str, password: str, role: str, unit_code: str,
                name: str | None = None, locale: str | None = None) -> User:
    """Create a person with a role in a unit (flushed, so the id is known); the rules apply equally to the CLI and
    the admin page."""
    email = email.strip().lower()
    if role not in ROLES:
        raise UserError(tr("role must be one of %(roles)s", roles=", ".join(ROLES)))
    unit = unit_by_code(session, unit_code)
    if unit is None:
        codes = ", ".join(session.scalars(select(Unit.code).order_by(Unit.code)))
        raise UserError(tr("unknown unit %(unit)s; units: %(codes)s", unit=repr(unit_code), codes=codes))
    if session.scalar(select(User).where(User.email == email)):
        raise UserError(tr("a user with email %(email)s already exists", email=email))
    weak = passwords.problem(password, email)
    if weak:
        raise UserError(weak, "password")
    user = User(email=email, name=name or email.split("@")[0], role=role, unit_id=unit.id, locale=locale)
    user.set_password(password)
    session.add(user)
    session.flush()
    return user



UNIT_CODE = re.compile(r"^[a-z][a-z0-9_-]{1,39}$")


def save_unit(session: Session, unit_id: int | None, code: str, name_ru: str, name_en: str,
              parent_id: int | None, in_distribution: bool) -> Unit:
    """Add or change a unit of the org board; requests can then be sent to it."""
    code = (code or "").strip().lower()
    if not UNIT_CODE.match(code):
        raise UnitError(tr("Use 2-40 lower-case letters, digits, - or _, starting with a letter."), "code")
    clash = session.scalar(select(Unit.id).where(Unit.code == code))
    if clash is not None and clash != unit_id:
        raise UnitError(tr("Another unit already has this code."), "code")
    if not (name_ru or "").strip():
        raise UnitError(tr("Give the Russian name."), "name_ru")
    if not (name_en or "").strip():
        raise UnitError(tr("Give the English name."), "name_en")
    unit = session.get(Unit, unit_id) if unit_id else Unit()
    if unit is None:
        raise UnitError(tr("This unit does not exist."))
    ancestor = session.get(Unit, parent_id) if parent_id else None
    while ancestor is not None and unit_id is not None:
        if ancestor.id == unit_id:
            raise UnitError(tr("A unit cannot sit under itself."), "parent_id")
        ancestor = ancestor.parent
    unit.code, unit.name_ru, unit.name_en = code, name_ru.strip()[:200], name_en.strip()[:200]
    unit.parent_id, unit.in_distribution = parent_id or None, bool(in_distribution)
    session.add(unit)
    session.flush()
    return unit


def units(session: Session) -> list[Unit]:
    """The org board, Distribution first: every unit a request can be sent to."""
    return list(session.scalars(select(Unit).order_by(Unit.in_distribution.desc(), Unit.id)))


# Who counts as a person of the portal: deactivated people keep their history but are offered nowhere.
ACTIVE_PEOPLE = User.is_active_user.is_(True)


def active_people(session: Session, unit_code: str | None = None) -> list[User]:
    """Everyone who may be picked (as an owner, assignee, manager, seller), by name; one unit's when given."""
    stmt = select(User).where(ACTIVE_PEOPLE)
    if unit_code is not None:
        stmt = stmt.join(Unit, Unit.id == User.unit_id).where(Unit.code == unit_code)
    return list(session.scalars(stmt.order_by(User.name)))
