"""RQ entry points of account management: thin, each calls one service."""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _

from app.extensions import db
from app.i18n import lazy_gettext as _l
from app.services.jobs import job_entry


@job_entry("request_reminders", title=_l("Reminders of client requests"))
def send_request_reminders() -> dict:
    """Periodic: warn departments and account managers about requests near or past their agreed date."""
    from app.services.client_requests import send_reminders

    sent = send_reminders(db.session, date.today())
    db.session.commit()
    return {"text": _("%(due_soon)s due-soon and %(overdue)s overdue reminders sent", due_soon=sent["due_soon"],
                      overdue=sent["overdue"])}
