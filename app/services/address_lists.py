"""Segmented address lists: a segment's filters as SQL, a live count, and a streamed export with exclusions.

The export never holds the list in memory: rows come from the database in batches (yield_per / a
server-side cursor on PostgreSQL), ordered by the de-duplication key so a repeat is simply the same
key as the row before, and each row is written to the file as it arrives.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Callable, Iterator

from sqlalchemy import and_, exists, func, literal, select
from sqlalchemy.orm import Session, aliased

from app.i18n import N_, tr
from app.models.activities import Activity
from app.models.address_lists import LIST_FORMATS, AddressList, Segment
from app.models.companies import Company, company_tags
from app.models.contact_points import Address, Email, Phone
from app.models.contacts import Contact
from app.models.deals import Deal, DealLine
from app.services import numbers
from app.services.contact_points import email_key, phone_key
from app.services import exports
from app.services.errors import RuleError
from app.services.exports import Column
from app.services.folding import folded_contains

LIST_FIELDS = ("client_type_ids", "regions", "cities", "industries", "statuses", "bought_product_ids",
               "never_bought_product_ids", "active_after", "active_before", "manager_ids", "tag_ids", "position")
# The columns of each list, headers as msgids (a Russian reader gets Russian headers); the kind types the cells.
COLUMNS = {
    "postal": (Column(N_("Company"), width=40), Column(N_("Addressee"), width=28), Column(N_("Position"), width=24),
               Column(N_("Postcode"), "code", 10), Column(N_("Region"), width=22), Column(N_("City"), width=18),
               Column(N_("Street and building"), width=36), Column(N_("Country"), width=14),
               Column(N_("Phone"), "phone", 20)),
    "email": (Column(N_("Email"), width=32), Column(N_("Name"), width=28), Column(N_("Position"), width=24),
              Column(N_("Company"), width=40), Column(N_("City"), width=18)),
    "phone": (Column(N_("Phone"), "phone", 20), Column(N_("Name"), width=28), Column(N_("Position"), width=24),
              Column(N_("Company"), width=40), Column(N_("City"), width=18)),
}
SHEET_TITLES = {"postal": N_("Postal list"), "email": N_("Email list"), "phone": N_("Phone list")}
EXCLUSION_KEYS = ("do_not_contact", "no_valid_channel", "unverified", "duplicates")


class ListError(RuleError):
    """A segment or list request that cannot be carried out; `field` names the form field."""


def clean_definition(raw: dict) -> dict:
    """Keep only known filters with non-empty values, in a stable JSON-friendly form; a date that is not one
    (or outside 1900..2100) is a RuleError naming its field."""
    out: dict = {}
    for key in LIST_FIELDS:
        value = raw.get(key)
        if key.endswith("_ids"):
            ids = sorted(set(numbers.ids(value or [])))
            if ids:
                out[key] = ids
        elif key in ("active_after", "active_before"):
            if value:
                day = value if isinstance(value, date) else numbers.parse_date(value, key)  # RuleError when bad
                if day is not None:
                    out[key] = day.isoformat()
        elif key in ("regions", "cities", "industries", "statuses"):
            items = [v.strip() for v in (value or []) if v and v.strip()]
            if items:
                out[key] = sorted(set(items))
        elif value and str(value).strip():
            out[key] = str(value).strip()
    return out


def company_conditions(d: dict) -> list:
    """The WHERE conditions on companies that a segment definition means."""
    conds = [Company.deleted_at.is_(None)]
    for key, column in (("client_type_ids", Company.client_type_id), ("regions", Company.region),
                        ("cities", Company.city), ("industries", Company.industry), ("statuses", Company.status),
                        ("manager_ids", Company.account_manager_id)):
        if d.get(key):
            conds.append(column.in_(d[key]))
    if d.get("tag_ids"):
        conds.append(exists().where(company_tags.c.company_id == Company.id, company_tags.c.tag_id.in_(d["tag_ids"])))
    bought = lambda ids: exists().where(Deal.company_id == Company.id, Deal.stage == "won",  # noqa: E731
                                        DealLine.deal_id == Deal.id, DealLine.product_id.in_(ids))
    if d.get("bought_product_ids"):
        conds.append(bought(d["bought_product_ids"]))
    if d.get("never_bought_product_ids"):
        conds.append(~bought(d["never_bought_product_ids"]))
    if d.get("active_after"):
        after = datetime.combine(date.fromisoformat(d["active_after"]), time.min, tzinfo=timezone.utc)
        conds.append(exists().where(Activity.company_id == Company.id, Activity.occurred_at >= after))
    if d.get("active_before"):
        before = datetime.combine(date.fromisoformat(d["active_before"]), time.min, tzinfo=timezone.utc)
        conds.append(exists().where(Activity.company_id == Company.id, Activity.occurred_at < before))
        conds.append(~exists().where(Activity.company_id == Company.id, Activity.occurred_at >= before))
    return conds


def contact_conditions(d: dict) -> list:
    conds = [Contact.deleted_at.is_(None)]
    if d.get("position"):
        conds.append(folded_contains(Contact.position, d["position"]))
    return conds


def count(session: Session, definition: dict) -> dict:
    """The live count under the segment builder: companies and contacts matching, before exclusions."""
    d = clean_definition(definition)
    companies = session.scalar(select(func.count(Company.id)).where(*company_conditions(d)))
    contacts = session.scalar(select(func.count(Contact.id)).join(Company, Company.id == Contact.company_id)
                              .where(*company_conditions(d), *contact_conditions(d)))
    opted_out = session.scalar(select(func.count(Contact.id)).join(Company, Company.id == Contact.company_id)
                               .where(*company_conditions(d), *contact_conditions(d), Contact.do_not_contact.is_(True)))
    return {"companies": companies or 0, "contacts": contacts or 0, "do_not_contact": opted_out or 0}


def save_segment(session: Session, name: str, definition: dict, author_id: int | None,
                 segment_id: int | None = None) -> Segment:
    """Store a segment under a unique name so lists and the CLI can use it again."""
    name = (name or "").strip()
    if not name:
        raise ListError(N_("Give the segment a name."), "name")
    clash = session.scalar(select(Segment.id).where(Segment.name == name, Segment.id != (segment_id or 0)))
    if clash:
        raise ListError(N_("A segment with this name already exists."), "name")
    segment = session.get(Segment, segment_id) if segment_id else None
    if segment is None:
        segment = Segment(author_id=author_id)
        session.add(segment)
    segment.name = name[:200]
    segment.definition = clean_definition(definition)
    session.flush()
    return segment


# ---------------------------------------------------------------- the export query

def _verified_since(options: dict) -> datetime | None:
    days = options.get("unverified_days")
    return datetime.now(timezone.utc) - timedelta(days=int(days)) if days else None


def export_statement(d: dict, fmt: str, options: dict | None = None):
    """One SELECT producing every candidate row with what is needed to exclude it, ordered by the de-dup key.

    Columns: key, excluded reason inputs (dnc, valid, verified_at), then the row's cells in COLUMNS order.
    """
    options = options or {}
    if fmt == "postal":
        return _postal_statement(d)
    point = Email if fmt == "email" else Phone
    best = (select(point.contact_id.label("contact_id"), func.min(point.id).label("point_id"))
            .where(point.contact_id.is_not(None), point.flagged_invalid.is_(False))
            .group_by(point.contact_id).subquery())
    chosen = aliased(point, name="chosen")
    chosen_value = chosen.address if fmt == "email" else chosen.e164
    return (select(chosen_value.label("key"), Contact.do_not_contact.label("dnc"), chosen.verified_at.label("verified_at"),
                   chosen_value, Contact.name, Contact.position, Company.legal_name, Company.city)
            .select_from(Contact)
            .join(Company, Company.id == Contact.company_id)
            .join(best, best.c.contact_id == Contact.id, isouter=True)
            .join(chosen, chosen.id == best.c.point_id, isouter=True)
            .where(*company_conditions(d), *contact_conditions(d))
            .order_by(chosen_value.is_(None).desc(), chosen_value, Contact.id))


def _postal_statement(d: dict):
    """A row per company: the first reachable person as addressee, the postal address else the legal one."""
    people = (select(Contact.company_id.label("company_id"),
                     func.min(Contact.id).filter(Contact.do_not_contact.is_(False)).label("addressee_id"),
                     func.count(Contact.id).label("n"),
                     func.count(Contact.id).filter(Contact.do_not_contact.is_(True)).label("n_dnc"))
              .where(*contact_conditions(d)).group_by(Contact.company_id).subquery())
    addr = {}
    for kind in ("postal", "legal"):
        addr[kind] = (select(Address.company_id.label("company_id"), func.min(Address.id).label("address_id"))
                      .where(Address.kind == kind, Address.flagged_invalid.is_(False))
                      .group_by(Address.company_id).subquery(f"addr_{kind}"))
    a = aliased(Address, name="a")
    addressee = aliased(Contact, name="addressee")
    key = func.coalesce(Company.inn, func.lower(Company.legal_name) + literal("|") + func.coalesce(func.lower(Company.city), ""))
    dnc = and_(people.c.n > 0, people.c.n == people.c.n_dnc)
    # a courier or the post calls the addressee: their phone, else the company's own line
    def first_phone(*where):
        return (select(Phone.e164).where(Phone.flagged_invalid.is_(False), *where)
                .order_by(Phone.id).limit(1).scalar_subquery())

    phone = func.coalesce(first_phone(Phone.contact_id == addressee.id),
                          first_phone(Phone.company_id == Company.id, Phone.contact_id.is_(None)))
    return (select(key.label("key"), dnc.label("dnc"), a.verified_at.label("verified_at"),
                   Company.legal_name, addressee.name, addressee.position, a.postcode, a.region, a.city, a.street,
                   a.country, Company.legal_form, a.id.label("address_id"), phone.label("phone"))
            .select_from(Company)
            .join(people, people.c.company_id == Company.id, isouter=True)
            .join(addressee, addressee.id == people.c.addressee_id, isouter=True)
            .join(addr["postal"], addr["postal"].c.company_id == Company.id, isouter=True)
            .join(addr["legal"], addr["legal"].c.company_id == Company.id, isouter=True)
            .join(a, a.id == func.coalesce(addr["postal"].c.address_id, addr["legal"].c.address_id), isouter=True)
            .where(*company_conditions(d))
            .order_by(key, Company.id))


@dataclass
class ExportSummary:
    """How many rows went into the file and how many were left out, and why."""

    rows: int
    exclusions: dict


class RowStream:
    """The list's rows one by one, exclusions applied; `summary` holds the counts once iterated."""

    def __init__(self, session: Session, d: dict, fmt: str, options: dict | None = None,
                 progress: Callable[[int], None] | None = None, batch: int = 5000):
        self.session, self.d, self.fmt, self.options = session, d, fmt, options or {}
        self.progress, self.batch = progress, batch
        self.summary = ExportSummary(0, dict.fromkeys(EXCLUSION_KEYS, 0))

    def __iter__(self) -> Iterator[list]:
        since = _verified_since(self.options)
        postal = self.fmt == "postal"
        reach = 12 if postal else 0  # the column that is empty when the row has no address / email / phone
        norm = _norm_postal if postal else _point_key(self.fmt)
        excl = self.summary.exclusions
        previous: object = None
        seen = 0
        stmt = export_statement(self.d, self.fmt, self.options)
        # Core rows on a streaming connection: a server-side cursor on PostgreSQL, batches on SQLite.
        result = self.session.connection().execute(
            stmt, execution_options={"stream_results": True, "yield_per": self.batch})
        try:
            for part in result.partitions(self.batch):
                for row in part:
                    if row[1]:
                        excl["do_not_contact"] += 1
                        continue
                    if row[reach] is None:
                        excl["no_valid_channel"] += 1
                        continue
                    if since is not None and (row[2] is None or row[2] < since):
                        excl["unverified"] += 1
                        continue
                    key = norm(row[0])
                    if key == previous:
                        excl["duplicates"] += 1
                        continue
                    previous = key
                    self.summary.rows += 1
                    if postal:
                        company = f"{row[11]} {row[3]}" if row[11] else row[3]
                        yield [company, row[4], row[5], row[6], row[7], row[8], row[9], row[10], row[13]]
                    else:
                        yield row[3:8]
                seen += len(part)
                if self.progress:
                    self.progress(seen)
        finally:
            result.close()


