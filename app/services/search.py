"""One search box for the whole base: words of names, phones in any format, emails, INN, city.

Every searchable value is cut into tokens stored in `search_tokens` with the field it came from.
A query word matches tokens that start with it (an index range scan on both engines); a phone
is matched by its full E.164 form or by its last digits (stored reversed, so a suffix is a prefix).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from markupsafe import Markup, escape
from sqlalchemy import delete, select, tuple_
from sqlalchemy.orm import Session, selectinload

from app.models.companies import Company
from app.models.contact_points import Email, Phone
from app.models.contacts import Contact
from app.models.search import SearchToken
from app.services.contact_points import email_key, format_phone, inn_digits, phone_key

MAX_CHAR = "\U0010ffff"
WORD_RE = re.compile(r"[\w]+", re.UNICODE)
MIN_PHONE_DIGITS = 5


def fold(text: str) -> str:
    """Lower-case and fold ё to е so either spelling finds the other."""
    return text.lower().replace("ё", "е")


def words(text: str | None) -> list[str]:
    return [w[:80] for w in WORD_RE.findall(fold(text or ""))]


def phone_tokens(e164: str) -> list[str]:
    digits = e164.lstrip("+")
    return ["p" + digits, "r" + digits[::-1]]


def company_tokens(c: dict) -> list[tuple[str, str]]:
    """(token, field) pairs for a company row given as a dict of its columns."""
    out = [(w, "name") for w in words(c.get("legal_name"))]
    out += [(w, "legal_form") for w in words(c.get("legal_form"))]
    if c.get("inn"):
        out.append(("i" + (inn_digits(c["inn"]) or fold(c["inn"])), "inn"))
    out += [(w, "city") for w in words(c.get("city"))]
    return out


def contact_tokens(c: dict) -> list[tuple[str, str]]:
    return [(w, "name") for w in words(c.get("name"))] + [(w, "position") for w in words(c.get("position"))]


def email_tokens(address: str) -> list[tuple[str, str]]:
    address = address.lower()
    return [("e" + address[:79], "email")] + [(w, "email") for w in words(address.split("@")[-1])]


def _token_rows(kind: str, entity_id: int, pairs) -> list[dict]:
    seen = set()
    rows = []
    for token, fld in pairs:
        if token and (token, fld) not in seen:
            seen.add((token, fld))
            rows.append({"token": token[:80], "kind": kind, "entity_id": entity_id, "field": fld})
    return rows


def reindex(session: Session, company_ids=(), contact_ids=()) -> None:
    """Rebuild the tokens of the given records from their current data (deleted ones get none)."""
    company_ids, contact_ids = set(company_ids), set(contact_ids)
    for kind, ids in (("company", company_ids), ("contact", contact_ids)):
        if ids:
            session.execute(delete(SearchToken).where(SearchToken.kind == kind, SearchToken.entity_id.in_(ids)))
    rows: list[dict] = []
    if company_ids:
        for c in session.execute(select(Company.__table__).where(Company.id.in_(company_ids),
                                                                  Company.deleted_at.is_(None))).mappings():
            rows += _token_rows("company", c["id"], company_tokens(c))
        rows += _contact_point_rows(session, Phone.company_id.in_(company_ids) & Phone.contact_id.is_(None),
                                    Email.company_id.in_(company_ids) & Email.contact_id.is_(None), "company",
                                    Phone.company_id, Email.company_id)
    if contact_ids:
        for c in session.execute(select(Contact.__table__).where(Contact.id.in_(contact_ids),
                                                                  Contact.deleted_at.is_(None))).mappings():
            rows += _token_rows("contact", c["id"], contact_tokens(c))
        rows += _contact_point_rows(session, Phone.contact_id.in_(contact_ids), Email.contact_id.in_(contact_ids),
                                    "contact", Phone.contact_id, Email.contact_id)
    if rows:
        session.execute(SearchToken.__table__.insert(), rows)


def _contact_point_rows(session, phone_where, email_where, kind, phone_owner, email_owner) -> list[dict]:
    rows = []
    for owner, e164 in session.execute(select(phone_owner, Phone.e164).where(phone_where)):
        rows += _token_rows(kind, owner, [(t, "phone") for t in phone_tokens(e164)])
    for owner, address in session.execute(select(email_owner, Email.address).where(email_where)):
        rows += _token_rows(kind, owner, email_tokens(address))
    return rows


def reindex_all(session: Session, batch: int = 20000) -> None:
    """Rebuild every token (after a bulk load); streamed in batches so memory stays flat."""
    session.execute(delete(SearchToken))
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


@dataclass
class Hit:
    """A found company or contact, the field that matched and the matched text."""

    kind: str
    entity_id: int
    title: str
    subtitle: str
    field: str
    matched: str
    company_id: int | None = None
    fields: set = field(default_factory=set)


def _query_terms(q: str, default_region: str) -> list[list[str]]:
    """Each query word becomes alternatives (token prefixes); a hit must match one of each word."""
    q = q.strip()
    digits = re.sub(r"\D", "", q)
    terms: list[list[str]] = []
    if "@" in q:  # a whole address by its key, a part of one as typed
        return [["e" + (email_key(q) or q.lower())]]
    phoneish = re.fullmatch(r"[\d\s()+\-.]+", q) is not None
    if phoneish and len(digits) >= MIN_PHONE_DIGITS:
        alts = ["r" + digits[::-1], "i" + digits]
        if e164 := phone_key(q, default_region):
            alts.insert(0, "p" + e164.lstrip("+"))
        return [alts]
    for w in words(q):
        terms.append([w, "i" + w] if w.isdigit() else [w])
    return terms


def _prefix(col, prefix: str):
    return (col >= prefix) & (col < prefix + MAX_CHAR)


def search(session: Session, q: str, default_region: str = "RU", limit: int = 20) -> list[Hit]:
    """Companies and contacts matching every word of the query, companies first, then by name."""
    terms = _query_terms(q, default_region)
    if not terms or all(len(t[0]) < 2 for t in terms):
        return []
    # Drive the lookup with the most selective word (the longest), then require the others.
    terms.sort(key=lambda alts: -max(len(a) for a in alts))
    matched_fields: dict[tuple[str, int], set[str]] = {}
    candidates: set[tuple[str, int]] | None = None
    for alts in terms:
        cond = None
        for a in alts:
            c = _prefix(SearchToken.token, a)
            cond = c if cond is None else (cond | c)
        stmt = select(SearchToken.kind, SearchToken.entity_id, SearchToken.field).where(cond)
        if candidates is not None:
            if not candidates:
                return []
            stmt = stmt.where(tuple_(SearchToken.kind, SearchToken.entity_id).in_(list(candidates)))
        else:
            stmt = stmt.limit(5000)
        found: set[tuple[str, int]] = set()
        for kind, eid, fld in session.execute(stmt):
            found.add((kind, eid))
            matched_fields.setdefault((kind, eid), set()).add(fld)
        candidates = found if candidates is None else candidates & found
    return _hydrate(session, sorted(candidates or []), matched_fields, limit)


def _hydrate(session, keys, matched_fields, limit) -> list[Hit]:
    company_ids = [eid for kind, eid in keys if kind == "company"]
    contact_ids = [eid for kind, eid in keys if kind == "contact"]
    hits: list[Hit] = []
    if company_ids:
        for c in session.scalars(select(Company).where(Company.id.in_(company_ids[:500]), Company.deleted_at.is_(None))
                                 .order_by(Company.name_sort).limit(limit)):
            fields = matched_fields[("company", c.id)]
            hits.append(Hit("company", c.id, c.display_name, " · ".join(x for x in (c.inn, c.city) if x),
                            _main_field(fields), "", c.id, fields))
    if contact_ids and len(hits) < limit:
        for k in session.scalars(select(Contact).options(selectinload(Contact.company))  # one query, not one per hit
                                 .where(Contact.id.in_(contact_ids[:500]), Contact.deleted_at.is_(None))
                                 .order_by(Contact.name).limit(limit - len(hits))):
            fields = matched_fields[("contact", k.id)]
            hits.append(Hit("contact", k.id, k.name, " · ".join(x for x in (k.position, k.company.display_name if k.company else None) if x),
                            _main_field(fields), "", k.company_id, fields))
    return hits


def _main_field(fields: set[str]) -> str:
    for f in ("phone", "email", "inn", "name", "legal_form", "position", "city"):
        if f in fields:
            return f
    return next(iter(fields), "name")


def highlight(text: str, q: str) -> Markup:
    """Mark the query's words (or its digits, for phones) inside a displayed value."""
    text = text or ""
    pats = [re.escape(w) for w in words(q) if len(w) >= 2]
    if not pats:
        return escape(text)
    rx = re.compile("(" + "|".join(sorted(pats, key=len, reverse=True)) + ")", re.IGNORECASE)
    out, pos = [], 0
    folded = fold(text)
    for m in rx.finditer(folded):
        out.append(escape(text[pos:m.start()]))
        out.append(Markup("<mark>") + escape(text[m.start():m.end()]) + Markup("</mark>"))
        pos = m.end()
    out.append(escape(text[pos:]))
    return Markup("").join(out)



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


