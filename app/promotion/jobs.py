"""Background entry points of the promotion area."""
from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _

from app.extensions import db
from app.i18n import lazy_gettext as _l
from app.services import address_lists
from app.services.jobs import job_entry, report_progress
from app.services.links import path_for


@job_entry("address_list")
def generate_list_job(list_id: int) -> dict:
    """Generate an address list file, reporting progress as rows stream out."""
    lst = address_lists.generate(db.session, list_id, current_app.config["EXPORT_DIR"], progress=report_progress)
    return {"url": path_for("promotion.download_list", list_id=lst.id), "text": _("%(rows)s rows", rows=lst.rows)}


@job_entry("address_list_purge", title=_l("Clean-up of expired list files"))
def purge_expired_lists_job() -> dict:
    """Delete expired list files every night; the list rows keep their definition and counts."""
    removed = address_lists.purge_expired(db.session, current_app.config["EXPORT_DIR"])
    return {"text": _("%(n)s expired list files removed", n=removed)}
