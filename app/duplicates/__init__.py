"""Data quality of the client base: duplicates and merges, imports, the verification queue."""
from flask import Blueprint

from app.services import timeline

bp = Blueprint("duplicates", __name__)
timeline.register("app.services.merge.timeline_items")

from app.duplicates import imports, routes, verify  # noqa: E402,F401