def describe_hits(session: Session, hits: list, q: str, region: str) -> list[ShownHit]:
    """Find for each hit the phone, email, INN or city the query matched, ready to show highlighted."""
    from app.services.search import highlight

    digits = re.sub(r"\D", "", q)
    full = (phone_key(q, region) or "").lstrip("+") or None
    shown = []
    for h in hits:
        owner = Phone.contact_id == h.entity_id if h.kind == "contact" else (
            (Phone.company_id == h.entity_id) & Phone.contact_id.is_(None))
        value = Markup("")
        if h.field == "phone":
            for (e164,) in session.execute(select(Phone.e164).where(owner)):
                d = e164.lstrip("+")
                if full and d == full:
                    value = _mark_tail(format_phone(e164), len(d))
                    break
                if digits and d.endswith(digits):
                    value = _mark_tail(format_phone(e164), len(digits))
                    break
        elif h.field == "email":
            eowner = Email.contact_id == h.entity_id if h.kind == "contact" else (
                (Email.company_id == h.entity_id) & Email.contact_id.is_(None))
            for (address,) in session.execute(select(Email.address).where(eowner)):
                if address.startswith(q.lower()) or q.lower() in address:
                    i = address.find(q.lower())
                    value = escape(address[:i]) + Markup("<mark>") + escape(address[i:i + len(q)]) + \
                        Markup("</mark>") + escape(address[i + len(q):])
                    break
        elif h.field in ("inn", "city") and h.kind == "company":
            company = session.get(Company, h.entity_id)
            text = (company.inn if h.field == "inn" else company.city) or ""
            value = highlight(text, q)
        shown.append(ShownHit(h, h.field, value))
    return shown
