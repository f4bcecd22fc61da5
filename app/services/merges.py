"""Merging duplicate companies or contacts without losing anything, and undoing a merge exactly.

Every row that references the merged records is found by introspecting the metadata (so tables
other areas add are covered without this module knowing them) and moved to the survivor; phones,
emails and addresses are united by their normalised value. The merge keeps a snapshot of every
row it changed or removed, and undo puts each one back.
"""
from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Table, and_, bindparam, func, select
from sqlalchemy.orm import Session

from app.extensions import db
from app.i18n import lazy_gettext as _l
from app.i18n import tr
from app.models.audit import AuditEntry
from app.models.base import utcnow
from app.models.duplicates import DuplicateGroup
from app.models.merges import Merge, MergedRecord
from app.services import timeline
from app.services.contact_points import address_key, email_key, phone_key
from app.services.errors import RuleError

TABLES = {"company": "companies", "contact": "contacts"}
# Fields a reviewer chooses between, with their labels; everything else stays the survivor's.
MERGE_FIELDS = {
    "company": [("legal_name", _l("Company name")), ("legal_form", _l("Legal form")), ("inn", _l("INN")),
                ("country", _l("Country")), ("client_type_id", _l("Client type")), ("industry", _l("Industry")),
                ("region", _l("Region")), ("city", _l("City")), ("status", _l("Status")),
                ("account_manager_id", _l("Account manager")), ("source", _l("Source")),
                ("external_id", _l("External id")), ("website", _l("Website")), ("notes", _l("Notes"))],
    "contact": [("name", _l("Name")), ("position", _l("Position")), ("company_id", _l("Company")),
                ("do_not_contact", _l("Do not contact")), ("do_not_contact_reason", _l("Why not contact")),
                ("external_id", _l("External id")), ("notes", _l("Notes"))],
}
# Tables never touched by a merge: its own log and history that is kept per record.
LOG_TABLES = {"dedup_merges", "dedup_merged_records", "dedup_groups", "dedup_decisions", "audit_entries",
              "search_tokens", "search_documents"}


class MergeError(RuleError):
    """A merge or undo that cannot be done; the message says why."""


# --- values in and out of JSON ----------------------------------------------------------------


def _enc(value):
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, date):
        return {"$d": value.isoformat()}
    if isinstance(value, Decimal):
        return {"$dec": format(value, "f")}
    if isinstance(value, bytes):
        return {"$b": base64.b64encode(value).decode()}
    return value


def _dec(value):
    if isinstance(value, dict) and len(value) == 1:
        (tag, raw), = value.items()
        if tag == "$dt":
            return datetime.fromisoformat(raw)
        if tag == "$d":
            return date.fromisoformat(raw)
        if tag == "$dec":
            return Decimal(raw)
        if tag == "$b":
            return base64.b64decode(raw)
    return value


def _row(mapping) -> dict:
    return {k: _enc(v) for k, v in dict(mapping).items()}


def _unrow(data: dict) -> dict:
    return {k: _dec(v) for k, v in data.items()}


# --- what references what ---------------------------------------------------------------------


@dataclass(frozen=True)
class Reference:
    """A column of some table pointing at companies.id or contacts.id."""

    table: Table
    column: str

    @property
    def name(self) -> str:
        return f"{self.table.name}.{self.column}"


def references(kind: str) -> list[Reference]:
    """Every foreign key in the metadata that points at this kind's id column."""
    target = TABLES[kind]
    out = []
    for table in db.metadata.sorted_tables:
        if table.name in LOG_TABLES:
            continue
        for fk in table.foreign_keys:
            if fk.column.table.name == target and fk.column.name == "id":
                out.append(Reference(table, fk.parent.name))
    return sorted(out, key=lambda r: r.name)


def _normal_phone(row) -> str:
    """The contact points key of a stored phone (the stored text when it has none), so copies unite."""
    return phone_key(row["e164"]) or row["e164"]


def _normal_email(row) -> str:
    return email_key(row["address"]) or row["address"] or ""


def _normal_address(row) -> str:
    return address_key(", ".join(p for p in (row.get("postcode"), row.get("city"), row.get("street")) if p)
                       ) + "|" + (row.get("kind") or "")


