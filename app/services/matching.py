"""Matching: feeds the engine (app/matching) from the base, learns and keeps its settings, scans, and checks a new record."""
from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import current_app, has_app_context
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.i18n import N_ as _l
from app.i18n import tr
from app.models.companies import Company
from app.models.contact_points import Address, Email, Phone
from app.models.contacts import Contact
from app.models.duplicates import DuplicateDecision
from app.models.matching import MatchingSettings
from app.services import numbers
from app.services.contact_points import email_key, inn_digits, phone_key
from app.services.errors import RuleError

KINDS = ("company", "contact")
MODELS = {"company": Company, "contact": Contact}

# What a reviewer reads for each engine reason code; params fill the braces.
REASON_TEXT = {
    "same_inn": _l("same INN"),
    "different_inn": _l("different INN"),
    "same_phone": _l("same phone"),
    "same_office_phone": _l("same office phone"),
    "different_mailbox_same_domain": _l("different mailboxes at the same domain"),
    "same_email": _l("same email"),
    "same_shared_mailbox": _l("same shared mailbox"),
    "same_email_domain": _l("same email domain"),
    "same_email_domain_similar_name": _l("same email domain and similar name"),
    "name_similar": _l("name %(pct)s%% similar"),
    "name_different": _l("names differ (%(pct)s%% similar)"),
    "name_contains": _l("one name contains the other"),
    "name_core": _l("same name apart from descriptive words or a qualifier"),
    "name_acronym": _l("one name is the acronym of the other"),
    "name_common_only": _l("same name, but made only of common words"),
    "same_phone_and_address": _l("same phone and address"),
    "group_legal_forms": _l("entities of one group in different countries (%(a)s / %(b)s)"),
    "same_legal_form": _l("same legal form"),
    "compatible_legal_form": _l("compatible legal forms (%(a)s / %(b)s)"),
    "different_legal_form": _l("different legal form (%(a)s vs %(b)s)"),
    "address_similar": _l("address %(pct)s%% similar"),
    "address_different": _l("different address"),
    "field_same": _l("same %(field)s"),
    "field_same_category": _l("same %(field)s"),
    "field_similar": _l("%(field)s %(pct)s%% similar"),
    "field_close": _l("%(field)s differs by one character"),
    "field_different": _l("different %(field)s"),
    "fields_swapped": _l("%(a)s and %(b)s swapped"),
}
FIELD_WORDS = {"INN": _l("INN"), "company": _l("company"), "legal form": _l("legal form"), "city": _l("city"),
               "position": _l("position"), "name": _l("name"), "phones": _l("phone"), "emails": _l("email")}


def reason_text(reason: dict) -> str:
    """One stored reason ({code, params}) in the reader's language."""
    template = REASON_TEXT.get(reason.get("code"))
    params = {k: tr(FIELD_WORDS[v]) if isinstance(v, str) and v in FIELD_WORDS else v
              for k, v in (reason.get("params") or {}).items()}
    if template is None:
        return reason.get("code", "")
    try:
        return tr(template, **params)
    except (KeyError, TypeError, ValueError):
        return tr(template.replace("%%", "%"))


def reason_dicts(reasons) -> list[dict]:
    """Engine reasons as plain data for the database and CSV."""
    return [{"code": getattr(r, "code", str(r)), "params": dict(getattr(r, "params", {}) or {})} for r in reasons]


# --- settings ---------------------------------------------------------------------------------


def get_settings(session: Session) -> MatchingSettings:
    """The single settings row, created with the engine's precise defaults on first use."""
    from app.matching import Thresholds

    row = session.scalar(select(MatchingSettings).order_by(MatchingSettings.id).limit(1))
    if row is None:
        default = Thresholds()
        row = MatchingSettings(review_threshold=default.review, strong_threshold=default.strong, verify_age_months=12)
        session.add(row)
        session.flush()
    return row


class SettingsError(RuleError):
    """Thresholds that make no sense; the message names the field."""


def save_settings(session: Session, review: float, strong: float, verify_age_months: int,
                  user_id: int | None) -> MatchingSettings:
    """An admin tunes the thresholds: review must sit below strong, both within 0-100."""
    if not 1 <= review <= 100:
        raise SettingsError(tr("The review threshold must be between 1 and 100."), "review_threshold")
    if not review <= strong <= 100:
        raise SettingsError(tr("The strong threshold must be between the review threshold and 100."),
                            "strong_threshold")
    if not 1 <= verify_age_months <= 120:
        raise SettingsError(tr("The age must be between 1 and 120 months."), "verify_age_months")
    row = get_settings(session)
    row.review_threshold, row.strong_threshold = float(review), float(strong)
    row.verify_age_months, row.updated_by_id = int(verify_age_months), user_id
    session.flush()
    _CACHE.clear()
    return row


