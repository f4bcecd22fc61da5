"""The client base: companies, contacts, addresses, deals, activities and search."""
from flask import Blueprint

from app.services import timeline

bp = Blueprint("crm", __name__)
timeline.register("app.services.crm.activity_timeline")
timeline.register("app.services.crm.deal_timeline")
timeline.register("app.services.crm.change_timeline")

from app.crm import routes  # noqa: E402,F401
