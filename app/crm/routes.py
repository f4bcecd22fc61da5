"""Client base views (thin: parse, call a service, render)."""
from flask import request
from sqlalchemy import select

from app.crm import bp
from app.extensions import db
from app.models.companies import Company
from app.models.contacts import Contact
from app.web import render


@bp.route("/companies")
def companies():
    """All current companies, a page at a time."""
    stmt = select(Company).where(Company.deleted_at.is_(None)).order_by(Company.name_sort, Company.id)
    page = db.paginate(stmt, page=request.args.get("page", 1, type=int), per_page=50, error_out=False)
    return render("crm/companies.html", "crm/_companies_table.html", page=page)


@bp.route("/contacts")
def contacts():
    """All current contacts, a page at a time."""
    stmt = select(Contact).where(Contact.deleted_at.is_(None)).order_by(Contact.name, Contact.id)
    page = db.paginate(stmt, page=request.args.get("page", 1, type=int), per_page=50, error_out=False)
    return render("crm/contacts.html", "crm/_contacts_table.html", page=page)


@bp.route("/search")
def search():
    """Active search: companies and contacts by name, phone in any format, email, INN or city."""
    from flask import current_app

    from app.services import search as search_service

    q = request.args.get("q", "").strip()[:200]
    hits = search_service.search(db.session, q, current_app.config["DEFAULT_PHONE_REGION"]) if q else []
    return render("crm/search.html", "crm/_search_results.html", q=q, hits=hits,
                  highlight=search_service.highlight)