def hand_schema(kind: str):
    """The engine's hand-set schema for companies or contacts (the prior and the fallback)."""
    from app.matching import COMPANY_SCHEMA, CONTACT_SCHEMA

    return COMPANY_SCHEMA if kind == "company" else CONTACT_SCHEMA


def learnt_schema(session: Session, kind: str):
    """The hand schema with the weights the last full scan learnt from the base, if it learnt any."""
    from dataclasses import replace

    schema = hand_schema(kind)
    saved = ((get_settings(session).learnt_weights or {}).get(kind) or {})
    if not saved.get("learnt"):
        return schema
    weights = {w["name"]: w for w in saved.get("fields", [])}
    fields = tuple(replace(f, agree=weights[f.name]["agree"], disagree=weights[f.name]["disagree"])
                   if f.name in weights else f for f in schema.fields)
    return replace(schema, fields=fields, offset=saved.get("offset", schema.offset))


def save_learnt(session: Session, kind: str, schema, records: int) -> None:
    """Keep what a full scan learnt (or that it kept the hand weights) for the next checks and the admin."""
    row = get_settings(session)
    hand = hand_schema(kind)
    data = dict(row.learnt_weights or {})
    data[kind] = {"learnt": schema != hand, "records": records, "offset": schema.offset,
                  "fields": [{"name": f.name, "agree": f.agree, "disagree": f.disagree,
                              "hand_agree": h.agree, "hand_disagree": h.disagree}
                             for f, h in zip(schema.fields, hand.fields, strict=True)]}
    row.learnt_weights = data
    session.flush()
    _CACHE.clear()


WEIGHT_FIELDS = {"inn": _l("INN"), "name": _l("name"), "emails": _l("email"), "phones": _l("phone"),
                 "addresses": _l("address"), "city": _l("city"), "legal_form": _l("legal form"),
                 "company_id": _l("company"), "company_name": _l("company name"), "position": _l("position")}
KIND_WORDS = {"company": _l("Companies"), "contact": _l("Contacts")}


def learnt_weights_view(session: Session) -> list[dict]:
    """What the last full scans learnt, per kind, in the reader's language, for the admin."""
    out = []
    for kind, saved in sorted((get_settings(session).learnt_weights or {}).items()):
        out.append({"kind": tr(KIND_WORDS.get(kind, kind)), "learnt": saved.get("learnt", False),
                    "records": saved.get("records", 0), "offset": saved.get("offset"),
                    "fields": [dict(w, word=tr(WEIGHT_FIELDS[w["name"]]) if w["name"] in WEIGHT_FIELDS else w["name"])
                               for w in saved.get("fields", [])]})
    return out


def matcher(session: Session, kind: str, review: float | None = None, schema=None):
    """An engine matcher for companies or contacts with the admin's thresholds and the learnt weights."""
    from app.matching import Matcher, Thresholds

    s = get_settings(session)
    thresholds = Thresholds(review=s.review_threshold if review is None else review,
                            strong=max(s.strong_threshold, review or 0))
    return Matcher(schema or learnt_schema(session, kind), thresholds=thresholds)


# --- engine records from the database ---------------------------------------------------------


def _address_text(row) -> str:
    return ", ".join(p for p in (row.postcode, row.city, row.street) if p)


def _owned_by(column, rows: list):
    """Rows of a batch's records (ids ascending): a range when they are a dense run of ids, which reads the
    index in order (what a deleted record in the run owns is read and left), else IN."""
    first, last = rows[0].id, rows[-1].id
    if last - first < 2 * len(rows):
        return column.between(first, last)
    return column.in_([r.id for r in rows])


