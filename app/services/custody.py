"""The seed's tenth sign: is each seller's client work in the company's database, or only in their head?"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import case, exists, func, select, union
from sqlalchemy.orm import Session

from app.models.activities import Activity
from app.models.companies import Company
from app.models.deals import OPEN_STAGES, Deal
from app.models.org import User


def since(today: date, days: int) -> datetime:
    return datetime.combine(today - timedelta(days=days), time.min, tzinfo=timezone.utc)


def per_seller(session: Session, today: date, days: int = 14) -> list[dict]:
    """Per seller: open deals and clients with an activity in the last N days, and deals with none at all."""
    cutoff = since(today, days)
    deal_recent = exists().where(Activity.deal_id == Deal.id, Activity.occurred_at >= cutoff)
    deal_any = exists().where(Activity.deal_id == Deal.id)
    deals = {uid: (n, r, none) for uid, n, r, none in session.execute(
        select(Deal.owner_id, func.count(Deal.id), func.sum(case((deal_recent, 1), else_=0)),
               func.sum(case((~deal_any, 1), else_=0)))
        .where(Deal.stage.in_(OPEN_STAGES), Deal.owner_id.is_not(None)).group_by(Deal.owner_id)).all()}
    pairs = union(
        select(Deal.owner_id.label("seller_id"), Deal.company_id.label("company_id"))
        .where(Deal.stage.in_(OPEN_STAGES), Deal.owner_id.is_not(None)),
        select(Company.account_manager_id, Company.id)
        .where(Company.account_manager_id.is_not(None), Company.deleted_at.is_(None))).subquery()
    client_recent = exists().where(Activity.company_id == pairs.c.company_id, Activity.occurred_at >= cutoff)
    clients = {uid: (n, r) for uid, n, r in session.execute(
        select(pairs.c.seller_id, func.count(), func.sum(case((client_recent, 1), else_=0)))
        .group_by(pairs.c.seller_id)).all()}
    ids = set(deals) | set(clients)
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_(ids)))}
    rows = []
    for uid in sorted(ids, key=lambda i: users[i].name):
        n_deals, recent_deals, silent = deals.get(uid, (0, 0, 0))
        n_clients, recent_clients = clients.get(uid, (0, 0))
        rows.append({"seller": users[uid], "deals": n_deals, "deals_recent": int(recent_deals or 0),
                     "deals_share": int(recent_deals or 0) / n_deals if n_deals else None,
                     "deals_silent": int(silent or 0), "clients": n_clients,
                     "clients_recent": int(recent_clients or 0),
                     "clients_share": int(recent_clients or 0) / n_clients if n_clients else None})
    return rows


def silent_deals(session: Session, seller_id: int | None = None, limit: int = 100) -> list[Deal]:
    """Open deals without a single logged activity: the relationship lives only with the seller."""
    stmt = select(Deal).where(Deal.stage.in_(OPEN_STAGES), ~exists().where(Activity.deal_id == Deal.id))
    if seller_id:
        stmt = stmt.where(Deal.owner_id == seller_id)
    return list(session.scalars(stmt.order_by(Deal.amount.desc(), Deal.id).limit(limit)))


def recent_share(session: Session, today: date, days: int = 14) -> tuple[int, int]:
    """(open deals with an activity in the last N days, open deals)."""
    cutoff = since(today, days)
    recent = exists().where(Activity.deal_id == Deal.id, Activity.occurred_at >= cutoff)
    total, with_recent = session.execute(
        select(func.count(Deal.id), func.sum(case((recent, 1), else_=0))).where(Deal.stage.in_(OPEN_STAGES))).one()
    return int(with_recent or 0), int(total or 0)
