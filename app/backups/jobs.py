"""RQ entry points for backups: thin, each calls the backup service and reports progress."""
from __future__ import annotations

from flask_babel import gettext as _

from app.extensions import db
from app.i18n import lazy_gettext as _l
from app.models.jobs import JobRecord
from app.models.org import User
from app.services import backups
from app.services.jobs import job_entry, report_progress


def _made(info: backups.BackupInfo) -> dict:
    """The result line: the backup's name and whether its verification passed, in words."""
    if info.status == "verified":
        return {"text": _("%(name)s · verified", name=info.name)}
    if info.status == "failed":
        return {"text": _("%(name)s · verification failed", name=info.name)}
    return {"text": _("%(name)s · not verified", name=info.name)}


@job_entry("backup")
def backup_now_job() -> dict:
    """"Back up now" from the admin page: make, verify, apply retention."""
    return _made(backups.backup_now("manual", progress=report_progress))


@job_entry("backup_nightly", title=_l("Nightly backup"))
def nightly_backup() -> dict:
    """The scheduled backup (BACKUP_CRON): make, verify, apply retention."""
    return _made(backups.backup_now("nightly", progress=report_progress))


@job_entry("backup_restore")
def restore_job(name: str) -> dict:
    """Restore a backup; the restored database lacks this job's row, so it is written back afterwards."""
    from flask import current_app
    from rq import get_current_job

    job = get_current_job()
    record = db.session.get(JobRecord, job.id) if job else None
    keep = ({c: getattr(record, c) for c in ("id", "kind", "title", "user_id", "status", "created_at", "started_at")}
            if record else None)
    try:
        outcome = backups.restore_in_portal(backups.find_backup(current_app.config, name), progress=report_progress)
    finally:
        if keep:
            _put_back(keep)
    return {"text": _("%(name)s restored; safety backup %(safety)s", name=name, safety=outcome["safety"])}


def _put_back(keep: dict) -> None:
    db.session.rollback()
    if db.session.get(JobRecord, keep["id"]) is not None:
        return
    if keep["user_id"] and db.session.get(User, keep["user_id"]) is None:
        keep["user_id"] = None  # the person does not exist in the restored base
    db.session.add(JobRecord(**keep))
    db.session.commit()
