"""Backups: the admin page, the `flask backup` commands and the nightly job."""
from flask import Blueprint

bp = Blueprint("backups", __name__)


@bp.app_context_processor
def backup_alert():
    """Admins see a banner on every page while the newest verified backup is too old (or missing)."""
    from app.services.backups import stale_backup_warning

    return {"stale_backup_warning": stale_backup_warning}


from app.backups import routes  # noqa: E402,F401
