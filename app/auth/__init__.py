"""Sign-in, sign-out and the person's own settings."""
from flask import Blueprint

bp = Blueprint("auth", __name__)

from app.auth import routes  # noqa: E402,F401
