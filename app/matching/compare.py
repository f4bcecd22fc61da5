"""Per-field normalisation and comparison: similarities for names, people and addresses, and
the comparators that turn them into log-odds contributions."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA, JaroWinkler

from .normalize import (
    LEGAL_FORM_FAMILY,
    canonical_legal_form,
    normalise_address,
    normalise_email,
    normalise_inn,
    normalise_person_name,
    normalise_phone,
    normalise_text,
    translit,
)
from .names import NO_TERM_FREQUENCY, TermFrequency, compare_names, company_name_key
from .spec import Field

# Legal forms of firms registered abroad: a Dutch B.V., a US Inc. and a Russian ООО bearing one
# name are usually one group's entities in several countries.
GROUP_FAMILIES = frozenset({"us_corp", "GMBH", "AG", "KG", "BV", "NV", "SA", "SARL", "SRL", "SPA", "PLC",
                            "OY", "AB"})

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


# --- value normalisation per kind ------------------------------------------------------------


def _as_list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple, set, frozenset)):
        return [v for v in value if v not in (None, "")]
    return [value]


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
        return sys.intern(company_name_key(str(value))) or None
    if kind == "person_name":
        return normalise_person_name(str(value)) or None
    if kind == "legal_form":
        return sys.intern(canonical_legal_form(str(value))) or None
    if kind == "text":
        return _text_value(str(value))
    if kind == "category":
        return _category_value(str(value))
    if kind in ("code", "date"):
        return "".join(ch for ch in str(value) if ch.isalnum()).lower() or None
    return sys.intern(str(value))  # ref: few distinct values (company ids)


@lru_cache(maxsize=1 << 14)
def _text_value(value: str) -> str | None:
    """A short free text (a position) folded once: a base repeats a few thousand of them."""
    return sys.intern(normalise_text(value)) or None


@lru_cache(maxsize=1 << 14)
def _category_value(value: str) -> str | None:
    """A category (a city) folded once: a base repeats a few thousand of them."""
    return sys.intern(translit(value)) or None


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


def _letters(words: list[str]) -> str:
    """The words' letters (and the spaces between them) in sorted order: fuzz.ratio of two of these bounds
    fuzz.ratio of the words in any order from above, since a common subsequence uses each letter once."""
    return "".join(sorted(" ".join(words)))


@lru_cache(maxsize=1 << 16)
def _person_parts(name: str) -> tuple[list[str], bool, list[str], list[str], str, str, str]:
    """A folded person name taken apart once (a scan meets each name in many pairs, its block's neighbours
    in a row): tokens, whether one is an initial, name and patronymic words, and the sorted letters of the
    name words, of all tokens and of the first patronymic."""
    tokens = name.split()
    words, patr = _split_patronymic(tokens)
    return (tokens, any(len(t) == 1 for t in tokens), words, patr, _letters(words), _letters(tokens),
            _letters(patr[:1]))


def person_similarity(a: str, b: str, cutoff: float = 0.0) -> float:
    """Similarity (0-100) of two folded person names: order-free, patronymic-optional,
    initials-aware, and low whenever one word has no counterpart (Инна vs Ирина). A result under
    `cutoff` may be only an upper bound of the similarity, found sooner (a scan needs no more)."""
    if a == b:
        return 100.0
    quick = fuzz.token_set_ratio(a, b)
    if quick < 55.0:  # no word in common and little alike: most pairs a block offers end here
        return quick
    ta, initial_a, wa, pa, letters_a, all_a, p_letters_a = _person_parts(a)
    tb, initial_b, wb, pb, letters_b, all_b, p_letters_b = _person_parts(b)
    if not ta or not tb:
        return 0.0
    if initial_a or initial_b:
        if cutoff > 95.0:
            return 95.0  # the initials' reading is capped there, the loose one lower
        loose = min(65.0, fuzz.token_sort_ratio(a, b))
        if initial_a:
            return max(_initials_similarity(ta, tb), loose)
        return max(_initials_similarity(tb, ta), loose)
    if not wa or not wb:
        wa, pa, wb, pb, letters_a, letters_b = ta, [], tb, [], all_a, all_b
    if cutoff > 65.0:  # what follows is at most this, from the letters alone
        top = 80.0 if len(wa) != len(wb) else fuzz.ratio(letters_a, letters_b)
        if pa and pb:
            top = (top * 3 + fuzz.ratio(p_letters_a, p_letters_b)) / 4
        if top < cutoff:
            return top
    loose = min(65.0, fuzz.token_sort_ratio(a, b))
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


def _needed_similarity(contribution: float, f: Field) -> float:
    """The least similarity whose band reaches `contribution` (a hair lower, so rounding never refuses
    a pair the band would take)."""
    if contribution <= -f.disagree:
        return 0.0
    if contribution > f.agree:
        return 101.0
    return f.lo + (contribution + f.disagree) * (f.hi - f.lo) / (f.agree + f.disagree) - 1e-6


def _mailbox(email: str) -> tuple[str, str]:
    local, _, domain = email.partition("@")
    return local, domain


# A comparator returns (log-odds contribution, detail); detail is a similarity 0-100 or a tag.
Comparator = Callable[[Any, Any], tuple[float, Any]]


class NameDetail(float):
    """A name similarity that also says how the names agree ("contains", "core", "acronym" ...)."""

    how: str

    def __new__(cls, sim: float, how: str) -> NameDetail:
        obj = super().__new__(cls, sim)
        obj.how = how
        return obj

    def __reduce__(self) -> tuple[Any, ...]:
        return NameDetail, (float(self), self.how)


def _comparator(f: Field, tf: TermFrequency | None = None) -> Comparator:
    """Build the comparison function for one field kind; names consult the base's word counts."""
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
        freq = tf or NO_TERM_FREQUENCY

        def cmp_company(a: str, b: str) -> tuple[float, Any]:
            sim, how = compare_names(a, b, freq)
            contrib = _band(sim, f)
            if how == "common_only":
                contrib *= 0.6  # «Сервис Трейд» twice says little about which firm it is
            elif how == "same" and contrib > 0 and any(freq.rare(w) for w in a.split()):
                contrib += 1.0  # a rare name agreeing says a lot
            return contrib, NameDetail(sim, how)
        return cmp_company

    if f.kind == "person_name":
        def cmp_person(a: str, b: str, at_least: float | None = None) -> tuple[float, Any]:
            """With `at_least`, a contribution under it may be only an upper bound (see person_similarity)."""
            sim = person_similarity(a, b, _needed_similarity(at_least, f) if at_least is not None else 0.0)
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
            if fa in GROUP_FAMILIES or fb in GROUP_FAMILIES:
                return -0.1, "group"  # one group's entities in several countries: a reviewer decides
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