# (table, column) -> (value key, which rows take part): contact points are united, not moved blindly.
UNITED = {
    ("phones", "company_id"): (_normal_phone, lambda t: t.c.contact_id.is_(None)),
    ("emails", "company_id"): (_normal_email, lambda t: t.c.contact_id.is_(None)),
    ("addresses", "company_id"): (_normal_address, None),
    ("phones", "contact_id"): (_normal_phone, None),
    ("emails", "contact_id"): (_normal_email, None),
}


def _unique_sets(table: Table, column: str) -> list[tuple[str, ...]]:
    """Column sets that must stay unique and include the moved column (moving could collide)."""
    sets = []
    pk = tuple(c.name for c in table.primary_key.columns)
    if column in pk:
        sets.append(pk)
    for cons in table.constraints:
        if cons.__class__.__name__ == "UniqueConstraint" and column in cons.columns.keys():
            sets.append(tuple(cons.columns.keys()))
    for index in table.indexes:
        if index.unique and column in [c.name for c in index.columns]:
            sets.append(tuple(c.name for c in index.columns))
    return sets


def _unchanged_stamps(table: Table) -> dict:
    """Moving a reference is not an edit of the row: keep columns that would stamp themselves on update."""
    return {c.name: c for c in table.columns if c.onupdate is not None}


def _pk(table: Table, row) -> list:
    return [_enc(row[c.name]) for c in table.primary_key.columns]


def _pk_where(table: Table, pk_values: list):
    return and_(*[c == _dec(v) for c, v in zip(table.primary_key.columns, pk_values)])


# --- the side-by-side view -------------------------------------------------------------------


def related_counts(session: Session, kind: str, ids: list[int]) -> dict[int, dict[str, int]]:
    """For each record, how many rows of each referencing table point at it (shown before merging)."""
    out: dict[int, dict[str, int]] = {i: {} for i in ids}
    for ref in references(kind):
        col = ref.table.c[ref.column]
        for rid, n in session.execute(select(col, func.count()).where(col.in_(ids)).group_by(col)):
            out[rid][ref.name] = n
    return out


def default_choices(kind: str, survivor, others: list) -> dict[str, int]:
    """Keep the survivor's value, unless it is empty and another record has one."""
    choices = {}
    for name, _label in MERGE_FIELDS[kind]:
        source = survivor
        if getattr(survivor, name) in (None, ""):
            source = next((o for o in others if getattr(o, name) not in (None, "")), survivor)
        choices[name] = source.id
    return choices


# --- merge -----------------------------------------------------------------------------------


