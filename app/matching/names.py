"""How company names differ while naming one firm: qualifiers, descriptors, abbreviations, acronyms,
containment and common words, so the comparison can say why two names are one ("one contains the other").

A stored company name is its folded core words, then its qualifier words each marked with "~"
(a city or branch in parentheses, a second name after a dash): "joes delikatesen ~dauntaun".
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

from rapidfuzz import fuzz

from .normalize import normalise_company_name, normalise_text, translit

QUALIFIER = "~"

# Short forms people type for a word or phrase; both sides fold onto the short form.
_ABBREVIATIONS: tuple[tuple[str, str], ...] = (
    (r"delicatessen|delikatessen|деликатесы", "deli"),
    (r"international|internationale|интернешнл|интернэшнл|интернейшнл", "intl"),
    (r"manufacturing", "mfg"), (r"brothers", "bros"), (r"associates", "assoc"),
    (r"national", "natl"), (r"university", "univ"), (r"institute", "inst"),
    (r"technologies|technology|technologie", "tech"), (r"services", "svcs"), (r"service", "svc"),
    (r"department", "dept"), (r"saint", "st"), (r"mountain", "mtn"), (r"center|centre", "ctr"),
    (r"торговый дом", "тд"), (r"группа компаний", "гк"),
    (r"научно производственн\w* предприяти\w*", "нпп"),
    (r"научно производственн\w* объединени\w*", "нпо"),
    (r"производственно коммерческ\w* фирм\w*", "пкф"),
    (r"строительн\w* компани\w*", "ск"), (r"транспортн\w* компани\w*", "тк"),
)
_ABBREVIATION_RES = tuple((re.compile(rf"(?<!\w)(?:{p})(?!\w)"), short) for p, short in _ABBREVIATIONS)

# Words that describe the kind of place, not which firm: they weigh little when added or dropped.
_DESCRIPTOR_WORDS = (
    "the restaurant restaurants cafe caffe coffee bar grill bistro pizzeria pub diner eatery kitchen "
    "hotel inn shop store boutique market group groups holding holdings гк office branch "
    "ресторан кафе кофейня бар гриль бистро пиццерия столовая магазин салон отель гостиница "
    "группа холдинг филиал офис"
).split()
# Words so common in firm names that sharing them says little, and adding them changes little.
_GENERIC_WORDS = (
    "сервис трейд торг снаб строй пром техно систем системы компания фирма "
    "service svc svcs trade trading systems system company solutions consulting enterprises "
    "industries industry partners products"
).split()
# Added words that do make another firm («Альфа» / «Альфа Плюс», «Завод №5» / «Завод №7»).
_DISTINGUISHING_WORDS = "плюс plus про pro нова new нью юг север восток запад 2 м".split()


def _folded(words: Iterable[str]) -> frozenset[str]:
    return frozenset(w for word in words for w in translit(word).split())


DESCRIPTORS = _folded(_DESCRIPTOR_WORDS)
GENERIC = _folded(_GENERIC_WORDS)
DISTINGUISHING = _folded(_DISTINGUISHING_WORDS)

_PARENS = re.compile(r"\(([^)]*)\)?")
_DASH_SPLIT = re.compile(r"\s+[-–—]+\s+|\s*[–—]\s*")
_LETTER_RUN = re.compile(r"(?<!\w)((?:\w ){1,}\w)(?!\w)")
_DIGIT = re.compile(r"\d")


def _fold_abbreviations(text: str) -> str:
    """Normalised text with every long form replaced by its short form."""
    for rx, short in _ABBREVIATION_RES:
        if rx.search(text):
            text = rx.sub(short, text)
    return text


def _join_letter_runs(text: str) -> str:
    """ "d s m" -> "dsm": spaced acronyms become one word (a lone letter stays a suffix)."""
    return _LETTER_RUN.sub(lambda m: m.group(1).replace(" ", ""), text)


def _words(text: str) -> list[str]:
    return translit(_join_letter_runs(_fold_abbreviations(normalise_text(text)))).split()


@lru_cache(maxsize=200_000)
def company_name_key(raw: str) -> str:
    """The stored, folded form of a company name: core words, then "~"-marked qualifier words."""
    text = str(raw)
    qualifiers = [q for q in _PARENS.findall(text) if q.strip()]
    text = _PARENS.sub(" ", text)
    parts = _DASH_SPLIT.split(text, maxsplit=1)
    if len(parts) == 2 and parts[0].strip() and parts[1].strip():
        text = parts[0]
        qualifiers.insert(0, parts[1])
    core = normalise_company_name(text)[0]
    words = _words(core)
    if not words:  # the name was only a qualifier: keep it as the name
        words, qualifiers = [w for q in qualifiers for w in _words(normalise_company_name(q)[0])], []
    marked = [QUALIFIER + w for q in qualifiers for w in _words(normalise_company_name(q)[0])]
    return " ".join(words + [m for m in marked if m[1:] not in words])


def main_words(value: str) -> list[str]:
    """The name's words without its qualifiers."""
    return [w for w in value.split() if not w.startswith(QUALIFIER)]


def main_part(value: str) -> str:
    """The name without its qualifiers, as one string."""
    return " ".join(main_words(value)) if QUALIFIER in value else value


