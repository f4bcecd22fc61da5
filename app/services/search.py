"""One search for the whole base, wherever people type to find a company or contact.

Identifiers go through `search_tokens` as exact keys (a phone in any format or by its last digits,
an email, an INN: an index range scan, about a millisecond). Words go through the database's own text
index over one folded document per record (`search_documents`): FTS5 trigrams on SQLite, pg_trgm and
a Russian tsvector on PostgreSQL. Ranking: exact identifier, exact name, prefix, infix, word form,
typo; ties by the latest activity.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from markupsafe import Markup, escape
from rapidfuzz.distance import Levenshtein
from sqlalchemy import bindparam, delete, func, or_, select, text
from sqlalchemy.orm import Session

from app.models.activities import Activity
from app.models.companies import Company
from app.models.contact_points import Email, Phone
from app.models.contacts import Contact
from app.models.search import SearchDocument, SearchToken
from app.services.contact_points import email_key, format_phone, inn_digits, phone_key
from app.services.folding import fold_case, fold_name, like_escape

MAX_CHAR = "\U0010ffff"
WORD_RE = re.compile(r"[\w]+", re.UNICODE)
MIN_PHONE_DIGITS = 5
KINDS = ("company", "contact")
TYPO_MIN_LEN = 6      # SQLite: a word this long splits into two halves of 3+ letters, one of which a single edit spares
TYPO_CANDIDATES = 500  # SQLite: rows read per half before rapidfuzz ranks them
WORD_STARTS = " .+@-"  # what precedes a word in a folded body (fold_name keeps only these between letters)
COMMON = 1000  # a word in more records than this is "common": not all its matches are ranked (both engines)
NEWEST = 500   # for a common word, its latest-indexed matches (created or edited last) are ranked, with the exact name
# Rank classes, best first.
EXACT_ID, EXACT_NAME, PREFIX, INFIX, WORD_FORM, TYPO = range(6)


def fold(text: str | None) -> str:
    """Case and ё/е folded (kept for callers of the old name): see app.services.folding."""
    return fold_case(text)


def words(text: str | None) -> list[str]:
    """The folded words of a text, as the index keeps them."""
    return fold_name(text).split()


# ---------------------------------------------------------------- keeping the index

def phone_tokens(e164: str) -> list[str]:
    digits = e164.lstrip("+")
    return ["p" + digits, "r" + digits[::-1]]


def company_tokens(c: dict) -> list[tuple[str, str]]:
    """Identifier keys of a company row given as a dict of its columns."""
    if c.get("inn"):
        return [("i" + (inn_digits(c["inn"]) or fold_case(c["inn"])), "inn")]
    return []


def email_tokens(address: str) -> list[tuple[str, str]]:
    return [("e" + address.lower()[:79], "email")]


def company_document(c: dict) -> tuple[str, str]:
    """(name, body) of a company: the folded display name, and name plus city for word search."""
    name = fold_name(f"{c.get('legal_form') or ''} {c.get('legal_name') or ''}")
    return name, " ".join(x for x in (name, fold_name(c.get("city"))) if x)


def contact_document(c: dict) -> tuple[str, str]:
    name = fold_name(c.get("name"))
    return name, " ".join(x for x in (name, fold_name(c.get("position"))) if x)


def _token_rows(kind: str, entity_id: int, pairs) -> list[dict]:
    seen = set()
    rows = []
    for token, fld in pairs:
        if token and (token, fld) not in seen:
            seen.add((token, fld))
            rows.append({"token": token[:80], "kind": kind, "entity_id": entity_id, "field": fld})
    return rows


def reindex(session: Session, company_ids=(), contact_ids=(), keys: bool = True) -> None:
    """Rebuild the keys and documents of the given records from their current data (deleted ones get none)."""
    company_ids, contact_ids = set(company_ids), set(contact_ids)
    for kind, ids in (("company", company_ids), ("contact", contact_ids)):
        if ids:
            if keys:
                session.execute(delete(SearchToken).where(SearchToken.kind == kind, SearchToken.entity_id.in_(ids)))
            session.execute(delete(SearchDocument).where(SearchDocument.kind == kind,
                                                         SearchDocument.entity_id.in_(ids)))
    rows: list[dict] = []
    docs: list[dict] = []
    if company_ids:
        last = dict(session.execute(select(Activity.company_id, func.max(Activity.occurred_at))
                                    .where(Activity.company_id.in_(company_ids)).group_by(Activity.company_id)).all())
        for c in session.execute(select(Company.__table__).where(Company.id.in_(company_ids),
                                                                  Company.deleted_at.is_(None))).mappings():
            rows += _token_rows("company", c["id"], company_tokens(c))
            name, body = company_document(c)
            docs.append({"kind": "company", "entity_id": c["id"], "name": name[:300], "body": body,
                         "active_at": _latest(last.get(c["id"]) or c["updated_at"])})
        rows += _contact_point_rows(session, Phone.company_id.in_(company_ids) & Phone.contact_id.is_(None),
                                    Email.company_id.in_(company_ids) & Email.contact_id.is_(None), "company",
                                    Phone.company_id, Email.company_id)
    if contact_ids:
        last = dict(session.execute(select(Activity.contact_id, func.max(Activity.occurred_at))
                                    .where(Activity.contact_id.in_(contact_ids)).group_by(Activity.contact_id)).all())
        for c in session.execute(select(Contact.__table__).where(Contact.id.in_(contact_ids),
                                                                  Contact.deleted_at.is_(None))).mappings():
            name, body = contact_document(c)
            docs.append({"kind": "contact", "entity_id": c["id"], "name": name[:300], "body": body,
                         "active_at": _latest(last.get(c["id"]) or c["updated_at"])})
        rows += _contact_point_rows(session, Phone.contact_id.in_(contact_ids), Email.contact_id.in_(contact_ids),
                                    "contact", Phone.contact_id, Email.contact_id)
    if rows and keys:
        session.execute(SearchToken.__table__.insert(), rows)
    if docs:
        session.execute(SearchDocument.__table__.insert(), docs)


def touch(session: Session, company_ids=(), contact_ids=()) -> None:
    """Only the records' activities changed: move their documents' latest-activity time (the ranking's tie
    break) as reindex() would set it, leaving their keys and text as they are."""
    docs = SearchDocument.__table__
    for kind, ids, owner, model in (("company", company_ids, Activity.company_id, Company),
                                    ("contact", contact_ids, Activity.contact_id, Contact)):
        if ids:
            latest = select(func.max(Activity.occurred_at)).where(owner == docs.c.entity_id).scalar_subquery()
            changed = select(model.updated_at).where(model.id == docs.c.entity_id).scalar_subquery()
            session.execute(docs.update().where(docs.c.kind == kind, docs.c.entity_id.in_(set(ids)))
                            .values(active_at=func.coalesce(latest, changed)))


def _latest(*times):
    """The latest of the given times (None ignored; naive and aware times compared as UTC)."""
    from datetime import timezone

    norm = [t if t is None or t.tzinfo else t.replace(tzinfo=timezone.utc) for t in times]
    present = [t for t in norm if t is not None]
    return max(present) if present else None


def _contact_point_rows(session, phone_where, email_where, kind, phone_owner, email_owner) -> list[dict]:
    rows = []
    for owner, e164 in session.execute(select(phone_owner, Phone.e164).where(phone_where)):
        rows += _token_rows(kind, owner, [(t, "phone") for t in phone_tokens(e164)])
    for owner, address in session.execute(select(email_owner, Email.address).where(email_where)):
        rows += _token_rows(kind, owner, email_tokens(address))
    return rows


def _id_batches(session: Session, model, batch: int):
    """The ids of a table in ascending batches."""
    last = 0
    while True:
        ids = list(session.scalars(select(model.id).where(model.id > last).order_by(model.id).limit(batch)))
        if not ids:
            return
        yield ids
        last = ids[-1]


def fill_documents(session: Session, batch: int = 20000) -> None:
    """Write the word documents of every record, inside the caller's transaction (migration 0009)."""
    for ids in _id_batches(session, Company, batch):
        reindex(session, company_ids=ids, keys=False)
    for ids in _id_batches(session, Contact, batch):
        reindex(session, contact_ids=ids, keys=False)