def merge(session: Session, kind: str, survivor_id: int, merged_ids: list[int], choices: dict[str, int] | None,
          user_id: int | None, group_id: int | None = None) -> Merge:
    """Fold the merged records into the survivor in one transaction and keep what undo needs."""
    table: Table = db.metadata.tables[TABLES[kind]]
    merged_ids = sorted({int(i) for i in merged_ids} - {int(survivor_id)})
    if not merged_ids:
        raise MergeError(tr("Choose at least one other record to merge into the survivor."))
    ids = [survivor_id, *merged_ids]
    stmt = select(table).where(table.c.id.in_(ids))
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    rows = {r["id"]: r for r in session.execute(stmt).mappings()}
    missing = [i for i in ids if i not in rows or rows[i]["deleted_at"] is not None]
    if missing:
        raise MergeError(tr("Record #%(id)s no longer exists or was already merged.", id=missing[0]))
    now = utcnow()
    snapshot: dict = {"records": {str(i): _row(rows[i]) for i in ids}, "moved": [], "dropped": [],
                      "survivor_changes": {}, "audit_moved": [], "group_id": group_id}

    changes = _survivor_changes(kind, rows, survivor_id, choices or {})
    survivor_values = dict(changes)
    if kind == "company" and "legal_name" in changes:
        survivor_values["name_sort"] = (changes["legal_name"] or "").lower()
    survivor_values.update(version=rows[survivor_id]["version"] + 1, updated_at=now)
    # Unique keys on the chosen fields (an external id, say) are freed on the merged rows first.
    session.execute(table.update().where(table.c.id.in_(merged_ids)).values(
        deleted_at=now, deleted_by_id=user_id, version=table.c.version + 1, updated_at=now))
    session.execute(table.update().where(table.c.id == survivor_id).values(**survivor_values))
    snapshot["survivor_changes"] = {k: _enc(v) for k, v in survivor_values.items()}

    for ref in references(kind):
        _move(session, ref, merged_ids, survivor_id, snapshot)
    if kind == "company":
        moved = list(session.scalars(select(AuditEntry.id).where(AuditEntry.company_id.in_(merged_ids))))
        snapshot["audit_moved"] = [[i, c] for i, c in session.execute(
            select(AuditEntry.id, AuditEntry.company_id).where(AuditEntry.id.in_(moved)))] if moved else []
        if moved:
            session.execute(AuditEntry.__table__.update().where(AuditEntry.id.in_(moved)).values(company_id=survivor_id))

    record = Merge(kind=kind, survivor_id=survivor_id, merged_ids=merged_ids, snapshot=snapshot,
                   created_by_id=user_id, created_at=now)
    session.add(record)
    session.flush()
    session.execute(MergedRecord.__table__.delete().where(MergedRecord.kind == kind,
                                                          MergedRecord.record_id.in_(merged_ids)))
    session.execute(MergedRecord.__table__.insert(), [
        {"kind": kind, "record_id": i, "survivor_id": survivor_id, "merge_id": record.id} for i in merged_ids])
    _history(session, kind, survivor_id, merged_ids, rows, "merge", user_id, now, changes)
    if group_id:
        group = session.get(DuplicateGroup, group_id)
        if group is not None:
            group.status, group.resolved_at, group.resolved_by_id = "merged", now, user_id
    _reindex(session, kind, ids)
    session.flush()
    session.expire_all()
    return record


def _survivor_changes(kind: str, rows: dict, survivor_id: int, choices: dict[str, int]) -> dict:
    allowed = {name for name, _ in MERGE_FIELDS[kind]}
    changes = {}
    for name, source in choices.items():
        source = int(source)
        if name not in allowed or source == survivor_id:
            continue
        if source not in rows:
            raise MergeError(tr("A chosen value comes from a record outside this merge."))
        value = rows[source][name]
        if value != rows[survivor_id][name]:
            changes[name] = value
    return changes


def _move(session: Session, ref: Reference, merged_ids: list[int], survivor_id: int, snapshot: dict) -> None:
    """Point every row of one referencing column at the survivor, folding rows that would repeat."""
    table, col = ref.table, ref.table.c[ref.column]
    united = UNITED.get((table.name, ref.column))
    uniques = _unique_sets(table, ref.column)
    if united is None and not uniques:
        rows = session.execute(select(*table.primary_key.columns, col).where(col.in_(merged_ids))).mappings().all()
        if rows:
            snapshot["moved"].append({"table": table.name, "column": ref.column,
                                      "rows": [[_pk(table, r), r[ref.column]] for r in rows]})
            session.execute(table.update().where(col.in_(merged_ids))
                            .values({ref.column: survivor_id, **_unchanged_stamps(table)}))
        return
    key_of, scope = united if united else (None, None)
    order = list(table.primary_key.columns)
    rows = session.execute(select(table).where(col.in_(merged_ids)).order_by(*order)).mappings().all()
    if not rows:
        return
    seen: set = set()
    if key_of:
        stmt = select(table).where(col == survivor_id)
        if scope is not None:
            stmt = stmt.where(scope(table))
        seen = {key_of(r) for r in session.execute(stmt).mappings()}
    moved, dropped = [], []
    for r in rows:
        in_scope = key_of is not None and (scope is None or _in_scope(session, table, scope, r))
        collides = in_scope and key_of(r) in seen
        if not collides:
            for names in uniques:
                cond = and_(*[(table.c[n] == survivor_id) if n == ref.column else (table.c[n] == r[n]) for n in names])
                if session.scalar(select(func.count()).select_from(table).where(cond)):
                    collides = True
                    break
        if collides:
            dropped.append(_row(r))
            session.execute(table.delete().where(_pk_where(table, _pk(table, r))))
            continue
        if in_scope:
            seen.add(key_of(r))
        moved.append([[survivor_id if c.name == ref.column else _enc(r[c.name]) for c in table.primary_key.columns],
                      r[ref.column]])  # the row's key after the move, where undo finds it
        session.execute(table.update().where(_pk_where(table, _pk(table, r)))
                        .values({ref.column: survivor_id, **_unchanged_stamps(table)}))
    if moved:
        snapshot["moved"].append({"table": table.name, "column": ref.column, "rows": moved})
    if dropped:
        snapshot["dropped"].append({"table": table.name, "rows": dropped})


