"""Importing companies and contacts from CSV or XLSX: detection, mapping, preview, and an exact apply.

The whole import runs in one transaction with a savepoint per batch of new records (and per row where a
batch fails): a bad row is rolled back alone and reported, "all or nothing" rolls everything back, and a
crash leaves the base as it was.
"""
from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.i18n import N_, tr
from app.i18n import lazy_gettext as _l
from app.models.companies import Company
from app.models.contact_points import Address, Email, Phone
from app.models.contacts import Contact
from app.models.imports import ImportMapping, ImportRun
from app.services import contact_points, exports, tabular
from app.services.contact_points import ContactPointError
from app.services.errors import FieldErrors, RuleError
from app.services.exports import Column
from app.services.folding import folded_equals

ON_DUPLICATE = ("create", "update", "skip")
PREVIEW_ROWS = 20
WITHIN_FILE_WINDOW = 20_000  # rows the engine compares with each other at once (memory, see same_as_earlier)

# Target fields per kind: (field, label, header words in Russian and English that point at it).
FIELDS = {
    "company": [
        ("external_id", _l("External id"), ["external id", "id", "код", "внешний id", "внешний код", "ид"]),
        ("legal_name", _l("Company name"), ["name", "company", "company name", "название", "наименование", "компания",
                                     "организация", "клиент"]),
        ("legal_form", _l("Legal form"), ["legal form", "form", "опф", "форма", "правовая форма"]),
        ("inn", _l("INN"), ["inn", "tax id", "vat", "инн"]),
        ("city", _l("City"), ["city", "town", "город"]),
        ("region", _l("Region"), ["region", "регион", "область"]),
        ("industry", _l("Industry"), ["industry", "отрасль", "сфера"]),
        ("website", _l("Website"), ["website", "site", "web", "сайт"]),
        ("phone", _l("Phone"), ["phone", "phones", "tel", "telephone", "телефон", "телефоны", "тел"]),
        ("email", _l("Email"), ["email", "e-mail", "mail", "почта", "эл. почта", "электронная почта", "емейл"]),
        ("address", _l("Address"), ["address", "адрес", "street", "улица", "юридический адрес"]),
        ("postcode", _l("Postcode"), ["postcode", "zip", "индекс", "почтовый индекс"]),
        ("notes", _l("Notes"), ["notes", "comment", "комментарий", "примечание", "заметки"]),
    ],
    "contact": [
        ("external_id", _l("External id"), ["external id", "id", "код", "внешний id", "внешний код", "ид"]),
        ("name", _l("Name"), ["name", "full name", "contact", "фио", "имя", "контакт", "контактное лицо"]),
        ("position", _l("Position"), ["position", "title", "job title", "должность"]),
        ("company_inn", _l("Company INN"), ["company inn", "inn", "инн", "инн компании"]),
        ("company_external_id", _l("Company external id"), ["company id", "company external id", "код компании"]),
        ("company_name", _l("Company name"), ["company", "company name", "компания", "организация"]),
        ("phone", _l("Phone"), ["phone", "phones", "mobile", "tel", "телефон", "мобильный", "тел"]),
        ("email", _l("Email"), ["email", "e-mail", "mail", "почта", "эл. почта", "электронная почта"]),
        ("notes", _l("Notes"), ["notes", "comment", "комментарий", "примечание"]),
    ],
}


class ImportError_(RuleError):
    """A file or mapping that cannot be imported; the message says why."""


# --- reading files (app/services/tabular.py decides encodings, separators and workbook limits) ---------


def reading_options(reading: dict | None) -> dict:
    """The person's choice of encoding and separator as the reader takes it; anything unknown is detected."""
    reading = reading or {}
    encoding = reading.get("encoding")
    delimiter = reading.get("delimiter")
    return {"encoding": encoding if encoding in tabular.ENCODINGS else None,
            "delimiter": delimiter if delimiter in tabular.DELIMITERS else None}


def read_table(path: Path, reading: dict | None = None) -> tuple[list[str], Iterator[list[str]]]:
    """Headers and a stream of rows (as text) from a CSV or XLSX file."""
    table = tabular.open_table(path, **reading_options(reading))
    return table.headers, table.rows


