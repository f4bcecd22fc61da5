"""Key accounts: one account manager per corporate client, carrying each request to the departments and back."""
from flask import Blueprint

from app.services import timeline

bp = Blueprint("key_accounts", __name__)
timeline.register("app.services.client_requests.timeline_items")

from app.key_accounts import routes  # noqa: E402,F401
