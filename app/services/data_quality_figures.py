"""Figures about the client base's quality, for boards and the division dashboard."""
from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from app.i18n import tr as _
from app.services.figures import Figure, figure


@figure("verified_contact_data_share")
def verified_contact_data_share(session: Session, today: date) -> Figure:
    """Share of phones, emails and addresses confirmed within the verification age: is the base current?"""
    from app.services.verification import age_months, verified_share

    ok, total = verified_share(session, today)
    label = _("Verified contact data")
    if total == 0:
        return Figure("verified_contact_data_share", label, None, "percent", status="unknown",
                      note=_("There are no phones, emails or addresses yet."))
    share = ok / total
    return Figure("verified_contact_data_share", label, round(share, 4), "percent",
                  status="ok" if share >= 0.8 else "bad",
                  note=_("%(ok)s of %(total)s verified within %(months)s months", ok=ok, total=total,
                         months=age_months(session)), detail={"verified": ok, "total": total})


@figure("duplicate_candidates_open")
def duplicate_candidates_open(session: Session, today: date) -> Figure:
    """Candidate duplicate groups waiting for review: the base is not one record per client until it is zero."""
    from sqlalchemy import func, select

    from app.models.duplicates import DuplicateGroup
    from app.models.jobs import JobRecord
    from app.services.duplicates import count_open_groups

    label = _("Duplicate groups to review")
    scanned = session.scalar(select(func.count(JobRecord.id)).where(
        JobRecord.kind.in_(("dedup_scan_company", "dedup_scan_contact")), JobRecord.status == "finished"))
    if not scanned and not session.scalar(select(func.count(DuplicateGroup.id))):
        return Figure("duplicate_candidates_open", label, None, "int", status="unknown",
                      note=_("The base has not been scanned for duplicates yet."))
    n = count_open_groups(session)
    return Figure("duplicate_candidates_open", label, n, "int", status="ok" if n == 0 else "bad",
                  detail={"company": count_open_groups(session, "company"),
                          "contact": count_open_groups(session, "contact")})
