"""The age of the newest verified backup, for the division dashboard."""
from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from app.i18n import tr as _
from app.services.backups import STALE_AFTER, newest_verified_backup_age
from app.services.figures import Figure, figure


@figure("newest_verified_backup_age_days")
def newest_verified_backup_age_days(session: Session, today: date) -> Figure:
    """Days since the newest backup that a scratch restore proved good; unknown when there is none."""
    age = newest_verified_backup_age(session)
    label = _("Age of the newest verified backup")
    if age is None:
        return Figure("newest_verified_backup_age_days", label, None, "days", status="unknown",
                      note=_("No backup has been verified yet."))
    days = round(age.total_seconds() / 86400, 1)
    return Figure("newest_verified_backup_age_days", label, days, "days",
                  status="bad" if age > STALE_AFTER else "ok")