def reindex_all(session: Session, batch: int = 20000) -> None:
    """Rebuild the whole index (after a bulk load, or `flask search rebuild`); streamed in batches."""
    session.execute(delete(SearchToken))
    session.execute(delete(SearchDocument))
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("INSERT INTO search_fts(search_fts) VALUES ('delete-all')"))
    for kind, model in (("company", Company), ("contact", Contact)):
        last = 0
        while True:
            ids = list(session.scalars(select(model.id).where(model.id > last).order_by(model.id).limit(batch)))
            if not ids:
                break
            if kind == "company":
                reindex(session, company_ids=ids)
            else:
                reindex(session, contact_ids=ids)
            last = ids[-1]
            session.commit()  # a rebuild of the whole index goes in batches, not one huge transaction
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("INSERT INTO search_fts(search_fts) VALUES ('optimize')"))
    session.execute(text("ANALYZE search_documents"))  # the planner's figures for the rebuilt tables
    session.execute(text("ANALYZE search_tokens"))
    session.commit()


# ---------------------------------------------------------------- searching

@lru_cache(maxsize=512)
def _sql(statement: str):
    """A query's SQL as a text construct built once (its bind parameters parsed and its cache key computed
    once): the search box sends the same few shapes of statement thousands of times."""
    return text(statement)


