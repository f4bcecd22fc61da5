"""Data quality of the client base: duplicates and merges, imports, the verification queue."""
from flask import Blueprint

bp = Blueprint("duplicates", __name__)

from app.duplicates import imports, routes, verify  # noqa: E402,F401
