"""Grouping candidate pairs into clusters without chaining unrelated groups together."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence

from .spec import Candidate

# --- clustering -----------------------------------------------------------------------------


def _spread(members: list[Hashable], k: int = 3) -> list[Hashable]:
    """Up to k members spread over a group (first, middle, last), for sampled cross checks."""
    if len(members) <= k:
        return members
    return [members[0], members[len(members) // 2], members[-1]]


def cluster(candidates: Sequence[Candidate], threshold: float, max_size: int = 50,
            min_link: float = 0.5,
            cannot_link: Callable[[Hashable, Hashable], bool] | None = None,
            verify: Callable[[Hashable, Hashable], bool] | None = None) -> list[list[Hashable]]:
    """Group records linked by pairs above `threshold`, joining two groups only when at least
    `min_link` of their cross pairs are candidates and no cross pair is a `cannot_link` (e.g. two
    different INNs), so one weak link cannot chain a giant cluster.

    With `verify` (does this pair score above the threshold?) the candidates may be only a
    spanning set: a join then checks a few sampled cross pairs, so groups of any size hold."""
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
        if (len(ma) > 1 or len(mb) > 1) and verify is not None:
            sample = [(x, y) for x in _spread(ma) for y in _spread(mb)]
            links = sum(1 for x, y in sample if y in adj.get(x, ()) or verify(x, y))
            if links < min_link * len(sample):
                continue
        elif len(ma) > 1 or len(mb) > 1:
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
