"""Schema-driven duplicate matcher: multi-pass blocking, log-odds scoring with reasons, clustering.

A record is a dict with an "id" and the schema's fields. The engine keeps only normalised
values (one tuple per record) and packed integer block arrays, so a million contacts fit in
well under 2 GB, and a full scan costs about (records x small constant) comparisons.
"""

from __future__ import annotations

import gc
import math
import re
import sys
import zlib
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, Literal

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA, JaroWinkler

from .normalize import (
    LEGAL_FORM_FAMILY,
    canonical_legal_form,
    normalise_address,
    normalise_company_name,
    normalise_email,
    normalise_inn,
    normalise_person_name,
    normalise_phone,
    normalise_text,
    translit,
)
from .reasons import Reason

FieldKind = Literal[
    "inn", "phone", "email", "company_name", "person_name", "legal_form", "address",
    "text", "code", "date", "category", "ref",
]
BlockMethod = Literal["exact", "name_pairs", "name_suffix_pairs", "prefix", "joined_prefix",
                      "token_prefix"]

_MASK32 = 0xFFFFFFFF
# Mailboxes shared by a whole office: a match on them says "same company", not "same person".
_ROLE_MAILBOXES = frozenset({
    "info", "office", "sales", "mail", "admin", "support", "hello", "contact", "contacts",
    "zakaz", "order", "orders", "buh", "secretary", "reception", "priemnaya", "manager",
    "welcome", "post", "general", "inbox", "noreply", "no-reply", "marketing", "hr",
})
_PUBLIC_DOMAINS = frozenset({
    "mail.ru", "bk.ru", "list.ru", "inbox.ru", "yandex.ru", "ya.ru", "yandex.com", "gmail.com",
    "rambler.ru", "outlook.com", "hotmail.com", "icloud.com", "yahoo.com", "live.com",
    "protonmail.com", "me.com", "internet.ru", "googlemail.com",
})


@dataclass(frozen=True)
class Field:
    """One field of a schema: how to normalise it, compare it, and how much agreement weighs."""

    name: str
    kind: FieldKind
    agree: float = 0.0  # log-odds added when the values agree fully
    disagree: float = 0.0  # log-odds removed when they clearly disagree
    multi: bool = False  # the value is a list (phones, emails, addresses)
    lo: float = 70.0  # fuzzy similarity (0-100) at or below which the values disagree
    hi: float = 97.0  # fuzzy similarity at or above which they agree fully
    partial: float = 0.5  # share of `agree` for a one-character difference (codes, dates)
    label: str | None = None  # the word used in reasons ("postcode", "city")
    alt_of: str | None = None  # skip this field when that field could be compared

    @property
    def title(self) -> str:
        """Word for this field in reasons."""
        return self.label or self.name.replace("_", " ")


@dataclass(frozen=True)
class BlockPass:
    """One blocking pass: records sharing a key from this field are compared."""

    field: str
    method: BlockMethod = "exact"
    length: int = 4
    max_block: int | None = None  # overrides Schema.max_block (an office line is shared by ~20)


@dataclass(frozen=True)
class SortKey:
    """A sorted-neighbourhood pass: records whose key sorts within `window` places are compared."""

    fields: tuple[str, ...]
    window: int = 6
    joined: bool = False  # sort on the words as written, spaces removed ("Система Лес" = "СистемаЛес")


@dataclass(frozen=True)
class Schema:
    """What the records look like and how to block them; `offset` is the log-odds a match must beat."""

    name: str
    fields: tuple[Field, ...]
    blocks: tuple[BlockPass, ...]
    sort_keys: tuple[SortKey, ...]
    offset: float = 4.0
    max_block: int = 60  # larger blocks are walked with a sliding window instead
    window: int = 3  # window used inside an oversized block
    swaps: tuple[tuple[str, str], ...] = ()  # field pairs often typed the wrong way round


    def slot(self, name: str) -> int:
        """Position of a field in the normalised tuple."""
        for i, f in enumerate(self.fields):
            if f.name == name:
                return i
        raise KeyError(name)


@dataclass(frozen=True)
class Thresholds:
    """Admin-tunable cut-offs on the 0-100 score; the defaults prefer precision over recall."""

    review: float = 85.0  # show the pair to a person
    strong: float = 99.0  # safe to merge without a second look


@dataclass(frozen=True)
class Candidate:
    """A pair of records that look like the same entity, with the evidence."""

    a_id: Hashable
    b_id: Hashable
    score: float
    reasons: list[str] = field(default_factory=list)

    def is_strong(self, thresholds: Thresholds = Thresholds()) -> bool:
        """True when the pair clears the auto-merge threshold."""
        return self.score >= thresholds.strong


# --- value normalisation per kind ------------------------------------------------------------


def _as_list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple, set, frozenset)):
        return [v for v in value if v not in (None, "")]
    return [value]


def _name_key(core: str) -> str:
    return translit(core)