@dataclass
class Hit:
    """A found company or contact, the field that matched, its rank class and the words to highlight."""

    kind: str
    entity_id: int
    title: str
    subtitle: str
    field: str
    matched: str
    company_id: int | None = None
    fields: set = field(default_factory=set)
    rank: int = INFIX
    marks: list = field(default_factory=list)
    record: object = None


def _identifier_keys(q: str, default_region: str) -> list[str] | None:
    """Token prefixes for an identifier query (email, phone, INN, last digits), or None for words."""
    digits = re.sub(r"\D", "", q)
    if "@" in q:
        return ["e" + (email_key(q) or q.lower())]
    if re.fullmatch(r"[\d\s()+\-.]+", q) and len(digits) >= MIN_PHONE_DIGITS:
        alts = ["r" + digits[::-1], "i" + digits]
        if e164 := phone_key(q, default_region):
            alts.insert(0, "p" + e164.lstrip("+"))
        return alts
    return None


def search(session: Session, q: str, default_region: str = "RU", limit: int = 20,
           kinds: tuple[str, ...] = KINDS) -> list[Hit]:
    """The best `limit` companies and contacts for what was typed, best first."""
    return hydrate(session, find(session, q, default_region, limit, kinds), limit)


def find(session: Session, q: str, default_region: str = "RU", limit: int = 20,
         kinds: tuple[str, ...] = KINDS) -> list[tuple[str, int, int, str, set]]:
    """Ranked (kind, id, rank, marked words, matched fields) for a query, without loading the records."""
    q = (q or "").strip()[:200]
    keys = _identifier_keys(q, default_region)
    if keys is not None:
        return _find_identifiers(session, keys, limit, kinds)
    terms = [w for w in fold_name(q).split() if w]
    if not terms:
        return []
    if session.get_bind().dialect.name == "postgresql":
        return _find_words_postgres(session, terms, limit, kinds)
    return _find_words_sqlite(session, terms, limit, kinds)


@lru_cache(maxsize=8)
def _identifier_statement(alternatives: int):
    """The key lookup for this many alternative prefixes (one to three), built once: Core columns, so the ORM
    adds nothing to a query answered in microseconds."""
    t = SearchToken.__table__.c
    cond = or_(*((t.token >= bindparam(f"lo{i}")) & (t.token < bindparam(f"hi{i}")) for i in range(alternatives)))
    return select(t.kind, t.entity_id, t.field).where(cond).limit(bindparam("lim"))


