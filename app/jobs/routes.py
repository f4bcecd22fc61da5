"""Job list and the polling progress fragment."""
from flask import abort, current_app, render_template, request
from flask_babel import gettext as _
from flask_htmx.responses import HTMXResponseStopPolling
from flask_login import current_user
from sqlalchemy import select

from app.demo import seed_demo_job
from app.extensions import db
from app.jobs import bp
from app.models.jobs import JobRecord
from app.services import numbers
from app.services.jobs import enqueue, live_state
from app.services.permissions import is_admin, require
from app.web import render


def _visible_job(job_id: str) -> JobRecord:
    record = db.session.get(JobRecord, job_id)
    if record is None or (record.user_id != current_user.id and not is_admin(current_user)):
        abort(404)
    return record


@bp.route("/")
def index():
    """The signed-in person's jobs, newest first."""
    stmt = select(JobRecord).order_by(JobRecord.created_at.desc()).limit(100)
    if not is_admin(current_user):
        stmt = stmt.where(JobRecord.user_id == current_user.id)
    jobs = [live_state(j) for j in db.session.scalars(stmt)]
    return render("jobs/index.html", "jobs/_list.html", jobs=jobs)


@bp.route("/<job_id>")
def progress(job_id: str):
    """One job's progress; htmx polls it and polling stops when the job ends."""
    record = live_state(_visible_job(job_id))
    body = render_template("jobs/_progress.html", job=record)
    if record.is_done:
        return HTMXResponseStopPolling(body)
    return body


@bp.route("/demo", methods=["POST"])
def start_demo_seed():
    """An admin adds demo clients in the background and watches the progress bar."""
    require(is_admin(current_user))
    if not current_app.config["DEMO_TOOLS"]:
        abort(404)   # never offered on a production portal
    companies = numbers.clamp(request.form.get("companies"), 1, 100_000, 200)
    record = enqueue(seed_demo_job, companies, numbers.clamp(request.form.get("seed"), 0, 2**31 - 1, 7), kind="demo_seed",
                     title=_("Demo data: %(n)s companies", n=companies), user_id=current_user.id)
    return render_template("jobs/_progress.html", job=record)