def _in_scope(session, table, scope, row) -> bool:
    return bool(session.scalar(select(func.count()).select_from(table)
                               .where(_pk_where(table, _pk(table, row)), scope(table))))


def _history(session, kind, survivor_id, merged_ids, rows, action, user_id, now, changes) -> None:
    """The merge (or its undo) appears in every involved record's history."""
    table = TABLES[kind]

    def company_of(i):
        return i if kind == "company" else rows[i].get("company_id")

    entries = [{"entity_type": table, "entity_id": survivor_id, "company_id": company_of(survivor_id),
                "action": action, "field": None, "old_value": None,
                "new_value": ", ".join(f"#{i}" for i in merged_ids), "user_id": user_id, "at": now}]
    for name, value in changes.items():
        entries.append({"entity_type": table, "entity_id": survivor_id, "company_id": company_of(survivor_id),
                        "action": action, "field": name, "old_value": _text(rows[survivor_id][name]),
                        "new_value": _text(value), "user_id": user_id, "at": now})
    for i in merged_ids:
        entries.append({"entity_type": table, "entity_id": i, "company_id": company_of(i), "action": action,
                        "field": None, "old_value": None, "new_value": f"#{survivor_id}", "user_id": user_id,
                        "at": now})
    session.execute(AuditEntry.__table__.insert(), entries)


def _text(value) -> str | None:
    from app.services.audit import _text as audit_text

    return audit_text(value)


def _reindex(session: Session, kind: str, ids: list[int]) -> None:
    from app.services import matching, search

    if kind == "company":
        search.reindex(session, company_ids=ids)
    else:
        search.reindex(session, contact_ids=ids)
    matching.forget_index()


# --- undo ------------------------------------------------------------------------------------


def undo(session: Session, merge_id: int, user_id: int | None) -> Merge:
    """Restore the merged records, every moved or folded row, and the survivor's replaced values."""
    from sqlalchemy.exc import IntegrityError

    try:
        return _undo(session, merge_id, user_id)
    except IntegrityError as exc:
        session.rollback()
        raise MergeError(tr("A row restored by the undo conflicts with data entered since the merge; "
                            "nothing was changed. (%(detail)s)",
                            detail=str(exc.orig).splitlines()[0][:200])) from exc


def _undo(session: Session, merge_id: int, user_id: int | None) -> Merge:
    record = session.get(Merge, merge_id)
    if record is None:
        raise MergeError(tr("This merge does not exist."))
    if record.undone_at is not None:
        raise MergeError(tr("This merge was already undone."))
    kind, snap = record.kind, record.snapshot
    table: Table = db.metadata.tables[TABLES[kind]]
    later = session.scalar(select(func.count()).select_from(MergedRecord).where(
        MergedRecord.kind == kind, MergedRecord.record_id == record.survivor_id))
    if later:
        raise MergeError(tr("The surviving record was merged into another one later; undo that merge first."))
    now = utcnow()
    originals = {int(k): _unrow(v) for k, v in snap["records"].items()}
    for rid in record.merged_ids:
        values = {k: v for k, v in originals[rid].items() if k != "id"}
        session.execute(table.update().where(table.c.id == rid).values(**values))
    for group in snap["dropped"]:
        t = db.metadata.tables[group["table"]]
        session.execute(t.insert(), [_unrow(r) for r in group["rows"]])
    for group in snap["moved"]:
        t = db.metadata.tables[group["table"]]
        col = t.c[group["column"]]
        for pk, old in group["rows"]:
            session.execute(t.update().where(_pk_where(t, pk), col == record.survivor_id)
                            .values({col.name: old, **_unchanged_stamps(t)}))
    _restore_survivor(session, table, record, originals[record.survivor_id], snap["survivor_changes"])
    for entry_id, company_id in snap.get("audit_moved", []):
        session.execute(AuditEntry.__table__.update().where(AuditEntry.id == entry_id).values(company_id=company_id))
    session.execute(MergedRecord.__table__.delete().where(MergedRecord.merge_id == record.id))
    record.undone_at, record.undone_by_id = now, user_id
    _history(session, kind, record.survivor_id, record.merged_ids,
             {i: {"company_id": originals[i].get("company_id")} for i in originals}, "unmerge", user_id, now, {})
    if snap.get("group_id"):
        group = session.get(DuplicateGroup, snap["group_id"])
        if group is not None:
            group.status, group.resolved_at, group.resolved_by_id = "open", None, None
    _reindex(session, kind, [record.survivor_id, *record.merged_ids])
    session.flush()
    session.expire_all()
    return record