def _find_identifiers(session, keys, limit, kinds):
    params = {"lim": limit * 10}
    for i, a in enumerate(keys):
        params.update({f"lo{i}": a, f"hi{i}": a + MAX_CHAR})
    found: dict[tuple[str, int], set] = {}
    # kinds filtered here, not in SQL: a `kind IN` there can lead the planner to the (kind, entity_id) index
    for kind, eid, fld in session.execute(_identifier_statement(len(keys)), params):
        if kind in kinds:
            found.setdefault((kind, eid), set()).add(fld)
    ordered = sorted(found, key=lambda k: (KINDS.index(k[0]), k[1]))[:limit]
    return [(k, e, EXACT_ID, [], found[(k, e)]) for k, e in ordered]


def _rank_sql(terms: list[str], params: dict) -> str:
    """CASE giving the rank class of a document by its folded name: exact, prefix, otherwise infix."""
    q = " ".join(terms)
    params.update(rq=q, rp=like_escape(q) + "%", rw="% " + like_escape(q) + "%")
    return (f"CASE WHEN d.name = :rq THEN {EXACT_NAME} "
            f"WHEN d.name LIKE :rp ESCAPE '\\' OR d.name LIKE :rw ESCAPE '\\' THEN {PREFIX} ELSE {INFIX} END")


def _kinds_sql(kinds, params, sqlite: bool = False) -> str:
    """The kinds condition; none when all kinds are wanted, and never one the planner could drive the
    query with instead of the text index (SQLite's unary + keeps the column out of index choice)."""
    if set(kinds) >= set(KINDS):
        return "1 = 1"
    params.update({f"k{i}": k for i, k in enumerate(kinds)})
    return ("+" if sqlite else "") + "d.kind IN (" + ", ".join(f":k{i}" for i in range(len(kinds))) + ")"


def _find_words_sqlite(session, terms, limit, kinds):
    """FTS5 trigrams for words of 3+ letters (shorter ones filtered by LIKE on the same rows); then, if
    the page is not full, one-letter typos: FTS5 candidates by either half of a long word, ranked by rapidfuzz."""
    params: dict = {}
    long_terms = [t for t in terms if len(t) >= 3]
    conds = [_kinds_sql(kinds, params, sqlite=True)]
    for i, t in enumerate(terms):
        if len(t) < 3:  # too short for trigrams: the start of a word, among the rows the other words find
            params[f"s{i}"] = "*[" + WORD_STARTS + "]" + t + "*"  # folded text holds no GLOB wildcard
            conds.append(f"(' ' || d.body) GLOB :s{i}")
    rank = _rank_sql(terms, params)
    params["lim"] = limit
    common = False
    if long_terms:
        params["m"] = " ".join('"' + t.replace('"', '""') + '"' for t in long_terms)
        common = session.execute(_sql("SELECT count(*) FROM (SELECT rowid FROM search_fts WHERE search_fts MATCH :m "
                                      "LIMIT :cap)"), {"m": params["m"], "cap": COMMON + 1}).scalar() > COMMON
    if long_terms and common:
        # A word in thousands of records (a city, a common surname): ranking every match costs time in
        # proportion to their number. Names equal to the query come through the name index; the rest are
        # ranked among the NEWEST latest-indexed matches (created or edited last; FTS5 reads its rowids backwards).
        params["newest"] = NEWEST
        where = " AND ".join(conds)
        sql = (f"SELECT kind, entity_id, r FROM ("
               f"SELECT d.kind, d.entity_id, {rank} AS r, d.active_at, d.id FROM (SELECT rowid FROM search_fts "
               f"WHERE search_fts MATCH :m ORDER BY rowid DESC LIMIT :newest) f JOIN search_documents d "
               f"ON d.id = f.rowid WHERE {where} UNION SELECT * FROM ("
               f"SELECT d.kind, d.entity_id, {EXACT_NAME} AS r, d.active_at, d.id FROM search_documents d "
               f"WHERE {where} AND d.name = :rq LIMIT :lim)) ORDER BY r, active_at DESC, id LIMIT :lim")
        rows = session.execute(_sql(sql), params).all()
    else:
        if long_terms:
            source = "search_fts JOIN search_documents d ON d.id = search_fts.rowid"
            conds.append("search_fts MATCH :m")
            order = "r, d.active_at DESC, d.id"
        else:  # one or two letters: names starting so, in the name index's own (alphabetical) order
            params.update(lo=terms[0], hi=terms[0] + MAX_CHAR)
            source = "search_documents d"
            conds.append("d.name >= :lo AND d.name < :hi")
            order = "d.name, d.id"
        rows = session.execute(_sql(f"SELECT d.kind, d.entity_id, {rank} AS r FROM {source} "
                                    f"WHERE {' AND '.join(conds)} ORDER BY {order} LIMIT :lim"), params).all()
    out = [(k, e, r, list(terms), set()) for k, e, r in rows]
    if len(out) < limit and long_terms and not common and max(len(t) for t in terms) >= TYPO_MIN_LEN:
        out += _typos_sqlite(session, terms, limit - len(out), kinds, {(k, e) for k, e, *_ in out})
    return out


