"""The Jobs page: each person's background jobs, their progress and results."""
from flask import Blueprint

bp = Blueprint("jobs", __name__)

from app.jobs import routes  # noqa: E402,F401
