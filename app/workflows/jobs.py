"""RQ entry points of the workflows: the weekly roll-over and the due-date reminders (see app/schedule.py)."""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _

from app.extensions import db
from app.i18n import lazy_gettext as _l
from app.services.jobs import job_entry, report_progress


@job_entry("workflows_weekly", title=_l("Weekly boards roll-over"))
def roll_weekly_boards_job() -> dict:
    """Monday: each weekly workflow gets this week's board; last week's undone cards move over, marked."""
    from app.services import workflow_definitions
    from app.services.boards import roll_weekly_boards

    boards = roll_weekly_boards(db.session, date.today(), workflow_definitions.registry().workflows)
    db.session.commit()
    report_progress(100)
    return {"text": _("%(n)s weekly boards started", n=len(boards))}


@job_entry("workflows_reminders", title=_l("Reminders of due cards"))
def send_due_reminders_job() -> dict:
    """Daily: tell assignees about cards due tomorrow and cards overdue."""
    from app.services.boards import send_due_reminders

    sent = send_due_reminders(db.session, date.today())
    db.session.commit()
    return {"text": _("%(n)s reminders sent", n=sent)}