def _restore_survivor(session, table, record, original: dict, changes: dict) -> None:
    """Untouched since the merge: the row comes back exactly; edited since: only the merged-in values."""
    current = session.execute(select(table).where(table.c.id == record.survivor_id)).mappings().one()
    after = {k: _dec(v) for k, v in changes.items()}
    if current["version"] == after.get("version"):
        values = {k: v for k, v in original.items() if k != "id"}
    else:
        values = {k: original[k] for k, v in after.items()
                  if k not in ("version", "updated_at") and current[k] == v}
        values.update(version=current["version"] + 1, updated_at=utcnow())
    session.execute(table.update().where(table.c.id == record.survivor_id).values(**values))


# --- where merged records went ---------------------------------------------------------------


def survivor_of(session: Session, kind: str, record_id: int) -> int | None:
    """The record a merged-away record now lives in (following chains of merges), or None."""
    current, seen = record_id, set()
    while current not in seen:
        seen.add(current)
        nxt = session.scalar(select(MergedRecord.survivor_id).where(MergedRecord.kind == kind,
                                                                    MergedRecord.record_id == current))
        if nxt is None:
            return None if current == record_id else current
        current = nxt
    return current


def merges_of(session: Session, kind: str, record_id: int) -> list[Merge]:
    """Merges this record took part in, newest first, for its history."""
    stmt = select(Merge).where(Merge.kind == kind).order_by(Merge.created_at.desc(), Merge.id.desc())
    return [m for m in session.scalars(stmt.where(Merge.survivor_id == record_id))] + [
        m for m in session.scalars(stmt.join(MergedRecord, MergedRecord.merge_id == Merge.id)
                                   .where(MergedRecord.record_id == record_id, MergedRecord.kind == kind))]


def recent_merges(session: Session, limit: int = 50) -> list[Merge]:
    return list(session.scalars(select(Merge).order_by(Merge.created_at.desc(), Merge.id.desc()).limit(limit)))


__all__ = ["MERGE_FIELDS", "MergeError", "default_choices", "merge", "merges_of", "recent_merges", "references",
           "related_counts", "survivor_of", "undo"]


@timeline.source_query
def _timeline_rows():
    return (select(Merge).where(Merge.kind == "company", Merge.survivor_id == bindparam("company_id")),
            Merge.created_at, (Merge.created_at.desc(),))


def timeline_items(session: Session, company_id: int, before, limit: int, viewer=None) -> list:
    """Merges into or out of a company, for its timeline (the undo is one click away from there)."""
    from flask import url_for

    from app.services.timeline import TimelineItem

    items = []
    for m in _timeline_rows(session, company_id, before, limit).scalars():
        title = tr("Merged %(ids)s into this company", ids=", ".join(f"#{i}" for i in m.merged_ids))
        if m.undone_at:
            title += " · " + tr("undone")
        items.append(TimelineItem(at=m.created_at, kind="merge", title=title,
                                  url=url_for("data_quality.merge_detail", merge_id=m.id),
                                  author=m.created_by.name if m.created_by else None))
    return items