def _typos_sqlite(session, terms, limit, kinds, seen):
    """Records whose name's words are each within one edit of the query's words (a typo is looked for in names,
    as on PostgreSQL). A single edit leaves one half of the longest word intact: each half is an FTS5 lookup (up
    to TYPO_CANDIDATES rows), rapidfuzz ranks them."""
    word = max(terms, key=len)
    half = len(word) // 2
    rows = {}
    for piece in (word[:half], word[half:]):
        for row in session.execute(_sql("SELECT d.kind, d.entity_id, d.name, d.active_at FROM search_fts "
                                        "JOIN search_documents d ON d.id = search_fts.rowid "
                                        "WHERE search_fts MATCH :m LIMIT :lim"),
                                   {"m": '"' + piece.replace('"', '""') + '"', "lim": TYPO_CANDIDATES}):
            rows[(row[0], row[1])] = row
    scored = []
    for kind, eid, name, active_at in rows.values():
        if (kind, eid) in seen or kind not in kinds:
            continue
        marks, cost = _fuzzy_marks(terms, name.split())
        if marks is not None:
            scored.append((cost, str(active_at or ""), kind, eid, marks))
    scored.sort(key=lambda s: s[1], reverse=True)  # latest activity first (ISO text sorts as time) ...
    scored.sort(key=lambda s: s[0])                 # ... within the fewest edits
    return [(k, e, TYPO, marks, set()) for _, _, k, e, marks in scored[:limit]]


def _fuzzy_marks(terms, body_words):
    """For each query word the document word it matches (contains it, or is within one edit of it, whole
    or by its start), with the total edits; (None, 0) when a word has no match."""
    marks, cost = [], 0
    for t in terms:
        best = None
        for w in body_words:
            if t in w:
                best = (0, t)
                break
            if len(t) < 4:
                continue
            for candidate in {w, w[:len(t)]}:
                if Levenshtein.distance(t, candidate, score_cutoff=1) <= 1 and best is None:
                    best = (1, candidate)
        if best is None:
            return None, 0
        cost += best[0]
        marks.append(best[1])
    return marks, cost