def _normalise_value(f: Field, value: Any) -> Any:
    """Normalised form of one field's value, or None when absent or unusable."""
    kind = f.kind
    if kind == "phone":
        out = tuple(sorted({p for v in _as_list(value) if (p := normalise_phone(str(v)))}))
        return out or None
    if kind == "email":
        out = tuple(sorted({e for v in _as_list(value) if (e := normalise_email(str(v)))}))
        return out or None
    if kind == "address":
        out = tuple(sorted({a for v in _as_list(value) if (a := translit(normalise_address(str(v))))}))
        return out or None
    if value is None or value == "":
        return None
    if kind == "inn":
        return normalise_inn(value)
    if kind == "company_name":
        core = normalise_company_name(str(value))[0]
        return sys.intern(_name_key(core)) or None
    if kind == "person_name":
        return normalise_person_name(str(value)) or None
    if kind == "legal_form":
        return sys.intern(canonical_legal_form(str(value))) or None
    if kind == "text":
        return sys.intern(normalise_text(str(value))) or None
    if kind == "category":
        return sys.intern(translit(str(value))) or None
    if kind in ("code", "date"):
        return "".join(ch for ch in str(value) if ch.isalnum()).lower() or None
    return sys.intern(str(value))  # ref: few distinct values (company ids)


# --- similarity ---------------------------------------------------------------------------


_DOUBLE = re.compile(r"([a-z])\1+")
_NUMBER = re.compile(r"\d+")


def _digits(text: str) -> list[str]:
    return _NUMBER.findall(text)


def name_similarity(a: str, b: str) -> float:
    """Similarity (0-100) of two folded company names: tolerant of word order, joined or split
    words and typos; strict about numbers, extra words and one-letter suffixes (another firm)."""
    if a == b:
        return 100.0
    s = fuzz.token_sort_ratio(a, b)
    if " " not in a and " " not in b:
        if s >= 60.0 and _digits(a) != _digits(b):
            return min(60.0, s)  # «Завод5» and «Завод7» are two firms
        return s
    ja, jb = a.replace(" ", ""), b.replace(" ", "")
    j = fuzz.ratio(ja, jb)
    if max(s, j) < 60.0:  # most pairs a block offers stop here
        return max(s, j)
    if _digits(a) != _digits(b):
        return min(60.0, s)
    ta, tb = a.split(), b.split()
    if {t for t in ta if len(t) == 1} != {t for t in tb if len(t) == 1}:
        return min(max(s, j), 85.0)  # «Маякхим М» is not «Маякхим»
    if len(ta) != len(tb):
        if j >= 90.0:  # "Дельта Авто" vs "Дельтаавто": doubled letters fold once joined
            j = max(j, fuzz.ratio(_DOUBLE.sub(r"\1", ja), _DOUBLE.sub(r"\1", jb)))
        if j < 99.0:
            return min(max(s, j), 85.0)  # a word more or less («Альфа» vs «Альфа Плюс»)
        return j
    s = max(s, j)
    if s < 100.0:  # align words: order may differ, and one foreign word means another firm
        rest = list(tb)
        aligned = []
        for t in ta:
            scores = [fuzz.ratio(t, r) for r in rest]
            k = max(range(len(rest)), key=scores.__getitem__)
            if _different_words(t, rest[k], scores[k]):
                return min(s, 80.0)
            aligned.append(rest.pop(k))
        s = max(s, fuzz.ratio(a, " ".join(aligned)))
    return s


def _initials_similarity(short: list[str], full: list[str]) -> float:
    """Similarity when one side writes given names as initials ("ivanov i i" vs "ivan ivanovich ivanov")."""
    words = [t for t in short if len(t) > 1]
    initials = sorted(t for t in short if len(t) == 1)
    if not words or not initials:
        return 0.0
    rest = list(full)
    worst = 100.0
    for w in words:
        if not rest:
            return 0.0
        scores = [fuzz.ratio(w, t) for t in rest]
        k = max(range(len(scores)), key=scores.__getitem__)
        worst = min(worst, scores[k])
        rest.pop(k)
    letters = sorted(t[0] for t in rest)
    if not letters:
        return 0.0
    fits = all(letters.count(c) <= initials.count(c) for c in letters) or all(
        initials.count(c) <= letters.count(c) for c in initials)
    return min(worst, 95.0) if fits else 0.0


def _different_words(x: str, y: str, ratio: float) -> bool:
    """Two words are different (not a typo) when two or more edits apart and under 80% alike."""
    return ratio < 80.0 and OSA.distance(x, y, score_cutoff=2) >= 2


_PATRONYMIC_ENDINGS = ("ovich", "evich", "ovna", "evna", "ichna", "inichna", "ich")


def _split_patronymic(tokens: list[str]) -> tuple[list[str], list[str]]:
    """(given name and surname words, patronymic words) of folded Russian name tokens."""
    words: list[str] = []
    patr: list[str] = []
    for t in tokens:
        (patr if len(t) > 5 and t.endswith(_PATRONYMIC_ENDINGS) else words).append(t)
    return words, patr


def _aligned_similarity(short: list[str], long: list[str]) -> tuple[float, list[str]]:
    """Pair each word of `short` with its closest word of `long`; -1 when one has no counterpart."""
    rest = list(long)
    aligned: list[str] = []
    for t in short:
        scores = [fuzz.ratio(t, r) for r in rest]
        k = max(range(len(scores)), key=scores.__getitem__)
        if _different_words(t, rest[k], scores[k]):
            return -1.0, rest
        aligned.append(rest.pop(k))
    return fuzz.ratio(" ".join(short), " ".join(aligned)), rest