def _point_key(fmt: str) -> Callable[[str], str]:
    """An email or phone de-duplicates by its contact points key (by the stored text when it has none)."""
    key = email_key if fmt == "email" else phone_key
    return lambda value: key(value) or value


def _norm_postal(key) -> str:
    return re.sub(r"\s+", " ", str(key).strip().lower().replace("ё", "е"))


# ---------------------------------------------------------------- writing files

def write_list(session: Session, d: dict, fmt: str, file_type: str, path: Path, options: dict | None = None,
               progress: Callable[[int], None] | None = None) -> ExportSummary:
    """Stream the list into a CSV or XLSX file through the one export writer; returns rows and exclusions.

    `options` bom / semicolon: True or False as chosen, absent for the reader's locale's default."""
    if fmt not in LIST_FORMATS:
        raise ListError(N_("Unknown list format."), "fmt")
    options = options or {}
    rows = RowStream(session, d, fmt, options, progress)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".part")
    if file_type == "xlsx":
        exports.write_xlsx(tmp, [exports.Sheet(tr(SHEET_TITLES[fmt]), COLUMNS[fmt], rows)])
    elif file_type == "csv":
        csv_format = exports.csv_format(options.get("bom"), options.get("semicolon"))
        exports.write_csv_file(tmp, COLUMNS[fmt], rows, csv_format)
    else:
        raise ListError(N_("Unknown file type."), "file_type")
    tmp.replace(path)
    return rows.summary


