"""Send and read in-app notifications; reminders use a dedup key so each is sent once."""
from __future__ import annotations

from typing import Iterable

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.models.base import utcnow
from app.models.notifications import Notification


_UNREAD = "notifications.unread"   # session.info key: {user_id: count} read with the signed-in person


def unread_column(user_id_column):
    """The person's unread count as a scalar subquery, so the sign-in's own query brings it (every page shows it)."""
    return (select(func.count()).select_from(Notification)
            .where(Notification.user_id == user_id_column, Notification.read_at.is_(None)).scalar_subquery())


def remember_unread(session: Session, user_id: int, count: int) -> None:
    """Keep a count just read for the rest of this session (one request); any change here forgets it."""
    session.info.setdefault(_UNREAD, {})[user_id] = count


def notify(session: Session, user_ids: Iterable[int | None], kind: str, text: str, url: str | None = None,
           dedup_key: str | None = None, exclude: int | None = None) -> int:
    """Queue a message for each person (not the one who caused it); returns how many were added."""
    added = 0
    session.info.pop(_UNREAD, None)
    for uid in {u for u in user_ids if u and u != exclude}:
        if dedup_key and session.scalar(select(Notification.id).where(Notification.user_id == uid,
                                                                      Notification.dedup_key == dedup_key)):
            continue
        session.add(Notification(user_id=uid, kind=kind, text=text[:500], url=url, dedup_key=dedup_key))
        added += 1
    return added


def unread_count(session: Session, user_id: int) -> int:
    """count(*): ix_notifications_user_unread answers it without reading the rows (shown on every page)."""
    held = session.info.get(_UNREAD, {}).get(user_id)
    if held is not None:
        return held
    return session.scalar(select(func.count()).select_from(Notification).where(Notification.user_id == user_id,
                                                                               Notification.read_at.is_(None)))


def recent(session: Session, user_id: int, limit: int = 30) -> list[Notification]:
    return list(session.scalars(select(Notification).where(Notification.user_id == user_id)
                                .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)))


def mark_read(session: Session, user_id: int, notification_id: int | None = None) -> None:
    """Mark one (or all) of a person's notifications read; the caller commits."""
    session.info.pop(_UNREAD, None)
    stmt = update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if notification_id is not None:
        stmt = stmt.where(Notification.id == notification_id)
    session.execute(stmt.values(read_at=utcnow()))
