"""Companies: create, edit (refusing stale copies), tags, soft delete and restore, the list page."""
from __future__ import annotations

from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.i18n import tr as _
from app.models.audit import AuditEntry
from app.models.base import utcnow
from app.models.companies import COMPANY_STATUSES, Company, Tag, company_tags
from app.services.actor import current_actor_id
from app.services.contact_points import inn_error, normalize_inn
from app.services.folding import fold_case, folded
from app.services.records import (
    ListPage,
    check_version,
    clean_fields,
    fill_collections,
    flush_or_conflict,
    length_errors,
    list_page,
    merge_fields,
    prefix_match,
    raise_errors,
    refuse_clashes,
    rows_by_ids,
)

COMPANY_FIELDS = ("legal_name", "legal_form", "inn", "country", "client_type_id", "industry", "region", "city",
                  "status", "account_manager_id", "source", "external_id", "website", "notes")
# Fields the company page edits in place (click-to-edit).
INLINE_FIELDS = ("legal_name", "legal_form", "inn", "industry", "region", "city", "status", "source", "website")
def company_errors(data: dict) -> dict[str, str]:
    errors = length_errors(Company, data)
    if "legal_name" in data and not data.get("legal_name"):
        errors["legal_name"] = _("The legal name is required.")
    if data.get("inn") and "inn" not in errors:
        msg = inn_error(data["inn"], data.get("country") or "RU")
        if msg:
            errors["inn"] = msg
    if "status" in data and data["status"] not in COMPANY_STATUSES:
        errors["status"] = _("Choose a status from the list.")
    return errors


def create_company(session: Session, data: dict, tags: list[str] | None = None) -> Company:
    """A new client; its name is checked, its INN validated."""
    data = clean_fields(data, COMPANY_FIELDS)
    data.setdefault("status", "prospect")
    data["country"] = (data.get("country") or "RU").upper()
    raise_errors(company_errors(data))
    data["inn"] = normalize_inn(data.get("inn"), data["country"])
    company = Company(**data, name_sort=data["legal_name"].lower())
    session.add(company)
    session.flush()
    if tags is not None:
        set_tags(session, company, tags)
    return company


def update_company(session: Session, company_id: int, data: dict, version: int | None,
                   tags: list[str] | None = None, original: dict | None = None) -> Company:
    """Save changes made on a copy of `version`. With `original` (the values the form showed) only the fields the
    person changed are saved, onto whatever is stored now, and only a field someone else changed meanwhile
    refuses the save (Conflict with its clashes); without it a stale copy raises Conflict and changes nothing."""
    company = get_company(session, company_id)
    data = clean_fields(data, COMPANY_FIELDS)
    if "country" in data:
        data["country"] = (data["country"] or "RU").upper()
    seen_version = version
    if original is not None:
        original = clean_fields(original, (*COMPANY_FIELDS, "tags"))
        if "country" in original:
            original["country"] = (original["country"] or "RU").upper()
        mine = dict(data) if tags is None else dict(data, tags=[t.casefold() for t in tags])
        if "tags" in original:
            original["tags"] = [t.casefold() for t in parse_tags(original["tags"])]
        current = {k: getattr(company, k) for k in COMPANY_FIELDS} | {"tags": [t.name.casefold() for t in company.tags]}
        changed, clashes = merge_fields(mine, original, current)
        refuse_clashes(session, company, "companies", version, clashes)
        data = {k: data[k] for k in changed if k in data}
        tags = tags if "tags" in changed else None
        version = None  # merged onto the stored copy; the flush's own version check still catches a racing save
    check = dict(data)
    if "inn" in check:
        check.setdefault("country", company.country)
    raise_errors(company_errors(check))
    if "inn" in data:
        data["inn"] = normalize_inn(data["inn"], check["country"])
    check_version(session, company, "companies", version)
    for key, value in data.items():
        setattr(company, key, value)
    if "legal_name" in data:
        company.name_sort = data["legal_name"].lower()
    if tags is not None:
        set_tags(session, company, tags)
    flush_or_conflict(session, Company, "companies", company_id, seen_version)
    return company


def get_company(session: Session, company_id: int, include_deleted: bool = False, page: bool = False) -> Company:
    """A company by id (LookupError when there is none, or it is deleted); `page` loads what its page shows
    beside it (contacts with their phones, its own contact points), a query each rather than one per contact."""
    company = (session.execute(_page_statements()["company"], {"company_id": company_id}).scalar_one_or_none()
               if page else session.get(Company, company_id))
    if company is None or (company.deleted_at is not None and not include_deleted):
        raise LookupError(company_id)
    if page:
        _load_page_collections(session, company)
    return company


@lru_cache(maxsize=1)
def _page_statements() -> dict:
    """The company and each collection its page shows as one plain query, built once (their cache keys too):
    the ORM's selectin loader builds and keys its own query on every load, about a third of a millisecond of CPU."""
    from sqlalchemy import and_, bindparam, or_
    from sqlalchemy.orm import lazyload

    from app.models.contact_points import Email, Phone
    from app.models.contacts import Contact

    company_id = bindparam("company_id")
    return {
        "company": select(Company).where(Company.id == company_id).options(lazyload(Company.tags)),
        "contacts": select(Contact).where(Contact.company_id == company_id, Contact.deleted_at.is_(None))
        .order_by(Contact.name, Contact.id),
        # the company's own phones and those of its contacts, in one query
        "phones": select(Phone).where(or_(and_(Phone.company_id == company_id, Phone.contact_id.is_(None)),
                                          Phone.contact_id.in_(bindparam("contact_ids", expanding=True))))
        .order_by(Phone.id),
        "emails": select(Email).where(Email.company_id == company_id, Email.contact_id.is_(None)).order_by(Email.id),
    }