def _company_batch(session: Session, companies: list) -> list[dict]:
    read = session.connection().execute  # plain rows: the ORM's result handling is a sixth of the read
    phones: dict[int, list[str]] = {}
    emails: dict[int, list[str]] = {}
    addresses: dict[int, list[str]] = {}
    for cid, e164 in read(select(Phone.company_id, Phone.e164)
                          .where(_owned_by(Phone.company_id, companies), Phone.contact_id.is_(None))):
        phones.setdefault(cid, []).append(e164)
    for cid, address in read(select(Email.company_id, Email.address)
                             .where(_owned_by(Email.company_id, companies), Email.contact_id.is_(None))):
        emails.setdefault(cid, []).append(address)
    for a in read(select(Address.company_id, Address.postcode, Address.city, Address.street)
                  .where(_owned_by(Address.company_id, companies))):
        addresses.setdefault(a.company_id, []).append(_address_text(a))
    return [{"id": c.id, "name": c.legal_name, "legal_form": c.legal_form, "inn": c.inn, "city": c.city,
             "phones": phones.get(c.id, []), "emails": emails.get(c.id, []),
             "addresses": addresses.get(c.id, [])} for c in companies]


def _contact_batch(session: Session, contacts: list) -> list[dict]:
    read = session.connection().execute  # plain rows: the ORM's result handling is a sixth of the read
    phones: dict[int, list[str]] = {}
    emails: dict[int, list[str]] = {}
    for kid, e164 in read(select(Phone.contact_id, Phone.e164).where(_owned_by(Phone.contact_id, contacts))):
        phones.setdefault(kid, []).append(e164)
    for kid, address in read(select(Email.contact_id, Email.address)
                             .where(_owned_by(Email.contact_id, contacts))):
        emails.setdefault(kid, []).append(address)
    return [{"id": c.id, "name": c.name, "company_id": c.company_id, "position": c.position,
             "phones": phones.get(c.id, []), "emails": emails.get(c.id, [])} for c in contacts]


def _columns(kind: str):
    if kind == "company":
        return (Company.id, Company.legal_name, Company.legal_form, Company.inn, Company.city)
    return (Contact.id, Contact.name, Contact.company_id, Contact.position)


def engine_records(session: Session, kind: str, batch: int = 5000, where=None) -> Iterator[dict]:
    """Every current company or contact as an engine record, read in id batches so memory stays flat."""
    model = MODELS[kind]
    build = _company_batch if kind == "company" else _contact_batch
    if session.autoflush:
        session.flush()  # the reads below go past the ORM, which would have flushed what is pending
    last = 0
    while True:
        stmt = select(*_columns(kind)).where(model.id > last, model.deleted_at.is_(None))
        if where is not None:
            stmt = stmt.where(where)
        rows = session.connection().execute(stmt.order_by(model.id).limit(batch)).all()
        if not rows:
            return
        yield from build(session, rows)
        last = rows[-1].id


def count_records(session: Session, kind: str) -> int:
    model = MODELS[kind]
    return session.scalar(select(func.count(model.id)).where(model.deleted_at.is_(None))) or 0


# --- decisions and the review queue ----------------------------------------------------------


def _pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def decided_pairs(session: Session, kind: str) -> set[tuple[int, int]]:
    return set(session.execute(select(DuplicateDecision.a_id, DuplicateDecision.b_id).where(DuplicateDecision.kind == kind)))


