"""Keeps the search index current: any ORM change to a company, contact, phone, email or address
re-indexes the records it belongs to, in the same transaction (bulk loads call search.reindex_all)."""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from app.models.activities import Activity
from app.models.companies import Company
from app.models.contact_points import Address, Email, Phone
from app.models.contacts import Contact
from app.services import search


def _affected(objects) -> tuple[set[int], set[int], set[int], set[int]]:
    """The company and contact ids whose tokens depend on these changed rows, then those whose latest activity
    alone may have moved."""
    companies, contacts, active_companies, active_contacts = set(), set(), set(), set()
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
                active_companies.add(obj.company_id)
            if obj.contact_id:
                active_contacts.add(obj.contact_id)
    return companies, contacts, active_companies - companies, active_contacts - contacts


_READY: set[str] = set()  # databases known to have the search index tables


def _index_ready(session: Session) -> bool:
    """Whether this database has the index yet (a base still at an older schema, before its upgrade, has not);
    only a positive answer is remembered, so the index is kept from the moment the upgrade made it."""
    key = str(session.get_bind().engine.url)  # .engine: a session may be bound to a connection (tests)
    if key not in _READY and inspect(session.connection()).has_table("search_documents"):
        _READY.add(key)
    return key in _READY


def _after_flush(session: Session, flush_context) -> None:
    """Re-index what this flush touched; the statements run on the flush's own connection. Inside `deferred`
    the ids are only gathered, and re-indexed together when it ends."""
    companies, contacts, active_companies, active_contacts = _affected([*session.new, *session.dirty, *session.deleted])
    pending = session.info.get("search_pending")
    if pending is not None:
        pending[0].update(companies | active_companies)
        pending[1].update(contacts | active_contacts)
    elif (companies or contacts or active_companies or active_contacts) and _index_ready(session):
        if companies or contacts:
            search.reindex(session, company_ids=companies, contact_ids=contacts)
        if active_companies or active_contacts:   # a logged call: one update, not the record's keys again
            search.touch(session, company_ids=active_companies, contact_ids=active_contacts)


@contextmanager
def deferred(session: Session, batch: int = 500):
    """Re-index once at the end, in batches, what many flushes touched (a large import flushes every row, and
    re-indexing each flush costs more than writing the row). Call `flush_pending` before committing early."""
    session.info["search_pending"] = (set(), set())
    try:
        yield
        flush_pending(session, batch)
    finally:
        session.info.pop("search_pending", None)


def flush_pending(session: Session, batch: int = 500) -> None:
    """Re-index what a `deferred` block gathered so far (ids of rows rolled back since have nothing to index)."""
    pending = session.info.get("search_pending")
    if pending is None:
        return
    session.flush()
    companies, contacts = sorted(pending[0]), sorted(pending[1])
    pending[0].clear()
    pending[1].clear()
    if not (companies or contacts) or not _index_ready(session):
        return
    for i in range(0, max(len(companies), len(contacts)), batch):
        search.reindex(session, company_ids=companies[i:i + batch], contact_ids=contacts[i:i + batch])


def install(session_class) -> None:
    """Attach the index keeper to the app's session class (once)."""
    if not event.contains(session_class, "after_flush", _after_flush):
        event.listen(session_class, "after_flush", _after_flush)