def _load_page_collections(session: Session, company: Company) -> None:
    """Fill the page's collections as the relationships would load them (same rows, same order), in five queries."""
    from sqlalchemy.orm.attributes import set_committed_value

    statements = _page_statements()
    params = {"company_id": company.id}
    contacts = list(session.scalars(statements["contacts"], params))
    own, theirs = [], {c.id: [] for c in contacts}
    for phone in session.scalars(statements["phones"], {**params, "contact_ids": list(theirs)}):
        (own if phone.contact_id is None else theirs[phone.contact_id]).append(phone)
    set_committed_value(company, "contacts", contacts)
    for contact in contacts:
        set_committed_value(contact, "phones", theirs[contact.id])
    set_committed_value(company, "phones", own)
    set_committed_value(company, "emails", list(session.scalars(statements["emails"], params)))
    fill_collections(session, [company], Company.tags, Company.addresses)


def parse_tags(text: str | None) -> list[str]:
    """Tags typed as a comma-separated line, trimmed, without repeats."""
    seen: dict[str, str] = {}
    for part in (text or "").split(","):
        name = part.strip()[:60]
        if name and name.lower() not in seen:
            seen[name.lower()] = name
    return list(seen.values())


def set_tags(session: Session, company: Company, names: list[str]) -> None:
    """Replace the company's tags, creating new ones; the change goes into its history."""
    old = sorted(t.name for t in company.tags)
    existing = {fold_case(t.name): t for t in session.scalars(select(Tag).where(folded(Tag.name).in_(
        [fold_case(n) for n in names])))} if names else {}
    tags = []
    for name in names:
        tag = existing.get(fold_case(name))
        if tag is None:
            tag = Tag(name=name)
            session.add(tag)
            existing[fold_case(name)] = tag
        tags.append(tag)
    company.tags = tags
    new = sorted(t.name for t in tags)
    if old != new:
        session.add(AuditEntry(entity_type="companies", entity_id=company.id, company_id=company.id, action="update",
                               field="tags", old_value=", ".join(old) or None, new_value=", ".join(new) or None,
                               version=company.version, user_id=current_actor_id()))


def soft_delete_company(session: Session, company_id: int, user_id: int) -> Company:
    """Hide a company everywhere; an admin can bring it back."""
    company = get_company(session, company_id)
    company.deleted_at = utcnow()
    company.deleted_by_id = user_id
    session.flush()
    return company


def restore_company(session: Session, company_id: int) -> Company:
    """Undo a soft delete; recorded as a restore in the history."""
    company = get_company(session, company_id, include_deleted=True)
    company.deleted_at = None
    company.deleted_by_id = None
    session.flush()
    return company


def deleted_companies(session: Session, limit: int = 200) -> list[Company]:
    return list(session.scalars(select(Company).where(Company.deleted_at.is_not(None))
                                .order_by(Company.deleted_at.desc()).limit(limit)))


COMPANY_SORTS = {
    "name": (Company.name_sort, Company.id),
    "city": (Company.city, Company.name_sort, Company.id),
    "created": (Company.created_at.desc(), Company.id.desc()),
}
# The partial index each sort order reads its page from. SQLite is told which one (INDEXED BY): without
# figures from ANALYZE it prefers the equality on deleted_at and sorts the whole base for every page, and
# with them it misjudges mostly-empty columns elsewhere. PostgreSQL's own figures choose well.
COMPANY_SORT_INDEX = {"name": "ix_companies_live_name", "city": "ix_companies_live_city",
                      "created": "ix_companies_live_created"}


def company_list(session: Session, filters: dict, sort: str = "name", page: int = 1, per_page: int = 50) -> ListPage:
    """Current companies filtered by type, region, city, status, manager and tag."""
    stmt = select(Company).where(Company.deleted_at.is_(None))
    if filters.get("client_type"):
        stmt = stmt.where(Company.client_type_id == filters["client_type"])
    if filters.get("status"):
        stmt = stmt.where(Company.status == filters["status"])
    if filters.get("manager"):
        stmt = stmt.where(Company.account_manager_id == filters["manager"])
    if filters.get("region"):
        stmt = stmt.where(prefix_match(Company.region, filters["region"]))
    if filters.get("city"):
        stmt = stmt.where(prefix_match(Company.city, filters["city"]))
    if filters.get("tag"):
        stmt = stmt.where(Company.id.in_(select(company_tags.c.company_id).where(company_tags.c.tag_id == filters["tag"])))
    sort = sort if sort in COMPANY_SORTS else "name"
    index = ("ix_companies_live_manager" if filters.get("manager") and sort == "name" else
             None if filters.get("tag") else COMPANY_SORT_INDEX[sort])   # a tag's few companies come by id
    return list_page(session, Company, stmt, COMPANY_SORTS[sort], page, per_page, _list_rows(), sqlite_index=index,
                     collections=(Company.tags,))


@lru_cache(maxsize=1)
def _list_rows():
    """The list's rows with their type and manager (joined); their tags are filled after (fill_collections)."""
    from sqlalchemy.orm import lazyload

    return rows_by_ids(Company, lazyload(Company.tags))


