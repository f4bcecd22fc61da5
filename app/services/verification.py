"""Keeping contact data current: which phones, emails and addresses need a check, and the one-click answers."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from app.i18n import tr
from app.models.base import utcnow
from app.models.companies import Company
from app.models.contact_points import Address
from app.models.contacts import Contact
from app.services import contact_points
from app.services.contact_points import POINT_MODELS, get_point
from app.services.errors import FieldErrors, RuleError

ITEM_MODELS = POINT_MODELS


class VerifyError(RuleError):
    """A value that cannot be saved as a phone, email or address."""


def age_months(session: Session) -> int:
    from app.services.matching import get_settings

    return get_settings(session).verify_age_months


def cutoff(session: Session, today: date | None = None) -> datetime:
    """Data last confirmed before this instant is stale (the admin's age, 12 months by default)."""
    today = today or date.today()
    return datetime.combine(today, time.min, tzinfo=timezone.utc) - timedelta(days=round(30.44 * age_months(session)))


def _stale(model, limit_at: datetime):
    # Never verified: it counts from when it was entered.
    return or_(model.flagged_invalid.is_(True), func.coalesce(model.verified_at, model.created_at) < limit_at)


def _live(model):
    """Items of current companies (and of current contacts, when they belong to one)."""
    cond = [Company.deleted_at.is_(None)]
    if model is not Address:
        cond.append(or_(model.contact_id.is_(None), Contact.deleted_at.is_(None)))
    return and_(*cond)


def _query(model, limit_at: datetime):
    stmt = select(model, Company).join(Company, Company.id == model.company_id)
    if model is not Address:
        stmt = stmt.outerjoin(Contact, Contact.id == model.contact_id)
    return stmt.where(_stale(model, limit_at), _live(model))


@dataclass
class StaleItem:
    """One phone, email or address that needs checking, with whose it is."""

    kind: str
    obj: object
    company: Company

    @property
    def value(self) -> str:
        if self.kind == "phone":
            return self.obj.e164 + (f" ({self.obj.extension})" if self.obj.extension else "")
        if self.kind == "email":
            return self.obj.address
        return self.obj.one_line

    @property
    def contact(self):
        return getattr(self.obj, "contact", None)


def stale_items(session: Session, company_id: int | None = None, kind: str | None = None, limit: int = 100,
                offset: int = 0, today: date | None = None) -> list[StaleItem]:
    """What needs verifying, flagged items first then the oldest; for the queue or one company's page."""
    limit_at = cutoff(session, today)
    out: list[StaleItem] = []
    for name, model in ITEM_MODELS.items():
        if kind and kind != name:
            continue
        stmt = _query(model, limit_at)
        if company_id is not None:
            stmt = stmt.where(model.company_id == company_id)
        stmt = stmt.order_by(model.flagged_invalid.desc(), func.coalesce(model.verified_at, model.created_at), model.id)
        out += [StaleItem(name, obj, company) for obj, company in session.execute(stmt.limit(limit + offset))]
    out.sort(key=lambda i: (not i.obj.flagged_invalid, i.obj.verified_at or i.obj.created_at))
    return out[offset:offset + limit]


def count_stale(session: Session, today: date | None = None, cap: int | None = None) -> int:
    """How many items wait; with a cap, counting stops there (the home page says "1,000+" fast on a big base)."""
    limit_at = cutoff(session, today)
    total = 0
    for m in ITEM_MODELS.values():
        stmt = _query(m, limit_at).with_only_columns(m.id)
        if cap is not None:
            stmt = stmt.limit(cap - total)
        total += session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        if cap is not None and total >= cap:
            return cap
    return total


def mark_verified(session: Session, kind: str, item_id: int, user_id: int | None):
    """The value was checked and is right: it leaves the queue for another age."""
    obj = get_point(session, kind, item_id)
    obj.verified_at, obj.verified_by_id, obj.flagged_invalid, obj.flag_reason = utcnow(), user_id, False, None
    return obj


def mark_changed(session: Session, kind: str, item_id: int, value: str, user_id: int | None):
    """The value was wrong and the right one is typed in: saved and verified at once."""
    obj = get_point(session, kind, item_id)
    value = (value or "").strip()
    try:
        if kind == "phone":
            obj.e164 = contact_points.normalize_phone(value)
        elif kind == "email":
            obj.address = contact_points.normalize_email(value)
        else:
            obj.street = contact_points.normalize_address({"kind": obj.kind, "street": value})["street"]
    except FieldErrors as exc:  # the rule's own message, after what this queue says of the value
        lead = {"phone": tr("This is not a phone number."), "email": tr("This is not an email address.")}.get(kind)
        message = exc.errors.get("street") or next(iter(exc.errors.values()))
        raise VerifyError(f"{lead} {message}" if lead else message, kind) from None
    obj.verified_at, obj.verified_by_id, obj.flagged_invalid, obj.flag_reason = utcnow(), user_id, False, None
    session.flush()  # the search index follows at the flush, through app.services.search_sync
    return obj


def mark_invalid(session: Session, kind: str, item_id: int, user_id: int | None) -> None:
    """The value is dead (no such number, mailbox gone): removed, its history keeps what it was."""
    obj = get_point(session, kind, item_id)
    session.delete(obj)
    session.flush()  # the search index follows at the flush, through app.services.search_sync


def flag_wrong(session: Session, kind: str, item_id: int, reason: str, user_id: int | None):
    """Anyone who meets a bounced email or a wrong number flags it for the CRM section."""
    obj = get_point(session, kind, item_id)
    obj.flagged_invalid, obj.flag_reason = True, (reason or "").strip()[:200] or tr("flagged as wrong")
    return obj


def verified_share(session: Session, today: date | None = None) -> tuple[int, int]:
    """(verified within the age, all) over current phones, emails and addresses."""
    limit_at = cutoff(session, today)
    ok = total = 0
    for model in ITEM_MODELS.values():
        base = select(func.count()).select_from(model).join(Company, Company.id == model.company_id)
        if model is not Address:
            base = base.outerjoin(Contact, Contact.id == model.contact_id)
        base = base.where(_live(model))
        total += session.scalar(base) or 0
        ok += session.scalar(base.where(model.verified_at >= limit_at, model.flagged_invalid.is_(False))) or 0
    return ok, total
