"""The Jobs page: each person's background jobs, their progress and results."""
from flask import Blueprint

bp = Blueprint("jobs", __name__)


@bp.before_app_request
def start_embedded_worker():
    """The embedded default runs its worker and the nightly scheduler in the portal process from the first
    request on (`flask run`, a single server process); tests keep START_INPROCESS_WORKER off."""
    from app.services.jobs import runtime

    runtime().ensure_worker_thread()


from app.jobs import routes  # noqa: E402,F401
