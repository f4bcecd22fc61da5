"""The home page's figures, each computed from the database."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models.activities import Activity
from app.models.companies import Company
from app.models.contacts import Contact
from app.models.deals import OPEN_STAGES, Deal


def summary(session: Session, user) -> dict:
    """Counts of the base and the user's own open work."""
    return {
        "companies": session.scalar(select(func.count(Company.id)).where(Company.deleted_at.is_(None))),
        "contacts": session.scalar(select(func.count(Contact.id)).where(Contact.deleted_at.is_(None))),
        "open_deals": session.scalar(select(func.count(Deal.id)).where(Deal.stage.in_(OPEN_STAGES))),
        "my_open_deals": session.scalar(select(func.count(Deal.id)).where(Deal.stage.in_(OPEN_STAGES),
                                                                          Deal.owner_id == user.id)),
        "my_recent_activities": list(session.scalars(
            select(Activity).where(Activity.author_id == user.id).order_by(Activity.occurred_at.desc()).limit(10))),
    }