@contextmanager
def _unmapped(session: Session) -> Iterator[None]:
    """Read the whole base past SQLite's memory map: one pass in order gains nothing from it, and each page
    it maps stays in the worker's resident memory (about 250 MB of a million contacts)."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    if sqlite:
        session.connection().exec_driver_sql("PRAGMA mmap_size=0")
    try:
        yield
    finally:
        if sqlite:
            from app import SQLITE_MMAP_BYTES

            session.connection().exec_driver_sql(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")


def prepare_scan(session: Session, kind: str, threshold: float | None = None,
                 progress: Callable[[float], None] | None = None):
    """Index the whole base and re-fit the weights once (the hand weights stay on a small base): every
    shard of the scan then scores with the same matcher. Returns (matcher, index)."""
    m = matcher(session, kind, review=threshold)
    total = max(1, count_records(session, kind))
    seen = 0

    def counted() -> Iterator[dict]:
        nonlocal seen
        for rec in engine_records(session, kind):
            seen += 1
            if progress and seen % 2000 == 0:
                progress(0.3 * seen / total)
            yield rec

    from app.matching import Matcher

    hand = Matcher(hand_schema(kind), thresholds=m.thresholds)
    with _unmapped(session):
        idx = hand.index(counted(), progress=progress)
    learn = True
    if has_app_context():
        learn = current_app.config.get("MATCHING_LEARN_WEIGHTS", True)
    learnt = hand.fit(idx) if learn else hand.schema  # re-fit on every full scan unless switched off
    save_learnt(session, kind, learnt, len(idx))
    return matcher(session, kind, review=threshold, schema=learnt), idx


def without_decided(session: Session, kind: str, candidates: list) -> list:
    """The merged scan less the pairs a reviewer already called different."""
    skip = decided_pairs(session, kind)
    return [c for c in candidates if _pair(c.a_id, c.b_id) not in skip]


def scan(session: Session, kind: str, threshold: float | None = None,
         progress: Callable[[float], None] | None = None, shards: int = 1) -> list:
    """Candidate pairs of the whole base, best first, without pairs a reviewer already called different;
    the shards run one after another here, as the workers of a scan job run them side by side."""
    from app.matching import merge_shards

    m, idx = prepare_scan(session, kind, threshold, progress)
    parts = []
    for shard in range(shards):
        parts.append(m.scan_shard(idx, shard, shards))
        if progress:
            progress(0.4 + 0.6 * (shard + 1) / shards)
    return without_decided(session, kind, merge_shards(parts))


# --- the index where every worker of a sharded scan reaches it ----------------------------------

SNAPSHOT_CHUNK = 8 * 1024 * 1024  # Redis takes values up to 512 MB; small pieces keep the worker's memory flat
SNAPSHOT_RECORDS = 50_000  # records pickled at a time


class _Packer:
    """A file to pickle into that compresses as it goes and hands each piece of SNAPSHOT_CHUNK compressed
    bytes to `sink` at once, so neither the pickle nor the whole compressed index is ever held."""

    def __init__(self, sink: Callable[[bytes], None]) -> None:
        import zlib

        self._z, self._sink, self._buf, self.sizes = zlib.compressobj(1), sink, bytearray(), []

    def _hand(self, piece: bytes) -> None:
        self.sizes.append(len(piece))
        self._sink(piece)

    def write(self, data) -> int:
        self._buf += self._z.compress(data)
        while len(self._buf) >= SNAPSHOT_CHUNK:
            self._hand(bytes(self._buf[:SNAPSHOT_CHUNK]))
            del self._buf[:SNAPSHOT_CHUNK]
        return len(data)

    def close(self) -> list[int]:
        """Hand the last piece; returns every piece's size."""
        self._buf += self._z.flush()
        self._hand(bytes(self._buf))
        self._buf = bytearray()
        return self.sizes


class _Unpacker:
    """A file to unpickle from that inflates the stored pieces as it reads, never the whole at once."""

    def __init__(self, pieces: list[bytes]) -> None:
        import zlib

        self._z, self._pieces, self._buf, self._at = zlib.decompressobj(), pieces, b"", 0

    def _fill(self, n: int) -> None:
        while len(self._buf) - self._at < n and (self._pieces or self._z.unconsumed_tail):
            data = self._z.unconsumed_tail or self._pieces.pop(0)
            self._buf = self._buf[self._at:] + self._z.decompress(data, 16 * 1024 * 1024)
            self._at = 0

    def read(self, n: int = -1) -> bytes:
        self._fill(n if n >= 0 else 1 << 62)
        out = self._buf[self._at:self._at + n] if n >= 0 else self._buf[self._at:]
        self._at += len(out)
        return out

    def readinto(self, b) -> int:
        data = self.read(len(b))
        b[:len(data)] = data
        return len(data)

    def readline(self) -> bytes:
        out = bytearray()
        while not out.endswith(b"\n"):
            ch = self.read(1)
            if not ch:
                break
            out += ch
        return bytes(out)