def person_similarity(a: str, b: str) -> float:
    """Similarity (0-100) of two folded person names: order-free, patronymic-optional,
    initials-aware, and low whenever one word has no counterpart (Инна vs Ирина)."""
    if a == b:
        return 100.0
    quick = fuzz.token_set_ratio(a, b)
    if quick < 55.0:  # no word in common and little alike: most pairs a block offers end here
        return quick
    ta, tb = a.split(), b.split()
    if not ta or not tb:
        return 0.0
    loose = min(65.0, fuzz.token_sort_ratio(a, b))
    if any(len(t) == 1 for t in ta):
        return max(_initials_similarity(ta, tb), loose)
    if any(len(t) == 1 for t in tb):
        return max(_initials_similarity(tb, ta), loose)
    wa, pa = _split_patronymic(ta)
    wb, pb = _split_patronymic(tb)
    if not wa or not wb:
        wa, pa, wb, pb = ta, [], tb, []
    short, long = (wa, wb) if len(wa) <= len(wb) else (wb, wa)
    sim, rest = _aligned_similarity(short, long)
    if sim < 0:
        return loose
    if rest:
        sim = min(sim, 80.0)  # an extra given name or surname on one side: weak evidence
    if pa and pb:
        p_sim = fuzz.ratio(pa[0], pb[0])
        if _different_words(pa[0], pb[0], p_sim):
            return loose
        sim = (sim * 3 + p_sim) / 4
    return sim


def _house(address: str) -> str | None:
    for tok in address.split():
        if tok[0].isdigit():
            return tok
    return None


def _address_similarity(a: str, b: str) -> float:
    """Token similarity of two normalised addresses, capped when the house numbers differ,
    because two offices on one street share most of their words."""
    if a == b:
        return 100.0
    sim = fuzz.token_sort_ratio(a, b)
    ha, hb = _house(a), _house(b)
    if ha is not None and hb is not None and ha != hb:
        sim = min(sim, 50.0)
    return sim


def _band(sim: float, f: Field) -> float:
    if sim >= f.hi:
        return f.agree
    if sim <= f.lo:
        return -f.disagree
    return -f.disagree + (f.agree + f.disagree) * (sim - f.lo) / (f.hi - f.lo)


def _mailbox(email: str) -> tuple[str, str]:
    local, _, domain = email.partition("@")
    return local, domain


# A comparator returns (log-odds contribution, detail); detail is a similarity 0-100 or a tag.
Comparator = Callable[[Any, Any], tuple[float, Any]]


