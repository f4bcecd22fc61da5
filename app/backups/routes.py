"""The backups page: list, back up now, download, restore with a typed confirmation. Admins only."""
from flask import abort, current_app, render_template, send_file
from flask_babel import gettext as _
from flask_htmx.responses import HTMXResponseStopPolling
from flask_login import current_user
from sqlalchemy import select

from app.backups import bp
from app.backups.forms import RestoreForm
from app.backups.jobs import backup_now_job, restore_job
from app.extensions import db
from app.models.jobs import JobRecord
from app.services import backup_files, backups
from app.services.jobs import enqueue, live_state
from app.services.permissions import is_admin, require
from app.web import render

JOB_KINDS = ("backup", "backup_nightly", "backup_restore")


@bp.before_request
def admins_only():
    """Backups hold the whole client base: admins only."""
    require(is_admin(current_user))


def _running_job() -> JobRecord | None:
    record = db.session.scalars(select(JobRecord).where(JobRecord.kind.in_(JOB_KINDS))
                                .order_by(JobRecord.created_at.desc()).limit(1)).first()
    return live_state(record) if record is not None and not record.is_done else None


def _list_context() -> dict:
    return {"backups": backups.list_backups(current_app.config), "running": _running_job(),
            "keep": backups.keep_policy(current_app.config)}


@bp.route("/")
def index():
    """Every backup with its time, size, verification and how long it is kept."""
    return render("backups/index.html", "backups/_list.html", form=RestoreForm(), **_list_context())


@bp.route("/list")
def table():
    """The list alone; it polls itself while a backup job runs, and stops when none does."""
    context = _list_context()
    body = render_template("backups/_list.html", **context)
    return body if context["running"] else HTMXResponseStopPolling(body)


@bp.route("/run", methods=["POST"])
def run():
    """Start "back up now" in the background; the list follows its progress."""
    record = enqueue(backup_now_job, kind="backup", title=_("Backup"), user_id=current_user.id, timeout=6 * 3600)
    return render_template("backups/_list.html", **{**_list_context(), "running": live_state(record)})


@bp.route("/<name>/download")
def download(name: str):
    """The backup file itself, to keep elsewhere."""
    try:
        path = backups.find_backup(current_app.config, name)
    except backup_files.BackupError:
        abort(404)
    return send_file(path, as_attachment=True, download_name=name, mimetype="application/zip")


@bp.route("/<name>/restore", methods=["POST"])
def restore(name: str):
    """Restore one backup after the admin typed its confirmation word; refused files say why."""
    form = RestoreForm()
    try:
        backups.find_backup(current_app.config, name)
    except backup_files.BackupError:
        abort(404)
    if not form.validate_on_submit():
        return render_template("backups/_list.html", restore_form=form, restore_name=name, **_list_context()), 422
    record = enqueue(restore_job, name, kind="backup_restore", title=_("Restore %(name)s", name=name),
                     user_id=current_user.id, timeout=6 * 3600)
    return render_template("backups/_list.html", **{**_list_context(), "running": live_state(record)})