def create_list(session: Session, segment: Segment, fmt: str, file_type: str, options: dict,
                author_id: int | None, expiry_days: int) -> AddressList:
    """The list's row, before the job fills it; it carries the segment's definition as it is now."""
    if fmt not in LIST_FORMATS:
        raise ListError(N_("Choose postal, email or phone."), "fmt")
    if file_type not in ("csv", "xlsx"):
        raise ListError(N_("Choose CSV or XLSX."), "file_type")
    csv_format = exports.csv_format(options.get("bom"), options.get("semicolon"))  # the reader's default when unset
    clean = {"bom": csv_format.bom, "semicolon": csv_format.delimiter == ";"}
    if options.get("unverified_days"):
        days = int(options["unverified_days"])
        if days <= 0:
            raise ListError(N_("The age must be a positive number of days."), "unverified_days")
        clean["unverified_days"] = days
    lst = AddressList(segment_id=segment.id, name=segment.name, definition=dict(segment.definition), fmt=fmt,
                      file_type=file_type, options=clean, state="queued", author_id=author_id,
                      expires_at=datetime.now(timezone.utc) + timedelta(days=expiry_days))
    session.add(lst)
    session.flush()
    lst.file_name = f"list-{lst.id}-{secrets.token_hex(6)}.{file_type}"
    session.flush()
    return lst


