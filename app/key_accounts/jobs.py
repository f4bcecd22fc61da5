"""RQ entry points of account management: thin, each calls one service."""
from __future__ import annotations

from datetime import date

from app.extensions import db
from app.services.jobs import job_entry


@job_entry("request_reminders")
def send_request_reminders() -> dict:
    """Periodic: warn departments and account managers about requests near or past their agreed date."""
    from app.services.client_requests import send_reminders

    sent = send_reminders(db.session, date.today())
    db.session.commit()
    return {"text": f"{sent['due_soon']} due-soon and {sent['overdue']} overdue reminders sent"}
