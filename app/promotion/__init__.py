"""Promotion (Dept 4): campaigns, the year's plan, every response counted, analysis, segmented address lists."""
from flask import Blueprint

from app.services import timeline

bp = Blueprint("promotion", __name__)
timeline.register("app.services.responses.timeline_items")

from app.promotion import routes  # noqa: E402,F401