def generate(session: Session, list_id: int, export_dir: Path, progress: Callable[[float], None] | None = None) -> AddressList:
    """Fill a list's file and record its counts (the background job's work)."""
    lst = session.get(AddressList, list_id)
    lst.state = "running"
    session.commit()  # a background job's progress: the lists page shows "running" while the file is written
    total = max(count(session, lst.definition)["contacts" if lst.fmt != "postal" else "companies"], 1)
    try:
        summary = write_list(session, lst.definition, lst.fmt, lst.file_type, export_dir / lst.file_name, lst.options,
                             progress=(lambda n: progress(min(99.0, 100.0 * n / total))) if progress else None)
    except Exception:
        session.rollback()
        lst = session.get(AddressList, list_id)
        lst.state = "failed"
        session.commit()
        raise
    lst = session.get(AddressList, list_id)
    lst.rows, lst.exclusions, lst.state = summary.rows, summary.exclusions, "ready"
    session.commit()
    return lst


def is_downloadable(lst: AddressList, export_dir: Path) -> bool:
    return (lst.state == "ready" and lst.expires_at is not None and lst.expires_at > datetime.now(timezone.utc)
            and (export_dir / lst.file_name).exists())


def purge_expired(session: Session, export_dir: Path) -> int:
    """Delete the files of expired lists (the rows stay, with their counts)."""
    n = 0
    for lst in session.scalars(select(AddressList).where(AddressList.expires_at < datetime.now(timezone.utc),
                                                         AddressList.file_name.is_not(None))):
        path = export_dir / lst.file_name
        if path.exists():
            path.unlink()
            n += 1
    return n


def choices(session: Session) -> dict:
    """Values the segment builder offers: regions, cities, industries present in the base."""
    def distinct(col):
        return [v for v in session.scalars(select(col).where(col.is_not(None), Company.deleted_at.is_(None))
                                           .distinct().order_by(col).limit(500)) if v]

    return {"regions": distinct(Company.region), "cities": distinct(Company.city),
            "industries": distinct(Company.industry)}