def _comparator(f: Field) -> Comparator:
    """Build the comparison function for one field kind."""
    agree, disagree = f.agree, f.disagree

    if f.kind in ("inn", "ref", "category"):
        def cmp_exact(a: Any, b: Any) -> tuple[float, Any]:
            return (agree, 100.0) if a == b else (-disagree, 0.0)
        return cmp_exact

    if f.kind == "phone":
        landline = f.partial

        def cmp_phone(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[float, Any]:
            shared = set(a).intersection(b)
            if not shared:
                return -disagree, 0.0
            # A Russian landline (+7 not followed by 9) is often an office switchboard.
            if landline < 1.0 and all(p.startswith("+7") and not p.startswith("+79") for p in shared):
                return agree * landline, "landline"
            return agree, 100.0
        return cmp_phone

    if f.kind == "email":
        domain_share = f.partial

        def cmp_email(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[float, Any]:
            if len(a) == 1 and len(b) == 1 and a[0] != b[0]:
                la, _, da = a[0].partition("@")
                lb, _, db = b[0].partition("@")
                if da != db or da in _PUBLIC_DOMAINS:
                    return -disagree * 0.2, 0.0
                if domain_share > 0:
                    return agree * domain_share, "domain"
                if la not in _ROLE_MAILBOXES and lb not in _ROLE_MAILBOXES:
                    return -disagree, "other_mailbox"
                return 0.0, "domain"
            shared = [e for e in a if e in b]
            if shared:
                if all(e.partition("@")[0] in _ROLE_MAILBOXES for e in shared):
                    return agree * 0.35, "role"
                return agree, 100.0
            domains_b = {e.partition("@")[2]: e.partition("@")[0] for e in b}
            common = False
            personal = False
            for e in a:
                local, _, dom = e.partition("@")
                other = domains_b.get(dom)
                if other is None or dom in _PUBLIC_DOMAINS:
                    continue
                common = True
                if local not in _ROLE_MAILBOXES and other not in _ROLE_MAILBOXES:
                    personal = True
            if common:
                if domain_share > 0:
                    return agree * domain_share, "domain"
                if personal:
                    return -disagree, "other_mailbox"  # two personal boxes at one firm: two people
                return 0.0, "domain"
            return -disagree * 0.2, 0.0
        return cmp_email

    if f.kind == "company_name":
        def cmp_company(a: str, b: str) -> tuple[float, Any]:
            sim = name_similarity(a, b)
            return _band(sim, f), sim
        return cmp_company

    if f.kind == "person_name":
        def cmp_person(a: str, b: str) -> tuple[float, Any]:
            sim = person_similarity(a, b)
            return _band(sim, f), sim
        return cmp_person

    if f.kind == "text":
        def cmp_text(a: str, b: str) -> tuple[float, Any]:
            sim = 100.0 * JaroWinkler.normalized_similarity(a, b)
            return _band(sim, f), sim
        return cmp_text

    if f.kind == "address":
        def cmp_address(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[float, Any]:
            sim = max(_address_similarity(x, y) for x in a for y in b)
            return _band(sim, f), sim
        return cmp_address

    if f.kind == "legal_form":
        def cmp_form(a: str, b: str) -> tuple[float, Any]:
            if a == b:
                return agree, "same"
            fa, fb = LEGAL_FORM_FAMILY.get(a, a), LEGAL_FORM_FAMILY.get(b, b)
            if fa == fb:
                return 0.0, "family"
            return -disagree, "different"
        return cmp_form

    if f.kind in ("code", "date"):
        partial = f.partial
        is_date = f.kind == "date"

        def cmp_code(a: str, b: str) -> tuple[float, Any]:
            if a == b:
                return agree, 100.0
            if len(a) == len(b) and OSA.distance(a, b, score_cutoff=1) <= 1:
                return agree * partial, 50.0
            if is_date and len(a) == len(b) == 8 and a[:4] == b[:4] and a[4:6] == b[6:8] and a[6:8] == b[4:6]:
                return agree * partial, 50.0  # day and month swapped
            return -disagree, 0.0
        return cmp_code

    raise ValueError(f"unknown field kind {f.kind!r}")


# --- blocking keys ----------------------------------------------------------------------------


def _tokens(value: str) -> list[str]:
    """Distinct words worth a blocking key: no initials, no patronymics (Иванович says little)."""
    seen: list[str] = []
    for t in value.split():
        if len(t) >= 2 and t not in seen and not (len(t) > 5 and t.endswith(_PATRONYMIC_ENDINGS)):
            seen.append(t)
    return seen[:4]


def _block_keys(method: BlockMethod, length: int, value: Any, multi: bool) -> list[str]:
    """Blocking keys of one normalised value for one pass."""
    if value is None:
        return []
    if method == "exact":
        return list(value) if multi else [str(value)]
    values = list(value) if multi else [value]
    keys: list[str] = []
    for v in values:
        if method == "prefix":
            keys.append(v[:length])
            continue
        if method == "joined_prefix":  # "Green Red Robotics" and "GreenRedRobotics" meet here
            keys.append(v.replace(" ", "")[:length])
            continue
        toks = _tokens(v)
        if method == "token_prefix":
            keys.extend(t[:length] for t in toks)
            continue
        cut = (lambda t: t[:length]) if method == "name_pairs" else (lambda t: t[-length:])
        if len(toks) == 1:
            keys.append("1 " + cut(toks[0]))
        for i in range(len(toks)):
            for j in range(i + 1, len(toks)):
                x, y = cut(toks[i]), cut(toks[j])
                keys.append(f"{x} {y}" if x <= y else f"{y} {x}")
    return keys


def _crc(key: str) -> int:
    return zlib.crc32(key.encode("utf-8"))


def _sort_value(f: Field, value: Any) -> str:
    if value is None:
        return ""
    if f.multi:
        return str(value[0])
    if f.kind in ("company_name", "person_name", "text", "category"):
        return " ".join(sorted(str(value).split()))
    return str(value)


# --- the index ----------------------------------------------------------------------------


def _no_key(_values: tuple[Any, ...]) -> str:
    return ""


class SortedKeys(Sequence[str]):
    """Sort keys computed on demand from the stored values, so bisect works without keeping a
    million key strings in memory."""

    def __init__(self, values: list[tuple[Any, ...]], key: Callable[[tuple[Any, ...]], str],
                 ranks: array | None = None) -> None:
        self._values, self._key, self._ranks = values, key, ranks

    def __len__(self) -> int:
        return len(self._values)

    def __getitem__(self, i: int) -> str:  # type: ignore[override]
        pos = self._ranks[i] if self._ranks is not None else i
        return self._key(self._values[pos])


@dataclass
class Index:
    """Normalised records in sort order plus packed blocking arrays; built once, queried by check()."""

    ids: list[Hashable]
    values: list[tuple[Any, ...]]
    sort_keys: list[SortedKeys]  # per SortKey: keys in sorted order
    sort_ranks: list[array]  # per SortKey: record positions in that order (first is identity)
    entries: list[array]  # per BlockPass: sorted (crc << 32 | position)
    oversized: list[set[int]]  # per BlockPass: crcs of blocks larger than max_block
    key_start: list[array]  # per BlockPass: offset of each record's keys in key_all (n + 1)
    key_all: list[array]  # per BlockPass: every record's key crcs, back to back

    def __len__(self) -> int:
        return len(self.ids)

    def keys_of(self, p: int, pos: int) -> array:
        """All block key crcs of one record in pass p."""
        st = self.key_start[p]
        return self.key_all[p][st[pos]:st[pos + 1]]


# --- the matcher -----------------------------------------------------------------------------


class Matcher:
    """Finds likely duplicates among records described by a Schema."""

    def __init__(self, schema: Schema, thresholds: Thresholds = Thresholds()) -> None:
        self.schema = schema
        self.thresholds = thresholds
        fields = schema.fields
        self._slots = {f.name: i for i, f in enumerate(fields)}
        partner = {}
        for x, y in schema.swaps:
            partner[self._slots[x]] = self._slots[y]
        skip = set(partner.values())
        order = sorted((i for i in range(len(fields)) if i not in skip),
                       key=lambda i: -(fields[i].agree + (fields[partner[i]].agree if i in partner else 0.0)))
        self._plan: list[tuple[int, Field, Comparator, int, int, Comparator | None]] = []
        for i in order:
            j = partner.get(i, -1)
            alt_name = fields[i].alt_of
            self._plan.append((i, fields[i], _comparator(fields[i]),
                               self._slots[alt_name] if alt_name else -1,
                               j, _comparator(fields[j]) if j >= 0 else None))
        remaining = [0.0] * (len(order) + 1)
        for k in range(len(order) - 1, -1, -1):
            i, j = self._plan[k][0], self._plan[k][4]
            top = max(0.0, fields[i].agree) + (max(0.0, fields[j].agree) if j >= 0 else 0.0)
            remaining[k] = remaining[k + 1] + top
        self._remaining = remaining
        self._block_slots = [(self._slots[b.field], b) for b in schema.blocks]
        self._sort_slots = [[self._slots[n] for n in sk.fields] for sk in schema.sort_keys]
        self._name_slot = next((i for i, f in enumerate(fields)
                                if f.kind in ("company_name", "person_name")), -1)

    # -- normalisation --

    def prepare(self, record: dict[str, Any]) -> tuple[Any, ...]:
        """Normalised tuple of a record's fields, in schema order."""
        vals = [_normalise_value(f, record.get(f.name)) for f in self.schema.fields]
        for i, f in enumerate(self.schema.fields):
            # A legal form written inside the name counts when the form field is empty.
            if f.kind == "legal_form" and vals[i] is None:
                for g in self.schema.fields:
                    if g.kind == "company_name" and record.get(g.name):
                        vals[i] = normalise_company_name(str(record[g.name]))[1] or None
                        break
        return tuple(vals)

    def _sort_key(self, k: int, vals: tuple[Any, ...]) -> str:
        fields = self.schema.fields
        if self.schema.sort_keys[k].joined:
            return "".join(str(vals[s]).replace(" ", "") if vals[s] is not None else ""
                           for s in self._sort_slots[k])
        return " ".join(_sort_value(fields[s], vals[s]) for s in self._sort_slots[k])

    def _record_keys(self, p: int, vals: tuple[Any, ...]) -> list[int]:
        slot, bp = self._block_slots[p]
        f = self.schema.fields[slot]
        keys = _block_keys(bp.method, bp.length, vals[slot], f.multi)
        return sorted({_crc(k) for k in keys if k})

    # -- scoring --

    def _logit(self, score: float) -> float:
        score = min(max(score, 0.01), 99.99)
        return self.schema.offset + math.log(score / (100.0 - score))

    @staticmethod
    def _swap_parts(va: tuple[Any, ...], vb: tuple[Any, ...], i: int, j: int, cmp_i: Comparator,
                    cmp_j: Comparator) -> tuple[bool, list[tuple[int, tuple[float, Any]]]]:
        """Compare a swappable field pair both straight and crossed; keep the better reading."""
        straight: list[tuple[int, tuple[float, Any]]] = []
        if va[i] is not None and vb[i] is not None:
            straight.append((i, cmp_i(va[i], vb[i])))
        if va[j] is not None and vb[j] is not None:
            straight.append((j, cmp_j(va[j], vb[j])))
        crossed: list[tuple[int, tuple[float, Any]]] = []
        if va[i] is not None and vb[j] is not None:
            crossed.append((i, cmp_i(va[i], vb[j])))
        if va[j] is not None and vb[i] is not None:
            crossed.append((j, cmp_j(va[j], vb[i])))
        s_sum = sum(c[0] for _, c in straight)
        c_sum = sum(c[0] for _, c in crossed)
        if len(crossed) == 2 and c_sum > s_sum:
            return True, crossed
        return False, straight

    def _total(self, va: tuple[Any, ...], vb: tuple[Any, ...], need: float) -> float | None:
        """Summed log-odds, or None as soon as the pair cannot reach `need`."""
        total = 0.0
        remaining = self._remaining
        for k, (slot, _f, cmp, alt, slot2, cmp2) in enumerate(self._plan):
            if total + remaining[k] < need:
                return None
            if cmp2 is not None:
                total += sum(c[0] for _, c in self._swap_parts(va, vb, slot, slot2, cmp, cmp2)[1])
                continue
            a, b = va[slot], vb[slot]
            if a is None or b is None:
                continue
            if alt >= 0 and va[alt] is not None and vb[alt] is not None:
                continue
            total += cmp(a, b)[0]
        return total if total >= need else None

    def explain(self, va: tuple[Any, ...], vb: tuple[Any, ...]) -> tuple[float, list[str]]:
        """Score (0-100) of two normalised records and the reasons behind it, strongest first."""
        total = 0.0
        found: list[tuple[float, Reason]] = []
        name_sim = -1.0
        domain_hit = False
        fields = self.schema.fields
        for slot, f, cmp, alt, slot2, cmp2 in self._plan:
            if cmp2 is not None:
                swapped, parts = self._swap_parts(va, vb, slot, slot2, cmp, cmp2)
                for s, (contrib, detail) in parts:
                    total += contrib
                    reason = self._reason(fields[s], contrib, detail, va[s], vb[s])
                    if reason is not None:
                        found.append((abs(contrib), reason))
                if swapped:
                    found.append((0.0, Reason("fields_swapped", a=fields[slot].title,
                                              b=fields[slot2].title)))
                continue
            a, b = va[slot], vb[slot]
            if a is None or b is None:
                continue
            if alt >= 0 and va[alt] is not None and vb[alt] is not None:
                continue
            contrib, detail = cmp(a, b)
            total += contrib
            if slot == self._name_slot:
                name_sim = float(detail)
            if f.kind == "email" and detail == "domain":
                domain_hit = contrib > 0
                continue
            reason = self._reason(f, contrib, detail, a, b, slot == self._name_slot)
            if reason is not None:
                found.append((abs(contrib), reason))
        if domain_hit:
            code = "same_email_domain_similar_name" if name_sim >= 80 else "same_email_domain"
            found.append((2.0, Reason(code)))
        found.sort(key=lambda t: -t[0])
        z = total - self.schema.offset
        score = 100.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0
        return round(score, 2), [r for _, r in found]

    @staticmethod
    def _reason(f: Field, contrib: float, detail: Any, a: Any, b: Any,
                is_name: bool = False) -> Reason | None:
        """Reason for one field's contribution, or None when it says nothing useful."""
        if abs(contrib) < 0.25 and f.kind != "legal_form":
            return None
        k = f.kind
        if k == "inn":
            return Reason("same_inn") if contrib > 0 else Reason("different_inn")
        if k == "phone":
            if contrib > 0:
                return Reason("same_office_phone") if detail == "landline" else Reason("same_phone")
            return None
        if k == "email":
            if detail == "role":
                return Reason("same_shared_mailbox")
            if detail == "other_mailbox":
                return Reason("different_mailbox_same_domain")
            return Reason("same_email") if contrib > 0 else None
        if k in ("company_name", "person_name") and is_name:
            pct = int(detail)
            return Reason("name_similar", pct=pct) if contrib > 0 else Reason("name_different", pct=pct)
        if k == "legal_form":
            if detail == "same":
                return Reason("same_legal_form")
            if detail == "family":
                return Reason("compatible_legal_form", a=a, b=b)
            return Reason("different_legal_form", a=a, b=b)
        if k == "address":
            return Reason("address_similar", pct=int(detail)) if contrib > 0 else Reason("address_different")
        if contrib < 0:
            return Reason("field_different", field=f.title)
        if detail == 100.0:
            return Reason("field_same", field=f.title)
        if k in ("code", "date"):
            return Reason("field_close", field=f.title)
        return Reason("field_similar", field=f.title, pct=int(detail))

    def compare(self, a: dict[str, Any], b: dict[str, Any]) -> Candidate:
        """Score two raw records directly (no blocking): for previews and tests."""
        score, reasons = self.explain(self.prepare(a), self.prepare(b))
        return Candidate(a.get("id"), b.get("id"), score, reasons)

    # -- indexing --

    def index(self, records: Iterable[dict[str, Any]],
              progress: Callable[[float], None] | None = None) -> Index:
        """Normalise the base once and build the packed blocking arrays used by scan() and check()."""
        # A million new tuples would trigger the cyclic collector's full passes again and
        # again; nothing built here forms cycles, so pause it while building.
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return self._build_index(records, progress)
        finally:
            if was_enabled:
                gc.enable()

    def _build_index(self, records: Iterable[dict[str, Any]],
                     progress: Callable[[float], None] | None) -> Index:
        ids: list[Hashable] = []
        values: list[tuple[Any, ...]] = []
        for rec in records:
            ids.append(rec["id"])
            values.append(self.prepare(rec))
        if progress:
            progress(0.3)
        n = len(values)
        if self._sort_slots:
            keys0 = [self._sort_key(0, v) for v in values]
            order = sorted(range(n), key=keys0.__getitem__)
            del keys0
            ids = [ids[i] for i in order]
            values = [values[i] for i in order]
            del order
        sort_keys = [SortedKeys(values, partial(self._sort_key, 0) if self._sort_slots else _no_key)]
        sort_ranks = [array("I")]
        for k in range(1, len(self._sort_slots)):
            keys = [self._sort_key(k, v) for v in values]
            ranks = array("I", sorted(range(n), key=keys.__getitem__))
            del keys
            sort_ranks.append(ranks)
            sort_keys.append(SortedKeys(values, partial(self._sort_key, k), ranks))
        entries: list[array] = []
        oversized: list[set[int]] = []
        key_start: list[array] = []
        key_all: list[array] = []
        for p in range(len(self._block_slots)):
            starts = array("I", [0])
            flat = array("I")
            packed = array("Q")
            for pos, vals in enumerate(values):
                for h in self._record_keys(p, vals):
                    flat.append(h)
                    packed.append(h << 32 | pos)
                starts.append(len(flat))
            packed = array("Q", sorted(packed))
            big: set[int] = set()
            start, m = 0, len(packed)
            limit = self._block_slots[p][1].max_block or self.schema.max_block
            while start < m:
                h = packed[start] >> 32
                end = bisect_right(packed, h << 32 | _MASK32, start)
                if end - start > limit:
                    big.add(h)
                start = end
            entries.append(packed)
            oversized.append(big)
            key_start.append(starts)
            key_all.append(flat)
            if progress:
                progress(0.3 + 0.1 * (p + 1) / max(1, len(self._block_slots)))
        return Index(ids, values, sort_keys, sort_ranks, entries, oversized, key_start, key_all)

    # -- full scan --

    @staticmethod
    def _shares_earlier(idx: Index, p: int, h: int, a: int, b: int) -> bool:
        """True when pair (a, b) already met in an earlier, not oversized block."""
        starts, alls, bigs = idx.key_start, idx.key_all, idx.oversized
        for q in range(p + 1):
            st = starts[q]
            sa, ea = st[a], st[a + 1]
            if sa == ea:
                continue
            sb, eb = st[b], st[b + 1]
            if sb == eb:
                continue
            flat = alls[q]
            if ea - sa == 1 and eb - sb == 1:
                x = flat[sa]
                if x == flat[sb] and x not in bigs[q] and (q < p or x < h):
                    return True
                continue
            kb = flat[sb:eb]
            for i in range(sa, ea):
                x = flat[i]
                if x in kb and x not in bigs[q] and (q < p or x < h):
                    return True
        return False

    def _shares_any(self, idx: Index, a: int, b: int) -> bool:
        return self._shares_earlier(idx, len(idx.entries) - 1, 1 << 40, a, b)

    def _pairs(self, idx: Index, progress: Callable[[float], None] | None = None
               ) -> Iterator[tuple[int, int]]:
        """Every candidate pair the blocking passes and sorted-neighbourhood windows propose.

        A pair met in an earlier normal block is not proposed again; window pairs may repeat,
        so callers de-duplicate what they keep."""
        window = self.schema.window
        n_stages = len(idx.entries) + len(idx.sort_keys)
        shares_earlier, shares_any = self._shares_earlier, self._shares_any
        for p, packed in enumerate(idx.entries):
            big = idx.oversized[p]
            start, m = 0, len(packed)
            while start < m:
                h = packed[start] >> 32
                end = bisect_right(packed, h << 32 | _MASK32, start)
                if end - start > 1:
                    members = [e & _MASK32 for e in packed[start:end]]
                    if h in big:
                        for i in range(len(members)):
                            for j in range(i + 1, min(i + 1 + window, len(members))):
                                a, b = members[i], members[j]
                                if not shares_any(idx, a, b):
                                    yield a, b
                    else:
                        for i in range(len(members)):
                            a = members[i]
                            for j in range(i + 1, len(members)):
                                b = members[j]
                                if not shares_earlier(idx, p, h, a, b):
                                    yield a, b
                start = end
            if progress:
                progress(0.4 + 0.6 * (p + 1) / n_stages)
        n = len(idx.values)
        for k, sk in enumerate(self.schema.sort_keys):
            ranks = idx.sort_ranks[k]
            for i in range(n):
                a = ranks[i] if k else i
                for j in range(i + 1, min(i + 1 + sk.window, n)):
                    b = ranks[j] if k else j
                    if not shares_any(idx, a, b):
                        yield a, b
            if progress:
                progress(0.4 + 0.6 * (len(idx.entries) + k + 1) / n_stages)

    def scan(self, records: Iterable[dict[str, Any]] | Index,
             progress: Callable[[float], None] | None = None) -> list[Candidate]:
        """All pairs in the base scoring at least thresholds.review, best first."""
        idx = records if isinstance(records, Index) else self.index(records, progress)
        need = self._logit(self.thresholds.review)
        values = idx.values
        total = self._total
        found: dict[tuple[int, int], None] = {}
        for a, b in self._pairs(idx, progress):
            if a > b:
                a, b = b, a
            if (a, b) not in found and total(values[a], values[b], need) is not None:
                found[(a, b)] = None
        out: list[Candidate] = []
        for a, b in found:
            score, reasons = self.explain(values[a], values[b])
            out.append(Candidate(idx.ids[a], idx.ids[b], score, reasons))
        out.sort(key=lambda c: -c.score)
        return out

    # -- learning weights from the base itself --

    def _levels(self, va: tuple[Any, ...], vb: tuple[Any, ...]) -> tuple[int, ...]:
        """Agreement level per field: 2 agree, 1 partly, 0 disagree, -1 not comparable."""
        fields = self.schema.fields
        out = [-1] * len(fields)

        def level(f: Field, contrib: float) -> int:
            if contrib >= f.agree - 1e-9:
                return 2
            if contrib <= -f.disagree + 1e-9:
                return 0
            return 1

        for slot, f, cmp, alt, slot2, cmp2 in self._plan:
            if cmp2 is not None:
                for s, (contrib, _d) in self._swap_parts(va, vb, slot, slot2, cmp, cmp2)[1]:
                    out[s] = level(fields[s], contrib)
                continue
            a, b = va[slot], vb[slot]
            if a is None or b is None or (alt >= 0 and va[alt] is not None and vb[alt] is not None):
                continue
            out[slot] = level(f, cmp(a, b)[0])
        return tuple(out)

    def fit(self, records: Iterable[dict[str, Any]] | Index, max_pairs: int = 2_000_000,
            iterations: int = 100) -> Schema:
        """A copy of the schema whose weights and prior are estimated from the base itself by
        Fellegi-Sunter expectation-maximisation over the blocked pairs (no labels needed), so
        a score reads as the chance that a blocked pair is a true duplicate."""
        idx = records if isinstance(records, Index) else self.index(records)
        values = idx.values
        seen: set[tuple[int, int]] = set()
        patterns: dict[tuple[int, ...], int] = {}
        for a, b in self._pairs(idx):
            key = (a, b) if a < b else (b, a)
            if key in seen:
                continue
            seen.add(key)
            lv = self._levels(values[a], values[b])
            patterns[lv] = patterns.get(lv, 0) + 1
            if len(seen) >= max_pairs:
                break
        n_f = len(self.schema.fields)
        m = [[0.05, 0.15, 0.80] for _ in range(n_f)]
        u = [[0.80, 0.15, 0.05] for _ in range(n_f)]
        prior = 0.05
        items = list(patterns.items())
        for _ in range(iterations):
            m_acc = [[1e-6] * 3 for _ in range(n_f)]
            u_acc = [[1e-6] * 3 for _ in range(n_f)]
            g_sum = 0.0
            total = 0
            for lv, count in items:
                pm, pu = prior, 1.0 - prior
                for f_i, lvl in enumerate(lv):
                    if lvl >= 0:
                        pm *= m[f_i][lvl]
                        pu *= u[f_i][lvl]
                g = pm / (pm + pu) if pm + pu > 0 else 0.0
                g_sum += g * count
                total += count
                for f_i, lvl in enumerate(lv):
                    if lvl >= 0:
                        m_acc[f_i][lvl] += g * count
                        u_acc[f_i][lvl] += (1.0 - g) * count
            m = [[x / sum(row) for x in row] for row in m_acc]
            u = [[x / sum(row) for x in row] for row in u_acc]
            prior = min(max(g_sum / max(1, total), 1e-6), 0.5)
        fitted: list[Field] = []
        for f_i, f in enumerate(self.schema.fields):
            w = [max(-12.0, min(12.0, math.log(m[f_i][lv] / u[f_i][lv]))) for lv in range(3)]
            agree = max(0.0, w[2])
            disagree = max(0.0, -w[0])
            partial = min(1.0, max(0.0, w[1] / agree)) if agree > 0 else 0.0
            fitted.append(replace(f, agree=round(agree, 3), disagree=round(disagree, 3),
                                  partial=round(partial, 3) if f.kind in ("code", "date") else f.partial))
        offset = -math.log(prior / (1.0 - prior))
        return replace(self.schema, fields=tuple(fitted), offset=round(offset, 3))

    def cannot_link(self, index: Index, below: float = 1.0) -> Callable[[Hashable, Hashable], bool]:
        """Predicate for cluster(): True when two indexed records carry strong evidence against
        each other (their score is under `below`, e.g. different INNs)."""
        where = {rid: pos for pos, rid in enumerate(index.ids)}
        values = index.values

        def conflict(a: Hashable, b: Hashable) -> bool:
            pa, pb = where.get(a), where.get(b)
            if pa is None or pb is None:
                return False
            return self.explain(values[pa], values[pb])[0] < below
        return conflict

    # -- one record against the base --

    def check(self, record: dict[str, Any], index: Index) -> list[Candidate]:
        """Existing records that look like `record`, best first; costs a few block look-ups."""
        vals = self.prepare(record)
        rid = record.get("id")
        need = self._logit(self.thresholds.review)
        seen: set[int] = set()
        window = self.schema.window
        pos0 = bisect_left(index.sort_keys[0], self._sort_key(0, vals)) if self._sort_slots else 0
        for p, packed in enumerate(index.entries):
            for h in self._record_keys(p, vals):
                lo = bisect_left(packed, h << 32)
                hi = bisect_right(packed, h << 32 | _MASK32, lo)
                if h not in index.oversized[p]:
                    seen.update(e & _MASK32 for e in packed[lo:hi])
                else:  # walk the neighbours of the record's place in sort order
                    mid = bisect_left(packed, h << 32 | pos0, lo, hi)
                    seen.update(e & _MASK32 for e in packed[max(lo, mid - window):min(hi, mid + window)])
        for k, sk in enumerate(self.schema.sort_keys):
            keys = index.sort_keys[k]
            mid = pos0 if k == 0 else bisect_left(keys, self._sort_key(k, vals))
            for j in range(max(0, mid - sk.window), min(len(keys), mid + sk.window)):
                seen.add(index.sort_ranks[k][j] if k else j)
        out: list[Candidate] = []
        for pos in seen:
            if rid is not None and index.ids[pos] == rid:
                continue
            if self._total(vals, index.values[pos], need) is None:
                continue
            score, reasons = self.explain(vals, index.values[pos])
            out.append(Candidate(rid, index.ids[pos], score, reasons))
        out.sort(key=lambda c: -c.score)
        return out


# --- clustering -----------------------------------------------------------------------------


def cluster(candidates: Sequence[Candidate], threshold: float, max_size: int = 50,
            min_link: float = 0.5,
            cannot_link: Callable[[Hashable, Hashable], bool] | None = None) -> list[list[Hashable]]:
    """Group records linked by pairs above `threshold`, joining two groups only when at least
    `min_link` of their cross pairs are candidates and no cross pair is a `cannot_link` (e.g. two
    different INNs), so one weak link cannot chain a giant cluster."""
    edges = sorted((c for c in candidates if c.score >= threshold), key=lambda c: -c.score)
    parent: dict[Hashable, Hashable] = {}
    members: dict[Hashable, list[Hashable]] = {}
    adj: dict[Hashable, set[Hashable]] = {}
    for c in edges:
        adj.setdefault(c.a_id, set()).add(c.b_id)
        adj.setdefault(c.b_id, set()).add(c.a_id)

    def find(x: Hashable) -> Hashable:
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(x, x) != root:
            parent[x], x = root, parent[x]
        return root

    for c in edges:
        ra, rb = find(c.a_id), find(c.b_id)
        if ra == rb:
            continue
        ma, mb = members.get(ra, [ra]), members.get(rb, [rb])
        if len(ma) + len(mb) > max_size:
            continue
        if len(ma) > 1 or len(mb) > 1:
            small, other = (ma, set(mb)) if len(ma) <= len(mb) else (mb, set(ma))
            links = sum(len(adj[x] & other) for x in small)
            if links < min_link * len(ma) * len(mb):
                continue
        if cannot_link is not None and any(cannot_link(x, y) for x in ma for y in mb):
            continue
        if len(ma) < len(mb):
            ra, rb, ma, mb = rb, ra, mb, ma
        parent[rb] = ra
        members[ra] = ma + mb
        members.pop(rb, None)
    groups = [m for r, m in members.items() if len(m) > 1 and find(r) == r]
    groups.sort(key=len, reverse=True)
    return groups
