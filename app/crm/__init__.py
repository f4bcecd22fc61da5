"""The client base: companies, contacts, addresses, deals, activities and search."""
from flask import Blueprint

bp = Blueprint("crm", __name__)

from app.crm import routes  # noqa: E402,F401
