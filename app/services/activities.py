"""Activities: every call, meeting, email and note logged against a client."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from app.i18n import N_, label
from app.i18n import tr as _
from app.i18n import trp as _p
from app.models.activities import ACTIVITY_KINDS, Activity
from app.models.companies import Company
from app.models.contacts import Contact
from app.models.deals import Deal
from app.services import timeline
from app.services.records import future_error, length_errors, raise_errors
from app.services.timeline import TimelineItem


def log_activity(session: Session, *, author_id: int | None, company_id: int, kind: str, occurred_at: datetime,
                 contact_id: int | None = None, deal_id: int | None = None, subject: str = "",
                 outcome: str | None = None) -> Activity:
    """Record a call, meeting, email or note with a client; it shows on the company timeline at once."""
    errors = {}
    if kind not in ACTIVITY_KINDS:
        errors["kind"] = _("Choose call, meeting, email or note.")
    if occurred_at is None:
        errors["occurred_at"] = _("Say when it happened.")
    elif msg := future_error(occurred_at):
        errors["occurred_at"] = msg
    errors.update(length_errors(Activity, {"subject": subject}))
    company = session.get(Company, company_id)
    if company is None or company.deleted_at is not None:
        raise LookupError(company_id)
    if contact_id:
        contact = session.get(Contact, contact_id)
        if contact is None or contact.company_id != company_id:
            errors["contact_id"] = _("Choose a contact of this company.")
    if deal_id:
        deal = session.get(Deal, deal_id)
        if deal is None or deal.company_id != company_id:
            errors["deal_id"] = _("Choose a deal of this company.")
    raise_errors(errors)
    if occurred_at.tzinfo is None:
        occurred_at = occurred_at.replace(tzinfo=timezone.utc)
    activity = Activity(kind=kind, occurred_at=occurred_at, author_id=author_id, company_id=company_id,
                        contact_id=contact_id or None, deal_id=deal_id or None, subject=(subject or "").strip(),
                        outcome=(outcome or "").strip() or None)
    session.add(activity)
    session.flush()
    return activity


# ---------------------------------------------------------------- timeline sources

def activity_timeline(session: Session, company_id: int, before: datetime | None, limit: int, viewer=None) -> list[TimelineItem]:
    """Calls, meetings, emails and notes (the columns shown, not the rows: every company page reads them)."""
    rows = _timeline_rows(session, company_id, before, limit)
    return [TimelineItem(at, f"activity {kind}", " · ".join(x for x in (activity_kind_label(kind), subject, contact)
                                                             if x), outcome, None, author)
            for at, kind, subject, outcome, contact, author in rows]


@timeline.source_query
def _timeline_rows():
    from app.models.org import User

    return (select(Activity.occurred_at, Activity.kind, Activity.subject, Activity.outcome, Contact.name, User.name)
            .outerjoin(Contact, Contact.id == Activity.contact_id).outerjoin(User, User.id == Activity.author_id)
            .where(Activity.company_id == bindparam("company_id")),
            Activity.occurred_at, (Activity.occurred_at.desc(), Activity.id.desc()))


ACTIVITY_WORDS = {"call": N_("Call"), "meeting": N_("Meeting")}


def activity_kind_label(kind: str) -> str:
    """An activity's kind in words; an email and a note take the activity's context (not a contact's email)."""
    if kind in ("email", "note"):
        return _p("activity", "Email") if kind == "email" else _p("activity", "Note")
    return label(ACTIVITY_WORDS, kind)


# ---------------------------------------------------------------- search results, shown with the matching value