def _find_words_postgres(session, terms, limit, kinds):
    """pg_trgm GIN for infix (LIKE on the folded body), the Russian tsvector for word forms; then, if the
    page is not full, word_similarity (the `<%` operator on the names' own trigram index) for a typo in a name."""
    params: dict = {"q": " ".join(terms), "lim": limit}
    kinds_sql = _kinds_sql(kinds, params)
    if max(len(t) for t in terms) < 3:  # too short for trigrams: the start of a name, through its index
        params.update(lo=terms[0], hi=terms[0] + MAX_CHAR)
        rank = _rank_sql(terms, params)
        rows = session.execute(_sql(f"SELECT d.kind, d.entity_id, {rank} AS r FROM search_documents d "
                                    f"WHERE {kinds_sql} AND d.name >= :lo AND d.name < :hi "
                                    "ORDER BY r, d.active_at DESC NULLS LAST, d.id LIMIT :lim"), params).all()
        return [(k, e, r, list(terms), set()) for k, e, r in rows]
    likes = []
    for i, t in enumerate(terms):
        if len(t) < 3:  # as on SQLite, the start of a word: a regex the trigram index can use (" юг"), where
            # LIKE '%юг%' gives it no trigram and every body holding the other words is read
            params[f"s{i}"] = "(^|[" + WORD_STARTS + "])" + re.escape(t)
            likes.append(f"d.body ~ :s{i}")
        else:
            params[f"s{i}"] = "%" + like_escape(t) + "%"
            likes.append(f"d.body LIKE :s{i} ESCAPE '\\'")
    tsv = "to_tsvector('russian'::regconfig, d.body) @@ plainto_tsquery('russian'::regconfig, :q)"
    rank = _rank_sql(terms, params).replace(f"ELSE {INFIX} END", f"WHEN {' AND '.join(likes)} THEN {INFIX} "
                                            f"ELSE {WORD_FORM} END")
    params.update(cap=max(COMMON, NEWEST) + 1, newest=NEWEST, common=COMMON)
    # One statement, so the trigram index is read once: the first COMMON + 1 matches (NEWEST at least), then either
    # - a word in thousands of records: as on SQLite, the exact name plus NEWEST of its matches are ranked, not
    #   every match (word forms add nothing to a word found this often); here they are the first NEWEST the scan
    #   yields, since reading them in id order would walk past every contact, whose documents hold no city;
    # - otherwise every match, and the word forms in a branch of their own: with an OR, every row the trigram
    #   index proposes would be re-checked against both, parsing its body into a tsvector (4-5x the LIKE alone).
    #   That branch is capped too: a word form in thousands of records otherwise gets a plan in parallel workers,
    #   which PostgreSQL starts (about 5 ms) even when the branch is skipped.
    rows = session.execute(_sql(
        f"WITH m AS MATERIALIZED (SELECT d.kind, d.entity_id, {rank} AS r, d.active_at, d.id "
        f"FROM search_documents d WHERE {kinds_sql} AND {' AND '.join(likes)} LIMIT :cap), "
        "c AS (SELECT count(*) > :common AS common FROM m) "
        "SELECT kind, entity_id, r, (SELECT common FROM c) FROM ("
        "(SELECT * FROM m WHERE NOT (SELECT common FROM c)) "
        "UNION (SELECT * FROM (SELECT * FROM m LIMIT :newest) n WHERE (SELECT common FROM c)) "
        f"UNION (SELECT d.kind, d.entity_id, {EXACT_NAME} AS r, d.active_at, d.id FROM search_documents d "
        f"WHERE (SELECT common FROM c) AND {kinds_sql} AND d.name = :rq LIMIT :lim) "
        f"UNION (SELECT d.kind, d.entity_id, {rank} AS r, d.active_at, d.id FROM search_documents d "
        f"WHERE NOT (SELECT common FROM c) AND {kinds_sql} AND {tsv} LIMIT :cap)) u "
        "ORDER BY r, active_at DESC NULLS LAST, id LIMIT :lim"), params).all()
    common = bool(rows) and bool(rows[0][3])
    out = [(k, e, r, list(terms), set()) for k, e, r, _common in rows]
    if len(out) < limit and not common and max(len(t) for t in terms) >= 4:
        seen = {(k, e) for k, e, *_ in out}
        params["lim2"] = limit - len(out) + len(seen)
        typo_rows = session.execute(_sql(
            "SELECT d.kind, d.entity_id, d.name FROM search_documents d "
            f"WHERE {kinds_sql} AND :q <% d.name "
            "ORDER BY word_similarity(:q, d.name) DESC, d.active_at DESC NULLS LAST, d.id LIMIT :lim2"), params).all()
        for k, e, name in typo_rows:
            if (k, e) not in seen and len(out) < limit:
                marks, _ = _fuzzy_marks(terms, name.split())
                out.append((k, e, TYPO, marks or [], set()))
    return out


