"""The client base: companies, contacts, addresses, deals, activities and search."""
from flask import Blueprint

from app.services import timeline

bp = Blueprint("crm", __name__)
timeline.register("app.services.activities.activity_timeline")
timeline.register("app.services.deals.deal_timeline")
timeline.register("app.services.audit.change_timeline")

from app.crm import routes  # noqa: E402,F401
