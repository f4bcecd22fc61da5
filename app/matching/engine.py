"""Schema-driven duplicate matcher: multi-pass blocking, log-odds scoring with reasons, clustering.

A record is a dict with an "id" and the schema's fields. The engine keeps only normalised
values (one tuple per record) and packed integer block arrays, so a million contacts fit in
well under 2 GB, and a full scan costs about (records x small constant) comparisons.
"""

from __future__ import annotations

import gc
import math
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import replace
from functools import lru_cache, partial
from typing import Any

from .blocking import (
    _MASK32,
    Index,
    SortedKeys,
    _block_keys,
    _crc,
    _no_key,
    _sort_value,
)
from .compare import Comparator, _comparator, _normalise_value
from .names import TermFrequency, main_part
from .grouping import cluster
from .normalize import (
    normalise_company_name,
)
from .reasons import Reason
from .spec import (
    BlockMethod,
    BlockPass,
    Candidate,
    Field,
    FieldKind,
    Schema,
    SortKey,
    Thresholds,
)

__all__ = [
    "BlockMethod", "BlockPass", "Candidate", "Field", "FieldKind", "Index", "Matcher", "Schema",
    "SortKey", "Thresholds", "cluster", "merge_shards",
]

# --- the matcher -----------------------------------------------------------------------------


def merge_shards(parts: Iterable[Iterable[Candidate]]) -> list[Candidate]:
    """One result from the shards of a scan: a pair proposed by several shards (window pairs,
    records in blocks of several shards) counts once; best first, ties in id order, so the
    order does not depend on how the work was split."""
    found: dict[tuple[Hashable, Hashable], Candidate] = {}
    for part in parts:
        for c in part:
            found.setdefault((c.a_id, c.b_id), c)
    return sorted(found.values(), key=lambda c: (-c.score, c.a_id, c.b_id))

PREMISES_BONUS = 1.5  # log-odds added when phone and address both agree
# Reasons that are evidence besides the name; a pair with none of them is only "possible".
EVIDENCE_CODES = frozenset({
    "same_inn", "same_phone", "same_office_phone", "same_email", "same_shared_mailbox",
    "same_email_domain", "same_email_domain_similar_name", "address_similar", "same_phone_and_address",
    "field_same", "field_similar", "field_close",
})


def band_of(reasons: Iterable[Any]) -> str:
    """"likely" when something besides the name agrees, else "possible" (never merged automatically)."""
    return "likely" if any(getattr(r, "code", None) in EVIDENCE_CODES for r in reasons) else "possible"


COSTLY = frozenset({"person_name", "company_name", "address", "text"})  # compared after the cheap fields
BOUNDED = frozenset({"person_name"})  # comparators told the least contribution that still counts
LEADERS = 6  # group leaders remembered while walking one oversized block
KEYS_CACHED = 1 << 14  # records whose block keys _pairs() keeps at hand
IDENTIFYING = 4.0    # a field the hand weights trust at least this much identifies a record (INN, name, email, phone)
LOST_EVIDENCE = 1.0  # ... and a fit that leaves it less than this is refused (see Matcher.fit) ...
SHARED_MARGIN = 3.0  # ... when a field records share comes within this of the heaviest identifying field
CONVERGED = 1e-6     # EM stops once no m or u probability moves more than this in an iteration


def _lead(leaders: list[int], member: int, accept: Callable[[int, int], bool]) -> tuple[int | None, list[int]]:
    """Join `member` to the most recent leader it matches, else make it a leader; returns that leader (or
    None) and the leaders compared with it, so the block's window need not compare those again."""
    asked: list[int] = []
    for k in range(len(leaders) - 1, -1, -1):
        leader = leaders[k]
        asked.append(leader)
        if accept(member, leader):
            leaders.append(leaders.pop(k))  # the busiest groups stay remembered
            return leader, asked
    leaders.append(member)
    if len(leaders) > LEADERS:
        leaders.pop(0)
    return None, asked