@dataclass
class Found:
    """The columns of a found record that the hit list shows (read as plain rows, not ORM objects)."""

    id: int
    display_name: str
    inn: str | None = None
    city: str | None = None
    position: str | None = None
    company_id: int | None = None
    company_name: str | None = None


def _display(legal_form, legal_name) -> str:
    return f"{legal_form} {legal_name}" if legal_form else legal_name


@lru_cache(maxsize=1)
def _hydrate_statements():
    """The two statements that load found records, built once: Core columns and an expanding list of ids."""
    c, k = Company.__table__.c, Contact.__table__.c
    owner = Company.__table__.alias("owner")
    companies = (select(c.id, c.legal_form, c.legal_name, c.inn, c.city)
                 .where(c.id.in_(bindparam("ids", expanding=True)), c.deleted_at.is_(None)))
    contacts = (select(k.id, k.name, k.position, k.company_id, owner.c.legal_form, owner.c.legal_name)
                .select_from(Contact.__table__.outerjoin(owner, owner.c.id == k.company_id))
                .where(k.id.in_(bindparam("ids", expanding=True)), k.deleted_at.is_(None)))
    return companies, contacts


def hydrate(session: Session, found, limit: int = 20) -> list[Hit]:
    """Load the found records in a fixed number of queries: one for companies, one for contacts (with
    their company's name), whatever the number of hits."""
    found = found[:limit]
    company_ids = [e for k, e, *_ in found if k == "company"]
    contact_ids = [e for k, e, *_ in found if k == "contact"]
    company_sql, contact_sql = _hydrate_statements()
    companies = {r[0]: Found(r[0], _display(r[1], r[2]), r[3], r[4])
                 for r in session.execute(company_sql, {"ids": company_ids})} if company_ids else {}
    contacts = {r[0]: Found(r[0], r[1], position=r[2], company_id=r[3],
                            company_name=_display(r[4], r[5]) if r[5] else None)
                for r in session.execute(contact_sql, {"ids": contact_ids})} if contact_ids else {}
    hits = []
    for kind, eid, rank, marks, fields in found:
        if kind == "company" and eid in companies:
            c = companies[eid]
            fld = _main_field(fields) if fields else _word_field(marks, c.display_name, c.city, "city")
            hits.append(Hit("company", c.id, c.display_name, " · ".join(x for x in (c.inn, c.city) if x), fld, "",
                            c.id, fields or {fld}, rank, marks, c))
        elif kind == "contact" and eid in contacts:
            k = contacts[eid]
            fld = _main_field(fields) if fields else _word_field(marks, k.display_name, k.position, "position")
            hits.append(Hit("contact", k.id, k.display_name, " · ".join(x for x in (k.position, k.company_name) if x),
                            fld, "", k.company_id, fields or {fld}, rank, marks, k))
    return hits


def _word_field(marks, name, other, other_field) -> str:
    """The field a word hit matched: the name when it holds every marked word, else the other field."""
    folded = fold_case(name)  # a mark is a folded word, so it lies in the case fold wherever in the name fold
    if all(m in folded for m in marks):
        return "name"
    return other_field if other and any(m in fold_case(other) for m in marks) else "name"


def _main_field(fields: set[str]) -> str:
    for f in ("phone", "email", "inn", "name", "legal_form", "position", "city"):
        if f in fields:
            return f
    return next(iter(fields), "name")


def highlight(text: str, q) -> Markup:
    """Mark the query's words (a query string or a list of folded words) inside a displayed value."""
    text = text or ""
    rx = _marker(tuple(q) if isinstance(q, list) else _query_words(q))
    if rx is None:
        return escape(text)
    folded = fold_case(text)
    if len(folded) != len(text):  # a letter whose lower case is longer: mark nothing rather than the wrong letters
        return escape(text)
    out, pos = [], 0
    for m in rx.finditer(folded):
        out += (escape(text[pos:m.start()]), "<mark>", escape(text[m.start():m.end()]), "</mark>")
        pos = m.end()
    out.append(escape(text[pos:]))
    return Markup("".join(out))


