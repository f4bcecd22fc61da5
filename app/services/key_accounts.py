"""Key accounts: one account manager (and a deputy) per corporate client, hand-overs, the manager's home."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from app.i18n import tr as _
from app.models.activities import Activity
from app.models.base import utcnow
from app.models.client_requests import OPEN_STATUSES, ClientRequest
from app.models.companies import Company
from app.models.deals import OPEN_STAGES, Deal
from app.models.key_accounts import AccountHandover, KeyAccount
from app.models.org import User
from app.services.errors import RuleError


class AccountsError(RuleError):
    """A key-account or request change cannot be made as asked; `field` names the form field at fault."""


# ---------------------------------------------------------------- key accounts

def key_account(session: Session, company_id: int) -> KeyAccount | None:
    """The key-account record of a company, or None when it is an ordinary client."""
    return session.get(KeyAccount, company_id)


def deputy_of(session: Session, company_id: int) -> int | None:
    """Who stands in for the account manager during absences (a user id), if anyone."""
    return session.scalar(select(KeyAccount.deputy_id).where(KeyAccount.company_id == company_id))


def set_key_account(session: Session, company_id: int, manager_id: int | None, deputy_id: int | None,
                    note: str, by_id: int | None) -> KeyAccount:
    """Mark a company a key account (or change its manager/deputy); a change of people is a recorded hand-over."""
    company = session.get(Company, company_id)
    if company is None or company.deleted_at is not None:
        raise AccountsError(_("This company does not exist."))
    if manager_id is None or session.get(User, manager_id) is None:
        raise AccountsError(_("A key account needs exactly one account manager."), "manager_id")
    if deputy_id is not None and (deputy_id == manager_id or session.get(User, deputy_id) is None):
        raise AccountsError(_("The deputy must be someone other than the account manager."), "deputy_id")
    note = (note or "").strip()
    account = session.get(KeyAccount, company_id)
    previous_manager = company.account_manager_id
    changed = account is None or previous_manager != manager_id or account.deputy_id != deputy_id
    if account is not None and previous_manager not in (None, manager_id) and not note:
        raise AccountsError(_("Write a hand-over note for the new account manager."), "note")
    if account is None:
        account = KeyAccount(company_id=company_id, since=utcnow())
        session.add(account)
    account.deputy_id = deputy_id
    company.account_manager_id = manager_id
    if changed:
        session.add(AccountHandover(company_id=company_id, from_manager_id=previous_manager,
                                    to_manager_id=manager_id, deputy_id=deputy_id, note=note, by_id=by_id))
    if previous_manager not in (None, manager_id):
        # Open requests move with the account; closed ones stay in the figures of whoever carried them.
        for req in session.scalars(select(ClientRequest).where(ClientRequest.company_id == company_id,
                                                               ClientRequest.status.in_(OPEN_STATUSES))):
            req.account_manager_id = manager_id
    session.flush()
    return account


def remove_key_account(session: Session, company_id: int, by_id: int | None) -> None:
    """The company is no longer a key account; its manager stays on the company record."""
    account = session.get(KeyAccount, company_id)
    if account is None:
        return
    session.add(AccountHandover(company_id=company_id, from_manager_id=account.company.account_manager_id,
                                to_manager_id=None, note=_("No longer a key account"), by_id=by_id))
    session.delete(account)
    session.flush()


def handovers(session: Session, company_id: int) -> list[AccountHandover]:
    """Every change of the account's people, newest first, with the notes left for the next manager."""
    return list(session.scalars(select(AccountHandover).where(AccountHandover.company_id == company_id)
                                .order_by(AccountHandover.at.desc(), AccountHandover.id.desc())))


def key_accounts_of(session: Session, user_id: int) -> list[tuple[Company, KeyAccount]]:
    """Companies a person manages or deputises for, by name."""
    return list(session.execute(
        select(Company, KeyAccount).join(KeyAccount, KeyAccount.company_id == Company.id)
        .where(Company.deleted_at.is_(None),
               or_(Company.account_manager_id == user_id, KeyAccount.deputy_id == user_id))
        .order_by(Company.name_sort, Company.id)))


@dataclass
class AccountRow:
    """One line of the account manager's home page."""

    company: Company
    role: str                     # manager | deputy
    revenue_this_year: float = 0
    revenue_last_year: float = 0
    open_requests: int = 0
    overdue_requests: int = 0
    deals_in_progress: int = 0
    last_contact: datetime | None = None


def manager_home(session: Session, user_id: int, today: date) -> list[AccountRow]:
    """The manager's accounts with their figures: one aggregate query per figure, never one per account."""
    accounts = key_accounts_of(session, user_id)
    rows = {c.id: AccountRow(c, "manager" if c.account_manager_id == user_id else "deputy") for c, _k in accounts}
    if not rows:
        return []
    ids = list(rows)
    this_start, last_start = date(today.year, 1, 1), date(today.year - 1, 1, 1)
    revenue = session.execute(
        select(Deal.company_id,
               func.sum(case((Deal.closed_on >= this_start, Deal.amount), else_=0)),
               func.sum(case((Deal.closed_on < this_start, Deal.amount), else_=0)))
        .where(Deal.company_id.in_(ids), Deal.stage == "won", Deal.closed_on >= last_start,
               Deal.closed_on <= today)
        .group_by(Deal.company_id))
    for cid, this_year, last_year in revenue:
        rows[cid].revenue_this_year, rows[cid].revenue_last_year = this_year or 0, last_year or 0
    requests = session.execute(
        select(ClientRequest.company_id, func.count(ClientRequest.id),
               func.sum(case((ClientRequest.due_on < today, 1), else_=0)))
        .where(ClientRequest.company_id.in_(ids), ClientRequest.status.in_(OPEN_STATUSES))
        .group_by(ClientRequest.company_id))
    for cid, n_open, n_overdue in requests:
        rows[cid].open_requests, rows[cid].overdue_requests = n_open, n_overdue or 0
    for cid, n in session.execute(select(Deal.company_id, func.count(Deal.id))
                                  .where(Deal.company_id.in_(ids), Deal.stage.in_(OPEN_STAGES))
                                  .group_by(Deal.company_id)):
        rows[cid].deals_in_progress = n
    for cid, at in session.execute(select(Activity.company_id, func.max(Activity.occurred_at))
                                   .where(Activity.company_id.in_(ids)).group_by(Activity.company_id)):
        rows[cid].last_contact = _aware(at)
    return list(rows.values())


def _aware(value):
    """func.max() bypasses the column type; SQLite hands back a naive value or a string."""
    from datetime import timezone

    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value


# ---------------------------------------------------------------- visibility