class _TermFrequencyRef:
    """The word counts the name comparators consult: those of the index being scanned."""

    def __init__(self) -> None:
        self.current = TermFrequency()

    def common(self, word: str) -> bool:
        return self.current.common(word)

    def very_common(self, word: str) -> bool:
        return self.current.very_common(word)

    def common_name(self, words: list[str]) -> bool:
        return self.current.common_name(words)

    def rare(self, word: str) -> bool:
        return self.current.rare(word)

    def use(self, tf: TermFrequency | None) -> None:
        """Switch to an index's counts unless they are thinner than those in use."""
        if tf is not None and tf.total >= self.current.total:
            self.current = tf


class Matcher:
    """Finds likely duplicates among records described by a Schema."""

    def __init__(self, schema: Schema, thresholds: Thresholds = Thresholds()) -> None:
        self.schema = schema
        self.thresholds = thresholds
        self._tf = _TermFrequencyRef()
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
            self._plan.append((i, fields[i], _comparator(fields[i], self._tf),
                               self._slots[alt_name] if alt_name else -1,
                               j, _comparator(fields[j], self._tf) if j >= 0 else None))
        # _levels() walks the plan with each field's weights at hand
        self._level_plan = [(i, cmp, alt, j, cmp2, f.agree, f.disagree,
                             fields[j].agree if j >= 0 else 0.0, fields[j].disagree if j >= 0 else 0.0)
                            for i, f, cmp, alt, j, cmp2 in self._plan]
        # _total() sums the cheap comparisons first, then plain text, then names and addresses, the heaviest
        # last: it is told how much it must still bring, and a person name that cannot bring it is refused from
        # its letters alone. Plain text (one Jaro-Winkler) goes heaviest first by the weight of one comparison
        # (a swappable pair may take four), so a pair that disagrees there is refused soonest.
        def step_order(entry: tuple) -> tuple[bool, bool, float]:
            weight = entry[1].agree + (fields[entry[4]].agree if entry[4] >= 0 else 0.0)
            if entry[1].kind not in COSTLY:
                return False, False, -weight
            if entry[1].kind == "text":
                return True, False, -weight / (4 if entry[4] >= 0 else 1)
            return True, True, weight

        score_plan = sorted(self._plan, key=step_order)
        remaining = self._tops(score_plan)
        # Phone and street address agreeing together say "same premises": more than the sum.
        phone = next((i for i, f in enumerate(fields) if f.kind == "phone"), -1)
        address = next((i for i, f in enumerate(fields) if f.kind == "address"), -1)
        self._premises = (phone, address) if phone >= 0 and address >= 0 else None
        tops = [r + (PREMISES_BONUS if self._premises else 0.0) for r in remaining]
        # one tuple per step of _total(): what it compares, and the most the steps from there and after it add
        self._steps = [(slot, cmp, alt, slot2, cmp2, f.kind in BOUNDED and cmp2 is None, tops[k], tops[k + 1],
                        slot in (self._premises or ()))
                       for k, (slot, f, cmp, alt, slot2, cmp2) in enumerate(score_plan)]
        self._total = self._compile_total()
        self._block_slots = [(self._slots[b.field], b) for b in schema.blocks]
        self._sort_slots = [[self._slots[n] for n in sk.fields] for sk in schema.sort_keys]
        self._name_slot = next((i for i, f in enumerate(fields)
                                if f.kind in ("company_name", "person_name")), -1)

    def _tops(self, plan: list) -> list[float]:
        """For each step of a plan, the most log-odds the steps from there on can still add."""
        fields = self.schema.fields
        remaining = [0.0] * (len(plan) + 1)
        for k in range(len(plan) - 1, -1, -1):
            i, j = plan[k][0], plan[k][4]
            top = max(0.0, fields[i].agree) + (max(0.0, fields[j].agree) if j >= 0 else 0.0)
            remaining[k] = remaining[k + 1] + top
        return remaining

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
            return "".join(main_part(str(vals[s])).replace(" ", "") if vals[s] is not None else ""
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

    @staticmethod
    def _swap_sum(va: tuple[Any, ...], vb: tuple[Any, ...], i: int, j: int, cmp_i: Comparator, cmp_j: Comparator,
                  most: float) -> float:
        """What _swap_parts() adds up, sooner: the crossed reading is not tried when the straight one already
        brings `most`, all the two fields can."""
        ai, aj, bi, bj = va[i], va[j], vb[i], vb[j]
        straight = 0.0
        if ai is not None and bi is not None:
            straight += cmp_i(ai, bi)[0]
        if aj is not None and bj is not None:
            straight += cmp_j(aj, bj)[0]
        if straight < most and ai is not None and bj is not None and aj is not None and bi is not None:
            crossed = cmp_i(ai, bj)[0] + cmp_j(aj, bi)[0]
            if crossed > straight:
                return crossed
        return straight

    def _compile_total(self) -> Callable[[tuple[Any, ...], tuple[Any, ...], float], float | None]:
        """_total(va, vb, need): the summed log-odds, or None as soon as the pair cannot reach `need`, written
        out for this schema, one block per step with its slots, weights and comparators as constants: the scan
        calls it for every proposed pair, and a loop over the steps spent more in its own bookkeeping than in the
        comparisons."""
        lines = ["def quick_total(va, vb, need):", "    total = 0.0", "    together = 0"]
        env: dict[str, Any] = {"swap_sum": self._swap_sum}
        for k, (slot, cmp, alt, slot2, cmp2, bounded, top, top_after, premise) in enumerate(self._steps):
            env[f"compare_{k}"], env[f"swapped_{k}"] = cmp, cmp2
            lines.append(f"    if total + {top!r} < need:")
            lines.append("        return None")
            if cmp2 is not None:
                lines.append(f"    total += swap_sum(va, vb, {slot}, {slot2}, compare_{k}, swapped_{k}, {top - top_after!r})")
                continue
            lines.append(f"    a = va[{slot}]")
            lines.append(f"    b = vb[{slot}]")
            test = "a is not None and b is not None"
            if alt >= 0:
                test += f" and (va[{alt}] is None or vb[{alt}] is None)"
            lines.append(f"    if {test}:")
            call = f"compare_{k}(a, b, need - total - {top_after!r})" if bounded else f"compare_{k}(a, b)"
            lines.append(f"        contrib = {call}[0]")
            lines.append("        total += contrib")
            if premise:
                lines.append("        if contrib > 0:")
                lines.append("            together += 1")
        lines.append("    if together == 2:")
        lines.append(f"        total += {PREMISES_BONUS!r}")
        lines.append("    return total if total >= need else None")
        exec(compile("\n".join(lines), f"<{self.schema.name} quick total>", "exec"), env)  # noqa: S102
        return env["quick_total"]

    def explain(self, va: tuple[Any, ...], vb: tuple[Any, ...]) -> tuple[float, list[str]]:
        """Score (0-100) of two normalised records and the reasons behind it, strongest first."""
        total = 0.0
        found: list[tuple[float, Reason]] = []
        name_sim = -1.0
        domain_hit = False
        premises: list[Reason] = []
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
                if self._premises and slot in self._premises and contrib > 0:
                    premises.append(reason)
        if len(premises) == 2:
            total += PREMISES_BONUS
            found = [(w, r) for w, r in found if r not in premises]
            found.append((99.0, Reason("same_phone_and_address")))
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
            how = getattr(detail, "how", "")
            if how in ("contains", "core", "acronym", "common_only") and (contrib > 0 or how == "contains"):
                return Reason(f"name_{how}", pct=pct)
            return Reason("name_similar", pct=pct) if contrib > 0 else Reason("name_different", pct=pct)
        if k == "legal_form":
            if detail == "same":
                return Reason("same_legal_form")
            if detail == "family":
                return Reason("compatible_legal_form", a=a, b=b)
            if detail == "group":
                return Reason("group_legal_forms", a=a, b=b)
            return Reason("different_legal_form", a=a, b=b)
        if k == "address":
            return Reason("address_similar", pct=int(detail)) if contrib > 0 else Reason("address_different")
        if contrib < 0:
            return Reason("field_different", field=f.title)
        if k == "category":  # a city many firms share is context, not evidence
            return Reason("field_same_category", field=f.title)
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
        tf = TermFrequency()
        for slot, f in enumerate(self.schema.fields):
            if f.kind == "company_name":
                for v in values:
                    tf.add(v[slot])
                break
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
        spans: list[array] = []  # each shard of a scan walks only the blocks of two or more
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
            span = array("I")
            start, m = 0, len(packed)
            limit = self._block_slots[p][1].max_block or self.schema.max_block
            while start < m:
                h = packed[start] >> 32
                end = bisect_right(packed, h << 32 | _MASK32, start)
                if end - start > 1:
                    span.extend((start, end))
                if end - start > limit:
                    big.add(h)
                start = end
            entries.append(packed)
            oversized.append(big)
            spans.append(span)
            key_start.append(starts)
            key_all.append(flat)
            if progress:
                progress(0.3 + 0.1 * (p + 1) / max(1, len(self._block_slots)))
        return Index(ids, values, sort_keys, sort_ranks, entries, oversized, key_start, key_all, spans, tf)

    # -- full scan --

    @staticmethod
    def _met_keys(idx: Index, p: int, h: int, r: int) -> frozenset[int]:
        """The normal blocks record r sits in before block h of pass p (pass << 32 | key crc): two records
        whose sets meet have already been proposed together."""
        out = []
        for q in range(p + 1):
            st, flat, big = idx.key_start[q], idx.key_all[q], idx.oversized[q]
            for i in range(st[r], st[r + 1]):
                x = flat[i]
                if x not in big and (q < p or x < h):
                    out.append(q << 32 | x)
        return frozenset(out)

    def _all_keys(self, idx: Index, r: int) -> frozenset[int]:
        """Every normal block of record r: a pair whose sets meet comes from a block."""
        return self._met_keys(idx, len(idx.entries) - 1, 1 << 40, r)

    def _pairs(self, idx: Index, progress: Callable[[float], None] | None = None,
               accept: Callable[[int, int], bool] | None = None,
               part: tuple[int, int] = (0, 1)) -> Iterator[tuple[int, int]]:
        """Every candidate pair the blocking passes and sorted-neighbourhood windows propose.

        An oversized block is walked with a window and, when `accept` is given, each member is
        also compared with the block's recent group leaders, so a group of hundreds of records
        stays connected (union-find needs only a spanning set of pairs) at a bounded cost.

        A pair met in an earlier normal block is not proposed again; window pairs may repeat,
        so callers de-duplicate what they keep.

        `part` (shard, shards) keeps only the blocks whose key falls in that shard and one slice
        of the sorted-neighbourhood windows: the shards of one index together propose exactly
        the pairs of the whole, each normal-block pair in one shard only (its first block)."""
        shard, shards = part
        window = self.schema.window
        n_stages = len(idx.entries) + len(idx.sort_keys)
        met = self._met_keys
        # a record of an oversized block is in several of them and in every window pass: its keys are listed
        # once while it is recent
        all_keys = lru_cache(maxsize=KEYS_CACHED)(partial(self._all_keys, idx))
        for p, packed in enumerate(idx.entries):
            big = idx.oversized[p]
            for h, start, end in idx.blocks(p):
                if h % shards == shard:
                    members = [e & _MASK32 for e in packed[start:end]]
                    if h in big:
                        leaders: list[int] = []
                        for i in range(len(members)):
                            b = members[i]
                            kb = all_keys(b)
                            asked: list[int] = []
                            if accept is not None:
                                leader, asked = _lead(leaders, b, accept)
                                # a pair sharing a normal block comes from that block's shard
                                if leader is not None and (shards == 1 or all_keys(leader).isdisjoint(kb)):
                                    yield leader, b
                            for j in range(max(0, i - window), i):
                                a = members[j]
                                # accept() has judged the leaders just asked as the scan would
                                if a not in asked and all_keys(a).isdisjoint(kb):
                                    yield a, b
                    else:
                        keys = [met(idx, p, h, r) for r in members]
                        for i in range(len(members)):
                            a, ka = members[i], keys[i]
                            for j in range(i + 1, len(members)):
                                if ka.isdisjoint(keys[j]):
                                    yield a, members[j]
            if progress:
                progress(0.4 + 0.6 * (p + 1) / n_stages)
        n = len(idx.values)
        first, last = n * shard // shards, n * (shard + 1) // shards
        for k, sk in enumerate(self.schema.sort_keys):
            ranks = idx.sort_ranks[k]
            for i in range(first, last):
                a = ranks[i] if k else i
                ka = all_keys(a)
                for j in range(i + 1, min(i + 1 + sk.window, n)):
                    b = ranks[j] if k else j
                    if ka.isdisjoint(all_keys(b)):
                        yield a, b
            if progress:
                progress(0.4 + 0.6 * (len(idx.entries) + k + 1) / n_stages)

    def scan(self, records: Iterable[dict[str, Any]] | Index,
             progress: Callable[[float], None] | None = None) -> list[Candidate]:
        """All pairs in the base scoring at least thresholds.review, best first: the sharded scan
        in one shard, so a scan split over workers returns exactly this."""
        idx = records if isinstance(records, Index) else self.index(records, progress)
        return merge_shards([self.scan_shard(idx, 0, 1, progress)])

    def scan_shard(self, idx: Index, shard: int, shards: int,
                   progress: Callable[[float], None] | None = None) -> list[Candidate]:
        """The pairs of one shard of the index (its blocks by key, one slice of the windows) that
        reach thresholds.review; merge_shards() of all shards is the whole scan."""
        self._tf.use(idx.tf)
        need = self._logit(self.thresholds.review)
        values = idx.values
        total = self._total
        found: dict[tuple[int, int], None] = {}
        for a, b in self._pairs(idx, progress, self._accepter(idx), (shard, shards)):
            if a > b:
                a, b = b, a
            if (a, b) not in found and total(values[a], values[b], need) is not None:
                found[(a, b)] = None
        out: list[Candidate] = []
        for a, b in found:
            score, reasons = self.explain(values[a], values[b])
            out.append(Candidate(idx.ids[a], idx.ids[b], score, reasons))
        return out

    def restore(self, state: dict[str, Any]) -> Index:
        """An index from Index.state(), e.g. in another process that scans one shard of it."""
        values = state["values"]
        sort_keys = [SortedKeys(values, partial(self._sort_key, 0) if self._sort_slots else _no_key)]
        for k in range(1, len(self._sort_slots)):
            sort_keys.append(SortedKeys(values, partial(self._sort_key, k), state["sort_ranks"][k]))
        return Index(state["ids"], values, sort_keys, state["sort_ranks"], state["entries"],
                     state["oversized"], state["key_start"], state["key_all"], state["spans"], state["tf"])

    # -- learning weights from the base itself --

    def _levels(self, va: tuple[Any, ...], vb: tuple[Any, ...]) -> tuple[int, ...]:
        """Agreement level per field: 2 agree, 1 partly, 0 disagree, -1 not comparable (the reading
        _swap_parts() keeps for a swappable pair)."""
        out = [-1] * len(self.schema.fields)
        for slot, cmp, alt, slot2, cmp2, agree, disagree, agree2, disagree2 in self._level_plan:
            a, b = va[slot], vb[slot]
            if cmp2 is not None:
                a2, b2 = va[slot2], vb[slot2]
                ci = cmp(a, b)[0] if a is not None and b is not None else None
                cj = cmp2(a2, b2)[0] if a2 is not None and b2 is not None else None
                if a is not None and b2 is not None and a2 is not None and b is not None:
                    xi, xj = cmp(a, b2)[0], cmp2(a2, b)[0]
                    if xi + xj > (ci or 0.0) + (cj or 0.0):
                        ci, cj = xi, xj
                if cj is not None:
                    out[slot2] = 2 if cj >= agree2 - 1e-9 else 0 if cj <= -disagree2 + 1e-9 else 1
                if ci is None:
                    continue
                contrib = ci
            else:
                if a is None or b is None or (alt >= 0 and va[alt] is not None and vb[alt] is not None):
                    continue
                contrib = cmp(a, b)[0]
            out[slot] = 2 if contrib >= agree - 1e-9 else 0 if contrib <= -disagree + 1e-9 else 1
        return tuple(out)

    def _proposed(self, idx: Index) -> int:
        """About how many pairs _pairs() proposes: every pair of a normal block, a window's worth for
        each record of an oversized one and of each sorted-neighbourhood pass."""
        window, count = self.schema.window, 0
        for p in range(len(idx.entries)):
            big = idx.oversized[p]
            for h, start, end in idx.blocks(p):
                size = end - start
                count += size * (window + LEADERS) if h in big else size * (size - 1) // 2
        return count + sum(len(idx) * sk.window for sk in self.schema.sort_keys)

    def fit(self, records: Iterable[dict[str, Any]] | Index, max_pairs: int = 50_000,
            iterations: int = 100, min_records: int = 200) -> Schema:
        """A copy of the schema whose weights and prior are estimated from the base itself by
        Fellegi-Sunter expectation-maximisation over the blocked pairs (no labels needed), so
        a score reads as the chance that a blocked pair is a true duplicate; the hand weights
        stay when the base is small, only one field can be compared, or the fit would leave an
        identifying field (IDENTIFYING by hand) with almost no weight while a field records share
        weighs about as much as the heaviest identifying one."""
        idx = records if isinstance(records, Index) else self.index(records)
        self._tf.use(idx.tf)
        values = idx.values
        seen: set[tuple[int, int]] = set()
        patterns: dict[tuple[int, ...], int] = {}
        # EM needs a fair sample of the blocked pairs, not all of them: one shard of as many as it takes to
        # bring the pairs near max_pairs (a shard holds the blocks whose key hash falls in it, and one slice of
        # the sort order's windows).
        sample = max(1, -(-self._proposed(idx) // max_pairs))
        for a, b in self._pairs(idx, part=(0, sample)):
            key = (a, b) if a < b else (b, a)
            if key in seen:
                continue
            seen.add(key)
            lv = self._levels(values[a], values[b])
            patterns[lv] = patterns.get(lv, 0) + 1
            if len(seen) >= max_pairs:
                break
        n_f = len(self.schema.fields)
        fields = self.schema.fields
        informative = {i for lv in patterns for i, lvl in enumerate(lv)
                       if lvl >= 0 and fields[i].kind not in ("legal_form", "category")}
        if len(idx) < min_records or len(informative) < 2:
            return self.schema  # too small a base, or one field only: EM cannot tell m from u
        m = [[0.05, 0.15, 0.80] for _ in range(n_f)]
        u = [[0.80, 0.15, 0.05] for _ in range(n_f)]
        prior = 0.05
        # each pattern once, as its count and the (field, level) cells it compares
        items = [(count, [(f_i, lvl) for f_i, lvl in enumerate(lv) if lvl >= 0]) for lv, count in patterns.items()]
        total = sum(count for count, _cells in items)
        for _ in range(iterations):
            m_acc = [[1e-6] * 3 for _ in range(n_f)]
            u_acc = [[1e-6] * 3 for _ in range(n_f)]
            g_sum = 0.0
            for count, cells in items:
                pm, pu = prior, 1.0 - prior
                for f_i, lvl in cells:
                    pm *= m[f_i][lvl]
                    pu *= u[f_i][lvl]
                g = pm / (pm + pu) if pm + pu > 0 else 0.0
                gm, gu = g * count, (1.0 - g) * count
                g_sum += gm
                for f_i, lvl in cells:
                    m_acc[f_i][lvl] += gm
                    u_acc[f_i][lvl] += gu
            new_m = [[x / sum(row) for x in row] for row in m_acc]
            new_u = [[x / sum(row) for x in row] for row in u_acc]
            new_prior = min(max(g_sum / max(1, total), 1e-6), 0.5)
            moved = max(abs(x - y) for rows in ((new_m, m), (new_u, u)) for r1, r2 in zip(*rows) for x, y in zip(r1, r2))
            m, u, prior = new_m, new_u, new_prior
            if moved < CONVERGED:
                break
        fitted: list[Field] = []
        for f_i, f in enumerate(self.schema.fields):
            w = [max(-12.0, min(12.0, math.log(m[f_i][lv] / u[f_i][lv]))) for lv in range(3)]
            agree = max(0.0, w[2])
            disagree = max(0.0, -w[0])
            partial = min(1.0, max(0.0, w[1] / agree)) if agree > 0 else 0.0
            fitted.append(replace(f, agree=round(agree, 3), disagree=round(disagree, 3),
                                  partial=round(partial, 3) if f.kind in ("code", "date") else f.partial))
        # EM finds the largest agreeing class among the blocked pairs, which is not always "the same record":
        # contacts are blocked mostly with their colleagues, and the fit then learns "same company" (a
        # company weight of 12, a name weight near 0) and floods the queue with colleagues. Such a fit takes the
        # evidence away from a field the hand weights call identifying and gives a field records share (their
        # company) about the weight of the heaviest identifying one: it is refused, the hand weights stay.
        # Losing a name's weight alone is not enough: FEBRL's blocks are on names, so names agree among its
        # non-matches, and its social security number rightly carries the fit.
        lost = [f.name for f_i, (f, h) in enumerate(zip(fitted, fields))
                if f_i in informative and h.agree >= IDENTIFYING and f.agree < LOST_EVIDENCE]
        identifying = [f.agree for f, h in zip(fitted, fields) if h.agree >= IDENTIFYING]
        shared = [f.agree for f_i, (f, h) in enumerate(zip(fitted, fields))
                  if f_i in informative and h.agree < IDENTIFYING]
        if lost and shared and max(shared) >= max(identifying) - SHARED_MARGIN:
            return self.schema
        offset = -math.log(prior / (1.0 - prior))
        return replace(self.schema, fields=tuple(fitted), offset=round(offset, 3))

    def _accepter(self, idx: Index) -> Callable[[int, int], bool]:
        """Does the pair at these index positions reach the review threshold?"""
        need, values, total = self._logit(self.thresholds.review), idx.values, self._total
        # in index order, as scan_shard() scores a pair, so a pair judged here is judged the same there
        return lambda a, b: total(values[a], values[b], need) is not None if a < b else \
            total(values[b], values[a], need) is not None

    def verifier(self, index: Index) -> Callable[[Hashable, Hashable], bool]:
        """Predicate for cluster(verify=...): do these two record ids reach the review threshold?"""
        where = {rid: pos for pos, rid in enumerate(index.ids)}
        accept = self._accepter(index)

        def verify(a: Hashable, b: Hashable) -> bool:
            pa, pb = where.get(a), where.get(b)
            return pa is not None and pb is not None and accept(pa, pb)
        return verify

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
        self._tf.use(index.tf)
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