def store_index(connection, key: str, idx, ttl: int) -> list[int]:
    """Put an index in Redis (compressed as it is pickled, each piece sent as soon as it is full) for the
    shard workers; returns the pieces' sizes in bytes."""
    import pickle

    sent = 0

    def send(piece: bytes) -> None:
        nonlocal sent
        connection.set(f"{key}:{sent}", piece, ex=ttl)
        sent += 1

    packer = _Packer(send)
    state = idx.state()
    ids, values = state.pop("ids"), state.pop("values")
    # The blocking arrays go as their raw bytes, each straight from its memory (pickling one copies it
    # first); the records go in slices, each its own pickle: pickle remembers every object it wrote until
    # the end of a dump, hundreds of MB for a million records.
    arrays = {name: state.pop(name) for name in idx.ARRAYS}
    slices = range(0, len(values), SNAPSHOT_RECORDS)
    layout = {name: [(a.typecode, len(a)) for a in group] for name, group in arrays.items()}
    pickle.dump(dict(state, slices=len(slices), arrays=layout), packer, protocol=pickle.HIGHEST_PROTOCOL)
    for group in arrays.values():
        for a in group:
            packer.write(memoryview(a).cast("B"))
    for start in slices:
        end = start + SNAPSHOT_RECORDS
        pickle.dump((ids[start:end], values[start:end]), packer, protocol=pickle.HIGHEST_PROTOCOL)
    return packer.close()


SNAPSHOT_GONE = _l("The scan's index is no longer in Redis; start the scan again.")


class SnapshotGone(LookupError):
    """The scan's index is no longer in Redis (expired or removed): the shard cannot run."""


def _read_array(source, typecode: str, count: int):
    """One blocking array read back from its raw bytes."""
    from array import array

    out = array(typecode)
    out.frombytes(source.read(count * out.itemsize))
    return out


def load_index(connection, key: str, pieces: int, m):
    """The index a scan job stored, ready for m.scan_shard()."""
    import pickle

    parts = [connection.get(f"{key}:{i}") for i in range(pieces)]
    if any(p is None for p in parts):
        raise SnapshotGone(SNAPSHOT_GONE)
    source = _Unpacker(parts)
    state = pickle.load(source)
    for name, group in state.pop("arrays").items():
        state[name] = [_read_array(source, code, count) for code, count in group]
    ids: list = []
    values: list = []
    for _ in range(state.pop("slices")):
        some_ids, some_values = pickle.load(source)
        ids += some_ids
        values += some_values
    return m.restore(dict(state, ids=ids, values=values))


def drop_index(connection, key: str, pieces: int) -> None:
    """Remove a scan's index once its shards are merged."""
    connection.delete(*[f"{key}:{i}" for i in range(pieces)])


class _BaseIndex:
    """An engine index of the whole base kept per process; records added after it was built are
    checked separately (by id, an index range), so a new record is found at once and the big
    index is rebuilt rarely."""

    def __init__(self, index, max_id: int, built_mono: float):
        self.index, self.max_id, self.built_mono = index, max_id, built_mono


class _Cache(dict):
    lock = threading.Lock()
    building: set = set()


_CACHE = _Cache()
REBUILD_SECONDS = 600
SYNC_BUILD_LIMIT = 50_000  # larger bases build their index in a background thread


def _build(session: Session, kind: str, m) -> _BaseIndex:
    model = MODELS[kind]
    max_id = session.scalar(select(func.max(model.id))) or 0
    return _BaseIndex(m.index(engine_records(session, kind, where=model.id <= max_id)), max_id, time.monotonic())


def _build_in_background(app, key, kind: str) -> None:
    def run():
        from app.extensions import db

        try:
            with app.app_context():
                _CACHE[key] = _build(db.session, kind, matcher(db.session, kind))
                db.session.rollback()
        finally:
            _CACHE.building.discard(key)

    with _CACHE.lock:
        if key in _CACHE.building:
            return
        _CACHE.building.add(key)
    threading.Thread(target=run, name=f"dedup-index-{kind}", daemon=True).start()


def _base_index(session: Session, kind: str, m) -> _BaseIndex | None:
    """The cached index, (re)built when missing or old; None while a large base is still being indexed."""
    from flask import current_app

    key = (str(session.get_bind().engine.url), kind)  # .engine: the session may be bound to a connection
    entry = _CACHE.get(key)
    if entry is not None and time.monotonic() - entry.built_mono <= REBUILD_SECONDS:
        return entry
    if count_records(session, kind) > SYNC_BUILD_LIMIT:
        _build_in_background(current_app._get_current_object(), key, kind)
        return entry  # the old index (or None) serves until the new one is ready
    with _CACHE.lock:
        entry = _CACHE.get(key)
        if entry is None or time.monotonic() - entry.built_mono > REBUILD_SECONDS:
            entry = _CACHE[key] = _build(session, kind, m)
    return entry