def file_info(path: Path, reading: dict | None = None) -> dict:
    """What the mapping screen shows: what the reader chose (and detected), headers and a few sample rows."""
    with tabular.open_table(path, **reading_options(reading)) as table:
        samples = [r for _, r in zip(range(3), table.rows)]
    return {"format": table.format, "headers": table.headers, "samples": samples,
            "encoding": tabular.encoding_label(table.encoding) if table.encoding else None,
            "delimiter": tabular.delimiter_label(table.delimiter) if table.delimiter else None,
            "encoding_key": table.encoding, "delimiter_key": table.delimiter,
            "detected_encoding": tabular.encoding_label(table.detected_encoding) if table.detected_encoding else None,
            "detected_delimiter": tabular.delimiter_label(table.detected_delimiter) if table.detected_delimiter else None}


# --- mapping ----------------------------------------------------------------------------------


def _norm_header(h: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[_*:.()\-]+", " ", h.lower().replace("ё", "е"))).strip()


def guess_mapping(kind: str, headers: list[str]) -> dict[str, str]:
    """Header -> field, guessed from Russian or English header words; each field is used once."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for exact in (True, False):
        for h in headers:
            if h in out:
                continue
            nh = _norm_header(h)
            for name, _label, words in FIELDS[kind]:
                if name in used:
                    continue
                hit = nh in words if exact else any(w in nh for w in words if len(w) > 3)
                if hit:
                    out[h] = name
                    used.add(name)
                    break
    return out


def field_names(kind: str) -> list[str]:
    return [name for name, _label, _words in FIELDS[kind]]


def clean_mapping(kind: str, mapping: dict, headers: list[str]) -> dict[str, str]:
    """Keep only known headers and fields; a field mapped twice is an error the person must fix."""
    known = set(field_names(kind))
    out = {h: f for h, f in mapping.items() if h in headers and f in known}
    seen: dict[str, str] = {}
    for h, f in out.items():
        if f in seen:
            raise ImportError_(tr("Two columns are mapped to the same field: %(a)s and %(b)s.", a=seen[f], b=h))
        seen[f] = h
    required = "legal_name" if kind == "company" else "name"
    if required not in seen:
        raise ImportError_(tr("Map a column to the name: it is required."))
    return out


def save_mapping(session: Session, kind: str, name: str, mapping: dict, user_id: int | None) -> ImportMapping:
    """Save (or replace) a named mapping for the next file from the same source."""
    name = name.strip()[:120]
    row = session.scalar(select(ImportMapping).where(ImportMapping.kind == kind, ImportMapping.name == name))
    if row is None:
        row = ImportMapping(kind=kind, name=name, mapping=mapping, created_by_id=user_id)
        session.add(row)
    else:
        row.mapping = dict(mapping)
    session.flush()
    return row


def saved_mappings(session: Session, kind: str) -> list[ImportMapping]:
    return list(session.scalars(select(ImportMapping).where(ImportMapping.kind == kind).order_by(ImportMapping.name)))


# --- rows -------------------------------------------------------------------------------------


@dataclass
class Row:
    """One data row: its number in the file (header is row 1), clean values, errors and what matches it."""

    number: int
    values: dict
    errors: list[str] = field(default_factory=list)
    match_id: int | None = None
    match_how: str | None = None  # external_id, inn, similar
    match_score: float | None = None
    same_as_row: int | None = None
    action: str = "create"
    inn_checked: bool = False  # its INN was looked up in the base: no current company holds it


def _split(value: str) -> list[str]:
    return [v.strip() for v in re.split(r"[,;\n]", value or "") if v.strip()]


def _normalised(text: str, rule: Callable[[str], str], errors: list[str]) -> list[str]:
    """Each value of a multi-value cell as the contact points rule stores it; a refused one is the row's
    error, with the message the form shows."""
    out = []
    for value in _split(text):
        try:
            out.append(rule(value))
        except ContactPointError as exc:
            errors.append(exc.message)
    return out


def validate(kind: str, raw: dict) -> tuple[dict, list[str]]:
    """Clean one row's values; each problem is a sentence naming the field."""
    values = {k: (v or "").strip() for k, v in raw.items()}
    errors: list[str] = []
    name_field = "legal_name" if kind == "company" else "name"
    if not values.get(name_field):
        errors.append(tr("The name is empty."))
    region = contact_points.default_region()
    phones = _normalised(values.get("phone", ""), lambda v: contact_points.normalize_phone(v, region), errors)
    emails = _normalised(values.get("email", ""), contact_points.normalize_email, errors)
    inn_field = "inn" if kind == "company" else "company_inn"
    if values.get(inn_field):
        try:
            values[inn_field] = contact_points.normalize_inn(values[inn_field]) or ""
        except ContactPointError as exc:
            errors.append(exc.message)
    if kind == "company" and values.get("address"):
        try:
            address = contact_points.normalize_address({"kind": "legal", "street": values["address"],
                                                        "city": values.get("city"), "postcode": values.get("postcode")})
            values["address"], values["postcode"] = address["street"], address.get("postcode") or ""
        except FieldErrors as exc:
            labels = {f: label for f, label, _words in FIELDS["company"]}
            errors += [f"{labels.get(k, labels['address'])}: {m}" for k, m in exc.errors.items()]
    values["phones"], values["emails"] = phones, emails
    for key in list(values):
        if isinstance(values[key], str) and len(values[key]) > 300 and key != "notes":
            label = next((str(lb) for name, lb, _words in FIELDS[kind] if name == key), key)
            errors.append(tr("The value of %(field)s is too long.", field=label))
    return values, errors


def iter_rows(path: Path, kind: str, mapping: dict, reading: dict | None = None) -> Iterator[Row]:
    """Every data row of the file, cleaned and validated against the mapping, read as a stream."""
    table = tabular.open_table(path, **reading_options(reading))
    with table:
        positions = {f: table.headers.index(h) for h, f in mapping.items() if h in table.headers}
        for n, raw in enumerate(table.rows, start=2):
            picked = {f: (raw[i] if i < len(raw) else "") for f, i in positions.items()}
            values, errors = validate(kind, picked)
            yield Row(n, values, errors)


def _engine_record(kind: str, number: int, v: dict) -> dict:
    if kind == "company":
        return {"id": number, "name": v.get("legal_name"), "legal_form": v.get("legal_form") or None,
                "inn": v.get("inn") or None, "city": v.get("city") or None, "phones": v["phones"],
                "emails": v["emails"], "addresses": [v["address"]] if v.get("address") else []}
    return {"id": number, "name": v.get("name"), "company_name": v.get("company_name") or None,
            "position": v.get("position") or None, "phones": v["phones"], "emails": v["emails"]}


def same_as_earlier(session: Session, kind: str, rows: Iterable[Row]) -> dict[int, int]:
    """Row number -> the earlier row of the same file it repeats (exact keys first, then the engine).

    The rows are consumed as a stream and only their keys are kept. Exact keys (external id, INN, phone, email)
    span the whole file; the engine compares the rows within windows of WITHIN_FILE_WINDOW rows, because its
    index of 200,000 rows alone would take about 350 MB."""
    from app.services import matching

    first_by_key: dict[str, int] = {}  # "x<external id>", "i<INN>", "p<phone>", "e<email>": one string a key
    same: dict[int, int] = {}

    def records() -> Iterator[dict]:
        for r in rows:
            if r.errors:
                continue
            v = r.values
            keys = [f"x{v['external_id']}"] if v.get("external_id") else []
            keys += [f"p{p}" for p in v["phones"] if p and kind == "contact"]
            keys += [f"i{v['inn']}"] if kind == "company" and v.get("inn") else []
            keys += [f"e{e}" for e in v["emails"] if e]
            for k in keys:
                if k in first_by_key and r.number not in same:
                    same[r.number] = first_by_key[k]
            for k in keys:
                first_by_key.setdefault(k, r.number)
            yield _engine_record(kind, r.number, v)

    stream = records()
    m = None
    while len(head := list(islice(stream, 2))) == 2:  # a window of one row repeats nothing within it
        m = m or matching.matcher(session, kind)
        for c in m.scan(chain(head, islice(stream, WITHIN_FILE_WINDOW - 2))):
            same.setdefault(max(c.a_id, c.b_id), min(c.a_id, c.b_id))
        trim_engine_caches()
    return same


def trim_engine_caches() -> None:
    """Empty the engine's memo of normalised names: sized for a full scan of the base, on a file it would
    keep 300,000 names of rows already read (about 100 MB)."""
    from app.matching import names, normalize

    for memo in (normalize.fold_latin, normalize.normalise_company_name, names.company_name_key):
        memo.cache_clear()


def within_file(session: Session, kind: str, rows: list[Row]) -> None:
    """Mark each row that repeats an earlier row of the same file (exact keys or the engine)."""
    for r in rows:
        r.same_as_row = None
    same = same_as_earlier(session, kind, rows)
    for r in rows:
        r.same_as_row = same.get(r.number)


def against_base(session: Session, kind: str, row: Row, fresh: bool = True, m=None) -> None:
    """Find the existing record a row means: its external id, then its INN, then the engine (matcher `m`, or
    the admin's)."""
    from app.services import matching

    if row.errors:
        return
    model = Company if kind == "company" else Contact
    v = row.values
    if v.get("external_id"):
        hit = session.scalar(select(model.id).where(model.external_id == v["external_id"], model.deleted_at.is_(None))
                             .order_by(model.id).limit(1))
        if hit:
            row.match_id, row.match_how, row.match_score = hit, "external_id", 100.0
            return
    if kind == "company" and v.get("inn"):
        twin_id = matching.same_inn_id(session, v["inn"])
        if twin_id is not None:
            row.match_id, row.match_how, row.match_score = twin_id, "inn", 100.0
            return
        row.inn_checked = True
    fields = dict(v, phones=v["phones"], emails=v["emails"])
    hits = matching.likely_duplicates(session, kind, fields, limit=1, fresh=fresh, m=m, inn_checked=row.inn_checked)
    if hits:
        row.match_id, row.match_how, row.match_score = hits[0].record.id, "similar", hits[0].score


def decide(row: Row, on_duplicate: str, override: str | None = None) -> str:
    """create, update or skip for one row: the person's choice, else the policy."""
    if row.errors:
        return "fail"
    if override in ON_DUPLICATE:
        if override == "update" and row.match_id is None and row.same_as_row is None:
            return "create"
        return override
    if row.match_how == "external_id":
        return "update"
    if row.match_id is not None or row.same_as_row is not None:
        return on_duplicate
    return "create"


def preview(session: Session, path: Path, kind: str, mapping: dict, on_duplicate: str,
            limit: int = PREVIEW_ROWS, reading: dict | None = None) -> list[Row]:
    """The first rows with their errors, duplicate status and proposed action."""
    rows_in_file = iter_rows(path, kind, mapping, reading)
    rows = [r for _, r in zip(range(limit), rows_in_file)]
    rows_in_file.close()
    within_file(session, kind, rows)
    for r in rows:
        against_base(session, kind, r)
        r.action = decide(r, on_duplicate)
    return rows


# --- applying ---------------------------------------------------------------------------------


class _Rollback(Exception):
    """Raised to undo the whole import (all or nothing, or a dry run)."""


BATCH_ROWS = 500  # new records written in one savepoint and two flushes; a batch that fails is redone row by row


def _exact_keys(row: Row) -> set[str]:
    """The keys by which a later row of the file finds this one in the base: its external id and INN."""
    v = row.values
    return {k for k in (f"x{v['external_id']}" if v.get("external_id") else "",
                        f"i{v['inn']}" if v.get("inn") else "") if k}


def apply(session: Session, path: Path, kind: str, mapping: dict, on_duplicate: str = "skip",
          all_or_nothing: bool = False, dry_run: bool = False, overrides: dict | None = None,
          progress: Callable[[float], None] | None = None, user_id: int | None = None,
          reading: dict | None = None) -> dict:
    """Import the file in one transaction, a savepoint per batch of new records (per row for updates and for
    a batch that fails); returns the report.

    The file is read twice as a stream (repeats within it first, then the rows), so a large file is never
    held in memory as rows. New records wait in a batch of BATCH_ROWS and are written together; a row that
    refers to a waiting one (a repeat of it, or its external id or INN) writes the batch first, so every row
    sees the base and the file's earlier rows exactly as if each had been written on its own."""
    from app.services import matching, search_sync
    from app.services.actor import acting_as

    if on_duplicate not in ON_DUPLICATE:
        raise ImportError_(tr("Unknown duplicate policy."))
    overrides = {int(k): v for k, v in (overrides or {}).items()}
    counted = 0

    def counting(rows: Iterator[Row]) -> Iterator[Row]:
        nonlocal counted
        for row in rows:
            counted += 1
            yield row

    same = same_as_earlier(session, kind, counting(iter_rows(path, kind, mapping, reading)))
    total = max(1, counted)
    matching.forget_index()
    report = {"created": 0, "updated": 0, "skipped": 0, "failed": 0, "rows": [], "applied": True,
              "dry_run": dry_run, "all_or_nothing": all_or_nothing}
    made: dict[int, int] = {}  # row number -> record id it created or updated
    waiting: dict[int, Row] = {}  # row number -> a new record not written yet, in the file's order
    waiting_keys: set[str] = set()

    def written(row: Row, action: str, rid: int) -> None:
        made[row.number] = rid
        _log(report, row, "created" if action == "create" else "updated", rid, _match_text(row))

    def write_one(row: Row, action: str, target: int | None) -> None:
        savepoint = session.begin_nested()
        try:
            rid = _write(session, kind, row.values, target if action == "update" else None)
            savepoint.commit()
        except Exception as exc:  # one bad row must not spoil the rest
            savepoint.rollback()
            _log(report, row, "failed", None, _db_error(exc))
            return
        written(row, action, rid)

    def write_waiting() -> None:
        if not waiting:
            return
        batch = list(waiting.values())
        waiting.clear()
        waiting_keys.clear()
        savepoint = session.begin_nested()
        try:
            ids = _create_many(session, kind, [r.values for r in batch])
            savepoint.commit()
        except Exception:  # some row of it is refused by the database: each row on its own says which
            savepoint.rollback()
            for r in batch:
                write_one(r, "create", None)
            return
        for r, rid in zip(batch, ids, strict=True):
            written(r, "create", rid)

    session.rollback()
    m = matching.matcher(session, kind)
    try:
        with acting_as(user_id), search_sync.deferred(session):  # the search index once at the end, in batches
            for i, row in enumerate(iter_rows(path, kind, mapping, reading)):
                row.same_as_row = same.get(row.number)
                if progress and i % 200 == 0:
                    progress(i / total)
                if i and i % WITHIN_FILE_WINDOW == 0:
                    trim_engine_caches()
                if row.same_as_row in waiting or (waiting_keys and _exact_keys(row) & waiting_keys):
                    write_waiting()
                if row.same_as_row is not None and row.same_as_row in made:
                    row.match_id, row.match_how = made[row.same_as_row], "file"
                elif not row.errors:  # rows of this file are matched by same_as_row, the base as it was
                    against_base(session, kind, row, fresh=False, m=m)
                action = decide(row, on_duplicate, overrides.get(row.number))
                target = row.match_id
                if action == "update" and target is None:
                    action = "create"
                if action == "create" and kind == "company" and row.values.get("inn") and not row.inn_checked:
                    twin_id = matching.same_inn_id(session, row.values["inn"])
                    if twin_id is not None:
                        row.errors.append(tr("A company with this INN already exists (#%(id)s).", id=twin_id))
                        action = "fail"
                if action == "fail":
                    _log(report, row, "failed", None, "; ".join(row.errors))
                elif action == "skip":
                    _log(report, row, "skipped", target, _match_text(row))
                elif action == "create":
                    waiting[row.number] = row
                    waiting_keys.update(_exact_keys(row))
                    if len(waiting) >= BATCH_ROWS:
                        write_waiting()
                else:
                    write_waiting()
                    write_one(row, action, target)
            write_waiting()
            report["rows"].sort(key=lambda entry: entry["row"])
            if dry_run or (all_or_nothing and report["failed"]):
                raise _Rollback
        session.commit()  # the import is its own transaction: all rows, or (all-or-nothing, dry run) none
    except _Rollback:
        session.rollback()
        report["applied"] = False
    except Exception:
        session.rollback()
        raise
    matching.forget_index()
    if progress:
        progress(1.0)
    return report


def _match_text(row: Row) -> str:
    """Why a row was taken for an existing record, in the report's reader's words (the import's starter)."""
    if row.match_how == "external_id":
        return f"{tr('same external id')} → #{row.match_id}"
    if row.match_how == "inn":
        return f"{tr('same INN')} → #{row.match_id}"
    if row.match_how == "similar":
        return f"{tr('similar')} ({row.match_score:.0f}%) → #{row.match_id}"
    if row.match_how == "file":
        return f"{tr('same as row %(n)s', n=row.same_as_row)} → #{row.match_id}"
    return ""


def _db_error(exc: Exception) -> str:
    text = str(getattr(exc, "orig", exc)).splitlines()[0]
    return text[:300]


def _log(report: dict, row: Row, outcome: str, record_id: int | None, reason: str) -> None:
    report[outcome] += 1
    report["rows"].append({"row": row.number, "outcome": outcome, "id": record_id, "reason": reason})


def _write(session: Session, kind: str, v: dict, target: int | None) -> int:
    """Create the record or fill the existing one; contact points are added, never replaced."""
    if target is None:
        return _create_many(session, kind, [v])[0]
    model = Company if kind == "company" else Contact
    obj = session.get(model, target)
    _fill(session, kind, obj, v)
    session.flush()
    _add_points(session, kind, obj, v, fresh=False)
    session.flush()
    return obj.id


def _create_many(session: Session, kind: str, batch: list[dict]) -> list[int]:
    """New records for rows' values in two flushes, whatever their number: the records, then their
    contact points."""
    objs = [Company(legal_name=v["legal_name"], name_sort="") if kind == "company" else Contact(name=v["name"])
            for v in batch]
    for obj, v in zip(objs, batch, strict=True):
        _fill(session, kind, obj, v)
    session.add_all(objs)
    session.flush()
    for obj, v in zip(objs, batch, strict=True):
        _add_points(session, kind, obj, v, fresh=True)
    session.flush()
    return [obj.id for obj in objs]


def _fill(session: Session, kind: str, obj, v: dict) -> None:
    """The row's non-empty values onto the record (and a contact's company, found by its keys)."""
    if kind == "company":
        for f in ("legal_name", "legal_form", "inn", "city", "region", "industry", "website", "external_id", "notes"):
            if v.get(f):
                setattr(obj, f, v[f])
        obj.name_sort = obj.legal_name.lower()
        return
    for f in ("name", "position", "external_id", "notes"):
        if v.get(f):
            setattr(obj, f, v[f])
    company_id = _company_for(session, v)
    if company_id:
        obj.company_id = company_id


def _add_points(session: Session, kind: str, obj, v: dict, fresh: bool) -> None:
    """The row's address, phones and emails the record does not have yet (a `fresh` record has none: asking
    would only cost a query each)."""
    owner = {"company_id": obj.id, "contact_id": None} if kind == "company" else \
        {"company_id": obj.company_id, "contact_id": obj.id}
    if kind == "company" and v.get("address"):
        have = set() if fresh else \
            {(a.street or "").lower() for a in session.scalars(select(Address).where(Address.company_id == obj.id))}
        if v["address"].lower() not in have:
            session.add(Address(company_id=obj.id, street=v["address"], city=v.get("city") or None,
                                postcode=v.get("postcode") or None, kind="legal"))
    owner_col = Phone.contact_id if kind == "contact" else Phone.company_id
    have_phones = set() if fresh else set(session.scalars(select(Phone.e164).where(owner_col == obj.id)))
    for p in v["phones"]:
        if p not in have_phones:
            session.add(Phone(e164=p, **owner))
            have_phones.add(p)
    email_col = Email.contact_id if kind == "contact" else Email.company_id
    have_emails = set() if fresh else \
        {e.lower() for e in session.scalars(select(Email.address).where(email_col == obj.id))}
    for e in v["emails"]:
        if e not in have_emails:
            session.add(Email(address=e, **owner))
            have_emails.add(e)


def _company_for(session: Session, v: dict) -> int | None:
    live = Company.deleted_at.is_(None)
    if v.get("company_external_id"):
        hit = session.scalar(select(Company.id).where(Company.external_id == v["company_external_id"], live).limit(1))
        if hit:
            return hit
    if v.get("company_inn"):
        hit = session.scalar(select(Company.id).where(Company.inn == v["company_inn"], live).limit(1))
        if hit:
            return hit
    if v.get("company_name"):
        return session.scalar(select(Company.id).where(folded_equals(Company.legal_name, v["company_name"]),
                                                       live).order_by(Company.id).limit(1))
    return None


REPORT_SHOWN = 500  # rows the report page lists; the downloaded report has every row


def report_shown(report: dict, limit: int | None = None) -> tuple[list[dict], int]:
    """The rows the report page lists, failed first, then skipped, then updated (created rows are only counted),
    at most `limit` (REPORT_SHOWN) of them; and how many such rows there are."""
    limit = REPORT_SHOWN if limit is None else limit
    order = {"failed": 0, "skipped": 1, "updated": 2}
    rows = sorted((r for r in report.get("rows", []) if r["outcome"] in order),
                  key=lambda r: (order[r["outcome"]], r["row"]))
    return rows[:limit], len(rows)


REPORT_COLUMNS = (Column(N_("Row"), "integer"), Column(N_("Outcome")), Column(N_("Record ID"), "integer"),
                  Column(N_("Reason")))


def report_csv(report: dict, bom: bool | None = None, semicolon: bool | None = None) -> bytes:
    """The downloadable report through the one CSV writer: one line per row with its outcome and reason, then
    the totals; headers and outcomes in the reader's language, Excel's format for a Russian reader."""
    rows = ([r["row"], tr(r["outcome"]), r["id"], r["reason"]] for r in report["rows"])
    tail = [[tr(key), report[key]] for key in ("created", "updated", "skipped", "failed")]
    tail.append([tr("Written to the base"), tr("yes") if report["applied"] else tr("no (nothing was written)")])
    return exports.csv_bytes(REPORT_COLUMNS, rows, exports.csv_format(bom, semicolon), tail)


# --- uploads and runs -------------------------------------------------------------------------


def upload_dir(instance_upload_dir: Path) -> Path:
    path = Path(instance_upload_dir) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def store_upload(session: Session, base_dir: Path, kind: str, filename: str, data: bytes,
                 user_id: int | None) -> ImportRun:
    """Keep the uploaded file under the instance directory (not in the database) and start a run, once the reader
    has opened it."""
    if kind not in FIELDS:
        raise ImportError_(tr("Choose companies or contacts."))
    if not data:
        raise ImportError_(tr("The file is empty."))
    suffix = ".xlsx" if data[:4] == b"PK\x03\x04" else ".csv"
    stored = uuid.uuid4().hex + suffix
    path = upload_dir(base_dir) / stored
    path.write_bytes(data)
    try:
        file_info(path)  # a file the reader refuses is not kept: the person reads why and nothing stays on disk
    except Exception:
        path.unlink(missing_ok=True)
        raise
    run = ImportRun(kind=kind, filename=Path(filename or "upload").name[:300], stored_name=stored, user_id=user_id)
    session.add(run)
    session.flush()
    return run


def run_path(base_dir: Path, run: ImportRun) -> Path:
    if not run.stored_name:
        raise ImportError_(tr("This upload was already used or removed; upload the file again."))
    return upload_dir(base_dir) / run.stored_name


def remove_upload(base_dir: Path, run: ImportRun) -> None:
    """Uploaded files are kept only until the import ran."""
    if run.stored_name:
        (upload_dir(base_dir) / run.stored_name).unlink(missing_ok=True)
        run.stored_name = None


def run_import(session: Session, run_id: int, progress: Callable[[float], None] | None = None) -> ImportRun:
    """Apply a prepared run (from the browser) and keep its report; the file is removed afterwards."""
    from flask import current_app

    run = session.get(ImportRun, run_id)
    base = current_app.config["UPLOAD_DIR"]
    opts = run.options or {}
    run.status = "running"
    session.commit()  # a background job's progress: the import page shows "running" while rows are applied
    try:
        report = apply(session, run_path(base, run), run.kind, run.mapping or {}, opts.get("on_duplicate", "skip"),
                       all_or_nothing=bool(opts.get("all_or_nothing")), overrides=opts.get("overrides"),
                       progress=progress, user_id=run.user_id, reading=opts.get("reading"))
    except Exception:
        session.rollback()
        run = session.get(ImportRun, run_id)
        run.status = "failed"
        remove_upload(base, run)
        session.commit()
        raise
    run = session.get(ImportRun, run_id)
    run.report, run.status = report, "done"
    remove_upload(base, run)
    session.commit()
    return run


def summary_text(run: ImportRun) -> str:
    r = run.report or {}
    text = tr("created %(c)s, updated %(u)s, skipped %(s)s, failed %(f)s", c=r.get("created", 0),
                  u=r.get("updated", 0), s=r.get("skipped", 0), f=r.get("failed", 0))
    if r and not r.get("applied", True):
        text += " · " + tr("nothing was written")
    return text


def remove_abandoned(session: Session, base_dir: Path, older_than_hours: int = 24) -> int:
    """Uploads nobody imported are removed after a day, so the instance directory does not keep client data."""
    from datetime import timedelta

    from app.models.base import utcnow

    limit = utcnow() - timedelta(hours=older_than_hours)
    removed = 0
    for run in session.scalars(select(ImportRun).where(ImportRun.stored_name.is_not(None),
                                                       ImportRun.status != "running", ImportRun.created_at < limit)):
        remove_upload(base_dir, run)
        removed += 1
    session.flush()
    return removed
