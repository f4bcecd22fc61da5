"""Sales work: the materials library, weekly plans and reviews, revenue analysis, surveys, data custody."""
from flask import Blueprint

bp = Blueprint("sales", __name__)

from app.sales import routes  # noqa: E402,F401
