"""Keeps the search index current: any ORM change to a company, contact, phone, email or address
re-indexes the records it belongs to, in the same transaction (bulk loads call search.reindex_all)."""
from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import Session

from app.models.activities import Activity
from app.models.companies import Company
from app.models.contact_points import Address, Email, Phone
from app.models.contacts import Contact
from app.services import search


def _affected(objects) -> tuple[set[int], set[int]]:
    """The company and contact ids whose tokens depend on these changed rows."""
    companies, contacts = set(), set()
    for obj in objects:
        if isinstance(obj, Company) and obj.id:
            companies.add(obj.id)
        elif isinstance(obj, Contact) and obj.id:
            contacts.add(obj.id)
        elif isinstance(obj, (Phone, Email)):
            if obj.contact_id:
                contacts.add(obj.contact_id)
            elif obj.company_id:
                companies.add(obj.company_id)
        elif isinstance(obj, Address) and obj.company_id:
            companies.add(obj.company_id)
        elif isinstance(obj, Activity):  # ties in the search are broken by the latest activity
            if obj.company_id:
                companies.add(obj.company_id)
            if obj.contact_id:
                contacts.add(obj.contact_id)
    return companies, contacts


def _after_flush(session: Session, flush_context) -> None:
    """Re-index what this flush touched; the statements run on the flush's own connection."""
    companies, contacts = _affected([*session.new, *session.dirty, *session.deleted])
    if companies or contacts:
        search.reindex(session, company_ids=companies, contact_ids=contacts)


def install(session_class) -> None:
    """Attach the index keeper to the app's session class (once)."""
    if not event.contains(session_class, "after_flush", _after_flush):
        event.listen(session_class, "after_flush", _after_flush)
