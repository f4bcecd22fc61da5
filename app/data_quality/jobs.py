"""Background jobs of the data-quality area: the full duplicate scan and large imports.

Result addresses are built by the view that enqueues (a worker has no request to build them from)."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models.jobs import JobRecord
from app.services.jobs import job_entry, report_progress


@job_entry("dedup_scan")
def scan_job(kind: str, threshold: float | None = None, result_url: str | None = None) -> dict:
    """Scan the whole base and refill the review queue; the progress bar follows the engine."""
    from rq import get_current_job

    from app.services import duplicates, matching

    report_progress(1)
    candidates = matching.scan(db.session, kind, threshold, progress=lambda f: report_progress(1 + 94 * f))
    job = get_current_job()
    groups = duplicates.fill_queue(db.session, kind, candidates, job.id if job else None)
    db.session.commit()
    report_progress(100)
    return {"url": result_url,
            "text": _("%(groups)s groups, %(pairs)s pairs", groups=groups, pairs=len(candidates))}


def last_scan(session, kind: str) -> JobRecord | None:
    """The newest scan of this kind, so the queue page shows its progress or its result."""
    return session.scalars(select(JobRecord).where(JobRecord.kind == f"dedup_scan_{kind}")
                           .order_by(JobRecord.created_at.desc()).limit(1)).first()


@job_entry("crm_import")
def import_job(run_id: int, result_url: str | None = None) -> dict:
    """Apply an uploaded file in the background and leave its report for download."""
    from app.services import imports

    run = imports.run_import(db.session, run_id, progress=lambda f: report_progress(100 * f))
    return {"url": result_url, "text": imports.summary_text(run)}


@job_entry("import_cleanup", title=_l("Clean-up of abandoned uploads"))
def cleanup_uploads_job() -> dict:
    """Nightly: remove uploaded import files that were never imported."""
    from flask import current_app

    from app.services import imports

    n = imports.remove_abandoned(db.session, current_app.config["UPLOAD_DIR"])
    db.session.commit()
    return {"text": _("%(n)s abandoned uploads removed", n=n)}
