"""Blocking keys and the packed in-memory index the matcher scans and queries."""

from __future__ import annotations

import zlib
from array import array
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from .compare import _PATRONYMIC_ENDINGS
from .names import QUALIFIER, main_part
from .spec import BlockMethod, Field

_MASK32 = 0xFFFFFFFF  # low half of a packed (crc << 32 | position) entry


# --- blocking keys ----------------------------------------------------------------------------


def _tokens(value: str) -> list[str]:
    """Distinct words worth a blocking key: no initials, no patronymics (Иванович says little)."""
    seen: list[str] = []
    for t in value.split():
        if t.startswith(QUALIFIER):
            continue  # a city or branch says nothing about which firm
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
            keys.append(main_part(v).replace(" ", "")[:length])
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
    spans: list[array]  # per BlockPass: (start, end) in entries of each block of two or more, back to back
    tf: Any = None  # TermFrequency of the base's company-name words

    ARRAYS: ClassVar[tuple[str, ...]] = ("sort_ranks", "entries", "key_start", "key_all", "spans")  # state()'s lists of arrays

    def blocks(self, p: int) -> Iterator[tuple[int, int, int]]:
        """(key crc, start, end) of every block of pass p with two or more records."""
        packed, spans = self.entries[p], self.spans[p]
        for k in range(0, len(spans), 2):
            start = spans[k]
            yield packed[start] >> 32, start, spans[k + 1]

    def __len__(self) -> int:
        return len(self.ids)

    def state(self) -> dict[str, Any]:
        """The index as plain data (no functions) for another process: Matcher.restore() reads it."""
        return {"ids": self.ids, "values": self.values, "sort_ranks": self.sort_ranks,
                "entries": self.entries, "oversized": self.oversized, "key_start": self.key_start,
                "key_all": self.key_all, "tf": self.tf, "spans": self.spans}

    def keys_of(self, p: int, pos: int) -> array:
        """All block key crcs of one record in pass p."""
        st = self.key_start[p]
        return self.key_all[p][st[pos]:st[pos + 1]]
