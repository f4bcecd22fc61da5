"""The shapes the engine works with: field, blocking and schema specs, thresholds, candidates."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Literal

FieldKind = Literal[
    "inn", "phone", "email", "company_name", "person_name", "legal_form", "address",
    "text", "code", "date", "category", "ref",
]
BlockMethod = Literal["exact", "name_pairs", "name_suffix_pairs", "prefix", "joined_prefix",
                      "token_prefix"]

# Mailboxes shared by a whole office: a match on them says "same company", not "same person".
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

    @property
    def band(self) -> str:
        """"likely" when evidence besides the name agrees; "possible" when only the name does."""
        from .engine import band_of

        return band_of(self.reasons)

    def is_strong(self, thresholds: Thresholds = Thresholds()) -> bool:
        """True when the pair clears the auto-merge threshold; a name-only pair never does."""
        return self.score >= thresholds.strong and self.band == "likely"