def _exact_key_ids(session: Session, kind: str, record: dict) -> set[int]:
    """Records sharing an INN, phone or email with the typed one: the check while the index is not ready."""
    phones = {p for v in record["phones"] if (p := phone_key(v))}
    emails = {e for v in record["emails"] if (e := email_key(v))}
    ids: set[int] = set()
    if kind == "company":
        if record.get("inn"):
            ids |= set(session.scalars(select(Company.id).where(Company.inn == inn_digits(record["inn"]))))
        if phones:
            ids |= set(session.scalars(select(Phone.company_id).where(Phone.e164.in_(phones),
                                                                      Phone.contact_id.is_(None))))
        if emails:
            ids |= set(session.scalars(select(Email.company_id).where(Email.address.in_(emails),
                                                                      Email.contact_id.is_(None))))
    else:
        if phones:
            ids |= set(session.scalars(select(Phone.contact_id).where(Phone.e164.in_(phones))))
        if emails:
            ids |= set(session.scalars(select(Email.contact_id).where(Email.address.in_(emails))))
    ids.discard(None)
    return ids


def forget_index() -> None:
    """Drop the cached indexes (tests and admin changes)."""
    _CACHE.clear()


def _record_from_fields(kind: str, fields: dict) -> dict:
    def many(name: str) -> list[str]:
        value = fields.get(name)
        if isinstance(value, (list, tuple)):
            return [v for v in value if v]
        return [v for v in re.split(r"[,;\n]", value or "") if v.strip()]

    if kind == "company":
        return {"id": None, "name": (fields.get("legal_name") or fields.get("name") or "").strip(),
                "legal_form": fields.get("legal_form") or None, "inn": (fields.get("inn") or "").strip() or None,
                "city": fields.get("city") or None, "phones": many("phones") + many("phone"),
                "emails": many("emails") + many("email"), "addresses": many("addresses") + many("address")}
    company_id = fields.get("company_id")
    return {"id": None, "name": (fields.get("name") or "").strip(),
            "company_id": numbers.id_or_none(company_id),
            "company_name": fields.get("company_name") or None, "position": fields.get("position") or None,
            "phones": many("phones") + many("phone"), "emails": many("emails") + many("email")}


@dataclass
class Likely:
    """An existing record that looks like the one being typed."""

    kind: str
    record: object
    score: float
    reasons: list[str]
    same_inn: bool = False


def same_inn_id(session: Session, inn: str | None, exclude_id: int | None = None) -> int | None:
    """The id of a current company already holding this INN (digits compared), if any."""
    digits = inn_digits(inn)
    if len(digits) < 10:
        return None
    stmt = select(Company.id).where(Company.deleted_at.is_(None), Company.inn.in_({digits, (inn or "").strip()}))
    if exclude_id:
        stmt = stmt.where(Company.id != exclude_id)
    return session.scalar(stmt.order_by(Company.id).limit(1))


def same_inn(session: Session, inn: str | None, exclude_id: int | None = None) -> Company | None:
    """A current company already holding this INN (digits compared), if any."""
    twin_id = same_inn_id(session, inn, exclude_id)
    return session.get(Company, twin_id) if twin_id is not None else None


def likely_duplicates(session: Session, kind: str, fields: dict, limit: int = 5,
                      exclude_id: int | None = None, fresh: bool = True, m=None,
                      inn_checked: bool = False) -> list[Likely]:
    """Existing records that look like the one being typed, best first (an identical INN on top).

    A caller checking many records (an import) passes its matcher `m` and says when it has already looked
    the INN up itself (`inn_checked`), which saves two queries a record."""
    record = _record_from_fields(kind, fields)
    if not (record["name"] or record["phones"] or record["emails"] or record.get("inn")):
        return []
    m = m or matcher(session, kind)
    base = _base_index(session, kind, m)
    model = MODELS[kind]
    if base is None:  # a large base still being indexed: records sharing an exact key, scored by the engine
        ids = _exact_key_ids(session, kind, record)
        indexes = [m.index(engine_records(session, kind, where=model.id.in_(ids)))] if ids else []
    else:
        indexes = [base.index]
        if fresh:  # records added since the big index was built
            indexes.append(m.index(engine_records(session, kind, where=model.id > base.max_id)))
    scores: dict[int, Likely] = {}
    for idx in indexes:
        for c in m.check(record, idx):
            if c.b_id == exclude_id:
                continue
            if c.b_id not in scores or scores[c.b_id].score < c.score:
                scores[c.b_id] = Likely(kind, None, c.score, [reason_text(r) for r in reason_dicts(c.reasons)])
    out: list[Likely] = []
    if kind == "company" and not inn_checked:
        twin = same_inn(session, record.get("inn"), exclude_id)
        if twin is not None:
            hit = scores.pop(twin.id, Likely(kind, None, 100.0, [tr(REASON_TEXT["same_inn"])]))
            hit.record, hit.same_inn, hit.score = twin, True, 100.0
            out.append(hit)
    if scores:
        live = {r.id: r for r in session.scalars(select(model).where(model.id.in_(list(scores)),
                                                                      model.deleted_at.is_(None)))}
        for rid, hit in sorted(scores.items(), key=lambda kv: -kv[1].score):
            if rid in live:
                hit.record = live[rid]
                out.append(hit)
    return out[:limit]