@lru_cache(maxsize=256)
def _query_words(q: str) -> tuple[str, ...]:
    """A query's folded words: the dropdown highlights them in every hit's title and subtitle."""
    return tuple(fold_name(q).split())


@lru_cache(maxsize=256)
def _marker(words: tuple[str, ...]) -> re.Pattern | None:
    """The pattern that finds these words, longest first, compiled once for all the hits that show them."""
    pats = [re.escape(w) for w in words if len(w) >= 2]
    if not pats:
        return None
    return re.compile("(" + "|".join(sorted(pats, key=len, reverse=True)) + ")")


@dataclass
class ShownHit:
    """A search hit as the dropdown shows it: where it links and the value that matched, highlighted."""

    hit: object
    field: str
    value: Markup


def _mark_tail(formatted: str, count: int) -> Markup:
    """Highlight a formatted phone from its last `count` digits to the end (the part the query matched)."""
    positions = [i for i, ch in enumerate(formatted) if ch.isdigit()]
    if count >= len(positions):
        start = 0
    else:
        start = positions[len(positions) - count]
    return escape(formatted[:start]) + Markup("<mark>") + escape(formatted[start:]) + Markup("</mark>")


@lru_cache(maxsize=4)
def _points_statement(kind_field: str, owner_kind: str):
    """The phones or the emails of the listed companies (their own, not their contacts') or contacts, built once."""
    t = (Phone if kind_field == "phone" else Email).__table__.c
    ids = bindparam("ids", expanding=True)
    cond = (t.company_id.in_(ids) & t.contact_id.is_(None)) if owner_kind == "company" else t.contact_id.in_(ids)
    return select(t.company_id, t.contact_id, t.e164 if kind_field == "phone" else t.address).where(cond).order_by(t.id)


def describe_hits(session: Session, hits: list, q: str, region: str) -> list[ShownHit]:
    """The phone, email, INN or city each hit matched, highlighted; the phones and the emails of the hits
    in at most two queries each (companies', contacts'), whatever the number of hits."""
    digits = re.sub(r"\D", "", q)
    full = (phone_key(q, region) or "").lstrip("+") or None
    ql = q.strip().lower()
    phones: dict[tuple[str, int], list[str]] = {}
    emails: dict[tuple[str, int], list[str]] = {}
    for kind_field, store in (("phone", phones), ("email", emails)):
        owners = [h for h in hits if h.field == kind_field]
        if not owners:
            continue
        # one query per owner kind, each on its own index (an OR across the two columns would scan the table)
        for owner_kind in KINDS:
            ids = [h.entity_id for h in owners if h.kind == owner_kind]
            if not ids:
                continue
            for company_id, contact_id, value in session.execute(_points_statement(kind_field, owner_kind),
                                                                 {"ids": ids}):
                key = ("contact", contact_id) if contact_id else ("company", company_id)
                store.setdefault(key, []).append(value)
    shown = []
    for h in hits:
        value = Markup("")
        if h.field == "phone":
            for e164 in phones.get((h.kind, h.entity_id), []):
                d = e164.lstrip("+")
                if full and d == full:
                    value = _mark_tail(format_phone(e164), len(d))
                    break
                if digits and d.endswith(digits):
                    value = _mark_tail(format_phone(e164), len(digits))
                    break
        elif h.field == "email":
            for address in emails.get((h.kind, h.entity_id), []):
                if ql in address:
                    i = address.find(ql)
                    value = escape(address[:i]) + Markup("<mark>") + escape(address[i:i + len(ql)]) + \
                        Markup("</mark>") + escape(address[i + len(ql):])
                    break
        elif h.field in ("inn", "city") and h.kind == "company" and h.record is not None:
            value = highlight((h.record.inn if h.field == "inn" else h.record.city) or "",
                              digits if h.field == "inn" else (h.marks or q))
        elif h.field == "position" and h.kind == "contact" and h.record is not None:
            value = highlight(h.record.position or "", h.marks or q)
        shown.append(ShownHit(h, h.field, value))
    return shown
