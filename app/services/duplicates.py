"""Duplicates: the review queue a scan fills, its groups, and the pairs a reviewer dismissed."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.i18n import N_ as _l
from app.i18n import tr
from app.models.base import utcnow
from app.models.duplicates import DuplicateDecision, DuplicateGroup
from app.services.matching import MODELS, _pair, decided_pairs, get_settings, reason_dicts


def fill_queue(session: Session, kind: str, candidates: list, job_id: str | None = None) -> int:
    """Replace the open groups of this kind with the scan's clusters; returns how many groups."""
    from app.matching import cluster

    session.execute(DuplicateGroup.__table__.delete().where(DuplicateGroup.kind == kind, DuplicateGroup.status == "open"))
    s = get_settings(session)
    threshold = min((c.score for c in candidates), default=s.review_threshold)
    groups = cluster(candidates, threshold)
    group_of = {member: g for g, members in enumerate(groups) for member in members}
    inside: dict[int, list] = {}  # each group's pairs, found in one pass (a million-record scan has many groups)
    for c in candidates:
        g = group_of.get(c.a_id)
        if g is not None and group_of.get(c.b_id) == g:
            inside.setdefault(g, []).append(c)
    rows = []
    for g, members in enumerate(groups):
        pairs = inside.get(g, [])
        pairs.sort(key=lambda c: -c.score)
        rows.append({"kind": kind, "member_ids": sorted(members), "score": pairs[0].score if pairs else 0.0,
                     "status": "open", "scan_job_id": job_id, "created_at": utcnow(),
                     "pairs": [{"a": c.a_id, "b": c.b_id, "score": c.score, "reasons": reason_dicts(c.reasons),
                                "band": c.band} for c in pairs[:20]]})
    if rows:
        session.execute(DuplicateGroup.__table__.insert(), rows)
    return len(rows)


# What a reviewer reads for a band: "likely" has evidence besides the name, "possible" only the name.
BAND_LABELS = {"likely": _l("likely"), "possible": _l("possible")}


def band_label(band: str) -> str:
    """A band in the reader's language."""
    return tr(BAND_LABELS.get(band, BAND_LABELS["likely"]))


def group_band(group: DuplicateGroup) -> str:
    """"likely" when some pair of the group agrees on more than the name, else "possible"."""
    return "likely" if any(p.get("band", "likely") == "likely" for p in group.pairs or []) else "possible"


def open_groups(session: Session, kind: str, limit: int = 50, offset: int = 0) -> list[DuplicateGroup]:
    """The review queue: open groups, best first."""
    stmt = (select(DuplicateGroup).where(DuplicateGroup.kind == kind, DuplicateGroup.status == "open")
            .order_by(DuplicateGroup.score.desc(), DuplicateGroup.id).limit(limit).offset(offset))
    return list(session.scalars(stmt))


def count_open_groups(session: Session, kind: str | None = None) -> int:
    stmt = select(func.count(DuplicateGroup.id)).where(DuplicateGroup.status == "open")
    if kind:
        stmt = stmt.where(DuplicateGroup.kind == kind)
    return session.scalar(stmt) or 0


def group_records(session: Session, group: DuplicateGroup) -> list:
    """The group's records that still exist, in the group's order."""
    model = MODELS[group.kind]
    found = {r.id: r for r in session.scalars(select(model).where(model.id.in_(group.member_ids),
                                                                  model.deleted_at.is_(None)))}
    return [found[i] for i in group.member_ids if i in found]


def dismiss_group(session: Session, group_id: int, user_id: int | None, record_ids: Iterable[int] | None = None) -> None:
    """'Not duplicates': remember every pair of the group so no scan proposes it again."""
    group = session.get(DuplicateGroup, group_id)
    if group is None:
        raise LookupError(group_id)
    ids = sorted(set(record_ids or group.member_ids))
    known = decided_pairs(session, group.kind)
    for i, a in enumerate(ids):
        for b in ids[i + 1:]:
            if (a, b) not in known:
                session.add(DuplicateDecision(kind=group.kind, a_id=a, b_id=b, decided_by_id=user_id))
    group.status, group.resolved_at, group.resolved_by_id = "dismissed", utcnow(), user_id
    session.flush()


def is_dismissed(session: Session, kind: str, a: int, b: int) -> bool:
    a, b = _pair(a, b)
    return session.scalar(select(func.count(DuplicateDecision.id)).where(
        DuplicateDecision.kind == kind, DuplicateDecision.a_id == a, DuplicateDecision.b_id == b)) > 0


# --- the live check while typing -------------------------------------------------------------