class DuplicateError(Exception):
    """Saving would create a duplicate: an identical INN (refused) or a likely twin (needs confirmation)."""

    def __init__(self, message: str, existing: list[Likely], refused: bool):
        super().__init__(message)
        self.existing = existing
        self.refused = refused  # True: cannot be overridden (identical INN)

    @property
    def existing_id(self) -> int | None:
        return self.existing[0].record.id if self.existing else None


def ensure_not_duplicate(session: Session, kind: str, fields: dict, confirmed_different: bool,
                         exclude_id: int | None = None) -> None:
    """Refuse an identical INN outright; refuse a likely duplicate unless the person confirmed it differs."""
    if kind == "company":
        twin = same_inn(session, fields.get("inn"), exclude_id)
        if twin is not None:
            raise DuplicateError(tr("A company with this INN already exists: %(name)s (#%(id)s).",
                                        name=twin.display_name, id=twin.id),
                                 [Likely(kind, twin, 100.0, [tr(REASON_TEXT["same_inn"])], True)], refused=True)
    if confirmed_different:
        return
    hits = likely_duplicates(session, kind, fields, exclude_id=exclude_id)
    if hits:
        raise DuplicateError(tr("This looks like an existing record. Open it, or confirm that this is a "
                                    "different client."), hits, refused=False)


def engine_defaults():
    """The engine's own precise defaults, shown next to the admin's values."""
    from app.matching import Thresholds

    return Thresholds()


def create_checked(session: Session, kind: str, fields: dict, confirmed_different: bool, region: str = "RU"):
    """Create a company or contact (with its phone and email) only when it passes the duplicate rule."""
    from app.services import companies as companies_service
    from app.services import contact_points
    from app.services import contacts as contacts_service
    from app.services.actor import current_actor_id

    name = (fields.get("legal_name") or fields.get("name") or "").strip()
    if not name:
        raise ValueError(tr("Enter a name."))
    ensure_not_duplicate(session, kind, fields, confirmed_different)
    lookalikes = [h.record.id for h in likely_duplicates(session, kind, fields)] if confirmed_different else []
    phone, email = (fields.get("phone") or "").strip(), (fields.get("email") or "").strip()
    if kind == "company":  # the CRM's own rules: INN check digits, lengths, phone and email formats
        obj = companies_service.create_company(session, {"legal_name": name, "legal_form": (fields.get("legal_form") or "").strip() or None,
                                           "inn": (fields.get("inn") or "").strip() or None,
                                           "city": (fields.get("city") or "").strip() or None})
        if phone:
            contact_points.add_company_phone(session, obj.id, phone, region)
        if email:
            contact_points.add_company_email(session, obj.id, email)
    else:
        company_id = str(fields.get("company_id") or "")
        obj = contacts_service.save_contact(session, {"name": name, "position": (fields.get("position") or "").strip() or None,
                                         "company_id": numbers.id_or_none(company_id)},
                               [phone] if phone else [], [email] if email else [], region)
    session.flush()  # the search index follows through app.services.search_sync
    remember_different(session, kind, obj.id, lookalikes, current_actor_id())
    session.flush()
    return obj


def remember_different(session: Session, kind: str, record_id: int, other_ids: Iterable[int],
                       user_id: int | None) -> None:
    """A person confirmed "this is a different client": scans will not propose these pairs again."""
    known = decided_pairs(session, kind)
    for other in set(other_ids) - {record_id}:
        a, b = _pair(record_id, other)
        if (a, b) not in known:
            session.add(DuplicateDecision(kind=kind, a_id=a, b_id=b, decided_by_id=user_id))
