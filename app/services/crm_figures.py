"""Figures about the client base itself, for boards and the division dashboard."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.i18n import tr as _
from app.models.activities import Activity
from app.services.figures import Figure, figure
from app.services.weeks import week_start


@figure("activities_this_week")
def activities_this_week(session: Session, today: date) -> Figure:
    """Calls, meetings, emails and notes logged since Monday: sales actions that reached the database."""
    n = session.scalar(select(func.count(Activity.id)).where(Activity.occurred_at >= week_start(today)))
    return Figure("activities_this_week", _("Activities logged this week"), n, "int",
                  status="ok" if n else "bad")
