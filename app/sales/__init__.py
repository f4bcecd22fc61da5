"""Sales work: the materials library, weekly plans and reviews, revenue analysis, surveys, data custody."""
from flask import Blueprint

from app.services import timeline

bp = Blueprint("sales", __name__)
timeline.register("app.services.surveys.timeline_items")

from app.sales import routes  # noqa: E402,F401
