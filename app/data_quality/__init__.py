"""Data quality of the client base: duplicates and merges, imports, the verification queue."""
from flask import Blueprint

from app.services import timeline

bp = Blueprint("data_quality", __name__)
timeline.register("app.services.merges.timeline_items")

from app.data_quality import imports, routes, verification  # noqa: E402,F401
