"""Background jobs of the data-quality area: the full duplicate scan and large imports.

Result addresses are built by the view that enqueues (a worker has no request to build them from)."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.i18n import lazy_gettext as _l
from app.models.jobs import JobRecord
from app.services.jobs import continuation, job_entry, report_progress

SNAPSHOT_TTL = 24 * 3600  # a scan's index stays in Redis at most this long (its merge removes it at once)


@job_entry("dedup_scan")
def scan_job(kind: str, threshold: float | None = None, result_url: str | None = None,
             shards: int | None = None) -> dict:
    """Index the whole base and learn the weights once, then hand the scan to shard jobs that any worker
    takes; the merge fills the review queue. The bar follows the index, then the shards."""
    from flask import current_app
    from rq import get_current_job

    from app.services import matching
    from app.services.jobs import fan_out

    report_progress(1)
    m, idx = matching.prepare_scan(db.session, kind, threshold, progress=lambda f: report_progress(1 + 94 * f))
    db.session.commit()
    job = get_current_job()
    count = shards or shard_count(job, current_app.config.get("DEDUP_SCAN_SHARDS"))
    key = f"clientele:scan:{job.id}"
    sizes = matching.store_index(job.connection, key, idx, ttl=SNAPSHOT_TTL)
    pieces = len(sizes)
    del idx
    job.meta["index_bytes"] = sum(sizes)  # what the scan keeps in Redis meanwhile (the bench reports it)
    job.save_meta()
    return fan_out([(scan_shard_job, (key, pieces, m.schema, m.thresholds, shard, count)) for shard in range(count)],
                   scan_merge_job, (kind, key, pieces, result_url), timeout=job.timeout or 3600)


def shard_count(job, configured: int | None) -> int:
    """The configured number of shards, else two for every worker listening to the queue (at least two)."""
    if configured:
        return max(1, int(configured))
    from rq import Queue, Worker

    workers = Worker.count(connection=job.connection, queue=Queue(job.origin, connection=job.connection))
    return max(2, min(16, 2 * workers))


def scan_shard_job(key: str, pieces: int, schema, thresholds, shard: int, shards: int) -> list:
    """One shard of a full scan, in any worker: no database, the learnt weights come with the job."""
    from rq import get_current_job

    from app.matching import Matcher
    from app.services import matching
    from app.services.jobs import mark_part_started

    mark_part_started()
    m = Matcher(schema, thresholds=thresholds)
    idx = matching.load_index(get_current_job().connection, key, pieces, m)
    return m.scan_shard(idx, shard, shards)


def _drop_scan_index(kind: str, key: str, pieces: int, result_url: str | None = None) -> None:
    """Free the Redis memory the scan's index held once the shards are merged (or failed)."""
    from rq import get_current_job

    from app.services import matching

    job = get_current_job()
    if job is not None:
        matching.drop_index(job.connection, key, pieces)


@continuation(cleanup=_drop_scan_index)
def scan_merge_job(parent_id: str, results: list, kind: str, key: str, pieces: int,
                   result_url: str | None = None) -> dict:
    """The shards' pairs as one scan (each pair once), less the pairs already decided, into the review queue."""
    from app.matching import merge_shards
    from app.services import duplicates, matching

    candidates = matching.without_decided(db.session, kind, merge_shards(results))
    groups = duplicates.fill_queue(db.session, kind, candidates, parent_id)
    db.session.commit()
    return {"url": result_url,
            "text": _("%(groups)s groups, %(pairs)s pairs", groups=groups, pairs=len(candidates))}


def last_scan(session, kind: str) -> JobRecord | None:
    """The newest scan of this kind, so the queue page shows its progress or its result."""
    return session.scalars(select(JobRecord).where(JobRecord.kind == f"dedup_scan_{kind}")
                           .order_by(JobRecord.created_at.desc()).limit(1)).first()


@job_entry("crm_import")
def import_job(run_id: int, result_url: str | None = None) -> dict:
    """Apply an uploaded file in the background and leave its report for download."""
    from app.services import imports

    run = imports.run_import(db.session, run_id, progress=lambda f: report_progress(100 * f))
    return {"url": result_url, "text": imports.summary_text(run)}


@job_entry("import_cleanup", title=_l("Clean-up of abandoned uploads"))
def cleanup_uploads_job() -> dict:
    """Nightly: remove uploaded import files that were never imported."""
    from flask import current_app

    from app.services import imports

    n = imports.remove_abandoned(db.session, current_app.config["UPLOAD_DIR"])
    db.session.commit()
    return {"text": _("%(n)s abandoned uploads removed", n=n)}