class TermFrequency:
    """How many names of the base hold each word; filled when the base is indexed."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.names: Counter[str] = Counter()
        self.total = 0

    def add(self, value: str | None) -> None:
        """Count the distinct main words of one name."""
        if value:
            self.total += 1
            self.counts.update(set(main_words(value)))
            self.names[main_part(value)] += 1

    def common_name(self, words: list[str]) -> bool:
        """A whole name many records of the base bear (the same name on many unrelated firms)."""
        return self.total >= 500 and self.names.get(" ".join(words), 0) >= max(5, self.total // 1000)

    def common(self, word: str) -> bool:
        """A word many firms share («Сервис», "systems"): it identifies nobody."""
        if word in GENERIC:
            return True
        return self.total >= 500 and self.counts.get(word, 0) >= max(20, self.total // 100)

    def very_common(self, word: str) -> bool:
        """A word in one name out of twenty or more: adding or dropping it barely changes the firm."""
        if word in GENERIC:
            return True
        return self.total >= 500 and self.counts.get(word, 0) >= self.total // 20

    def rare(self, word: str) -> bool:
        """A word only a handful of names hold: agreeing on it says a lot."""
        return self.total >= 500 and self.counts.get(word, 0) <= 3


NO_TERM_FREQUENCY = TermFrequency()


def _light(word: str, tf: TermFrequency) -> bool:
    """A word whose presence or absence barely changes which firm is meant."""
    return (word in DESCRIPTORS or tf.very_common(word)) and word not in DISTINGUISHING and not _DIGIT.search(word)


def _same_word(x: str, y: str) -> bool:
    return x == y or (len(x) >= 5 and len(y) >= 5 and x[0] == y[0] and fuzz.ratio(x, y) >= 88.0)


def _covers(small: list[str], big: list[str]) -> list[str] | None:
    """The words of `big` left over once each word of `small` found its match, or None."""
    rest = list(big)
    for w in small:
        k = next((i for i, r in enumerate(rest) if _same_word(w, r)), -1)
        if k < 0:
            return None
        rest.pop(k)
    return rest


def _acronym(short: list[str], long: list[str]) -> bool:
    """ "ibm" against "international business machines" (light words may be skipped)."""
    if len(short) != 1 or len(short[0]) < 3 or len(long) < 3:
        return False
    word = short[0]
    initials = "".join(w[0] for w in long)
    heavy = "".join(w[0] for w in long if w not in DESCRIPTORS)
    return word in (initials, heavy)


def compare_names(a: str, b: str, tf: TermFrequency = NO_TERM_FREQUENCY,
                  strict: float | None = None) -> tuple[float, str]:
    """(similarity 0-100, how) of two stored company names; `how` names the kind of agreement
    ("same", "core", "contains", "acronym", "fuzzy", "common_only") for the reasons."""
    from .compare import name_similarity

    if a == b:
        return 100.0, ("common_only" if _only_common(main_words(a), tf) else "same")
    ma, mb = main_words(a), main_words(b)
    base = name_similarity(" ".join(ma), " ".join(mb)) if strict is None else strict
    if ma == mb or sorted(ma) == sorted(mb):
        return 96.0, "core"  # only a qualifier (city, branch, second name) differs
    ca = [w for w in ma if not _light(w, tf)] or ma
    cb = [w for w in mb if not _light(w, tf)] or mb
    # Light words may be added or dropped, not swapped for others («Кристалл Снаб» is not «Кристалл Бетон»).
    xa = {w for w in ma if w not in ca and w not in DESCRIPTORS}
    xb = {w for w in mb if w not in cb and w not in DESCRIPTORS}
    added_only = xa <= xb or xb <= xa
    if added_only and ca and sorted(ca) == sorted(cb) and any(w not in DESCRIPTORS for w in ca):
        sim = 94.0 if not _only_common(ca, tf) else 90.0
        return max(base, sim), "core"  # descriptor or common words added or dropped
    if len(ca) == len(cb) and len(ca) > 1:
        fuzzy = name_similarity(" ".join(ca), " ".join(cb))
        if fuzzy >= 90.0 and fuzzy > base:
            return fuzzy - 2.0, "core"
    short, long = (ma, mb) if len(ma) <= len(mb) else (mb, ma)
    if len(short) < len(long) and sum(len(w) for w in short) >= 4:
        extra = _covers(short, long)
        if extra is not None and not any(_DIGIT.search(w) for w in extra):
            if all(_light(w, tf) for w in extra):
                return max(base, 92.0), "contains"
            if not any(w in DISTINGUISHING or len(w) == 1 for w in extra):
                return max(base, 80.0), "contains"  # a word more: only other evidence can confirm
    if _acronym(short, long) or _acronym(long, short):
        return max(base, 88.0), "acronym"
    return base, "fuzzy"


def _only_common(words: list[str], tf: TermFrequency) -> bool:
    """The name is made only of generic words («Сервис Трейд»); a whole name borne by many records is
    not down-weighted, because one firm's own copies make its name frequent."""
    return bool(words) and all(w in GENERIC or w in DESCRIPTORS for w in words)
