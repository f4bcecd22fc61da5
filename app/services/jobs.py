"""Background jobs: RQ on Redis in production, an in-process RQ worker in the embedded default.

The same RQ code path runs in both modes; only the connection differs. Each job has a row in
the `jobs` table keyed by the RQ job id, so a person finds the result after Redis forgets it.
A job writes its texts in the language of the person who started it (periodic jobs: the default).
"""
from __future__ import annotations

import functools
import logging
import os
import socket
import threading
import time
import uuid
from datetime import timedelta, timezone
from typing import Any, Callable

from flask import Flask, current_app, has_app_context
from rq import Queue, Retry, SimpleWorker, get_current_job
from rq.exceptions import NoSuchJobError
from rq.job import Dependency, Job
from rq.timeouts import TimerDeathPenalty
from sqlalchemy import select

from app.extensions import db
from app.i18n import N_, speaking, tr
from app.models.base import utcnow
from app.models.jobs import JobRecord
from app.models.org import User
from app.services.actor import acting_as

log = logging.getLogger(__name__)
EXT_KEY = "clientele_jobs"

# Kinds that start from scratch and leave nothing half-done, so a worker's death reruns them once.
# Imports and restores are all-or-nothing and are not rerun: a person decides whether to start them again.
RETRY_SAFE_KINDS = ("address_list", "dedup_scan_", "backup")
ABANDONED = N_("The worker running this job stopped in the middle (a restart, a kill or lack of memory).")
LOST = N_("The job was lost: the portal or Redis restarted before it could run.")
RETRYING = N_("Started again after the worker running it stopped in the middle.")
GRACE = timedelta(seconds=60)  # a row this young may not have reached Redis yet
PART_FAILED = N_("Part %(n)s of %(total)s of this job failed: %(reason)s")
PARTS_DONE = N_("shards %(done)s of %(total)s")


def _owner() -> str:
    """This process, as a job row names it: pid@host."""
    return f"{os.getpid()}@{socket.gethostname()}"


def _retry_safe(kind: str) -> bool:
    return kind == "backup" or any(kind.startswith(k) for k in RETRY_SAFE_KINDS if k != "backup")


class ThreadWorker(SimpleWorker):
    """An RQ worker that runs in a background thread of the portal process (no signals there)."""

    death_penalty_class = TimerDeathPenalty
    flask_app: Flask | None = None

    def _install_signal_handlers(self) -> None:
        pass

    def execute_job(self, job, queue):
        with self.flask_app.app_context():
            return super().execute_job(job, queue)


class JobRuntime:
    """Per-app connection, queue and (embedded) worker thread."""

    def __init__(self, app: Flask):
        self.app = app
        self.embedded = not app.config.get("REDIS_URL")
        if self.embedded:
            import fakeredis

            self.server = fakeredis.FakeServer()
            self.connection = fakeredis.FakeRedis(server=self.server)
        else:
            from redis import Redis

            self.connection = Redis.from_url(app.config["REDIS_URL"])
        self.queue = Queue(app.config["RQ_QUEUE"], connection=self.connection)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._cron: threading.Thread | None = None

    def ensure_worker_thread(self) -> None:
        """Start the in-process worker and the periodic-job scheduler once (embedded mode only)."""
        if not self.embedded or not self.app.config.get("START_INPROCESS_WORKER", True):
            return
        with self._lock:
            if self._thread and self._thread.is_alive():
                return
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="clientele-worker", daemon=True)
            self._thread.start()
            try:  # the start-up sweep: rows this installation's dead processes left behind
                settle_abandoned(self.app)
            except Exception:
                log.exception("start-up sweep of abandoned jobs failed")
            if self._cron is None or not self._cron.is_alive():  # it ends with the worker's stop()
                from app.schedule import start_embedded_scheduler

                self._cron = start_embedded_scheduler(self.app)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.work_burst()
            except Exception:  # a broken job must not kill the worker thread
                log.exception("in-process worker iteration failed")
            self._stop.wait(0.3)

    def work_burst(self) -> None:
        """Run every queued job now, in this thread; used by the embedded worker and by tests."""
        worker = ThreadWorker([self.queue], connection=self.connection)
        worker.flask_app = self.app
        worker.work(burst=True, logging_level="WARNING")

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the embedded worker after its current job (tests, shutdown)."""
        self._stop.set()
        if self._thread:
            self._thread.join(timeout)
            self._thread = None


def runtime(app: Flask | None = None) -> JobRuntime:
    """The job runtime of this app, created on first use."""
    app = app or current_app._get_current_object()
    rt = app.extensions.get(EXT_KEY)
    if rt is None:
        rt = app.extensions[EXT_KEY] = JobRuntime(app)
    return rt


def enqueue(func: Callable | str, *args: Any, kind: str, title: str, user_id: int | None,
            timeout: int = 3600, **kwargs: Any) -> JobRecord:
    """Record the job, then queue it; the row is committed first so the worker can find it. The starter's
    language travels in the job's meta, so the worker writes the result the way they read the page."""
    from app.i18n import reader_locale

    job_id = uuid.uuid4().hex
    rt = runtime()
    record = JobRecord(id=job_id, kind=kind, title=title[:300], user_id=user_id, status="queued",
                       owner=_owner() if rt.embedded else None)
    db.session.add(record)
    db.session.commit()
    rt.queue.enqueue(func, args=args, job_id=job_id, job_timeout=timeout, result_ttl=86400,
                     failure_ttl=7 * 86400, kwargs=kwargs, meta={"progress": 0, "locale": reader_locale()},
                     retry=Retry(max=1) if _retry_safe(kind) else None)
    rt.ensure_worker_thread()
    return record


def report_progress(percent: float, message: str | None = None) -> None:
    """Called from inside a job: the progress bar reads this from the job's meta."""
    job = get_current_job()
    if job is None:
        return
    job.meta["progress"] = max(0, min(100, int(percent)))
    if message is not None:
        job.meta["message"] = message
    job.save_meta()


_worker_app: Flask | None = None


def _app_for_worker() -> Flask:
    """A standalone `rq worker` process builds the app once, on its first job."""
    global _worker_app
    if _worker_app is None:
        from app import create_app

        _worker_app = create_app()
    return _worker_app


def job_entry(kind: str, title=None):
    """Wrap an RQ entry point: app context, acting user, and the job row's start and end. `title` (a lazy
    msgid) names the row of a periodic job, which no page enqueued and titled."""

    def decorate(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            if has_app_context():
                return _run_tracked(kind, fn, args, kwargs, title)
            with _app_for_worker().app_context():
                return _run_tracked(kind, fn, args, kwargs, title)

        return wrapper

    return decorate


def _run_tracked(kind: str, fn: Callable, args, kwargs, title=None):
    job = get_current_job()
    job_id = job.id if job else None
    record = db.session.get(JobRecord, job_id) if job_id else None
    if job_id and record is None:  # scheduled jobs have no row yet; nobody started them, so the default language
        with speaking(None):
            record = JobRecord(id=job_id, kind=kind, title=str(title or kind)[:300], user_id=None)
        db.session.add(record)
    if record is not None:
        record.status, record.started_at, record.owner = "started", utcnow(), _owner()
        record.finished_at = record.error = None  # a rerun after a fault starts clean
        db.session.commit()
    user_id = record.user_id if record else None
    try:
        with acting_as(user_id), speaking(_starter_locale(job, user_id)):
            result = fn(*args, **kwargs) or {}
    except Exception as exc:
        db.session.rollback()
        if record is not None:
            record = db.session.get(JobRecord, job_id)
            record.status, record.finished_at = "failed", utcnow()
            record.error = f"{type(exc).__name__}: {exc}"[:2000]
            db.session.commit()
        raise
    if result.get("continued"):  # fanned out: the job that goes on after the parts ends the row
        db.session.rollback()
        return result
    if record is not None:
        record = db.session.get(JobRecord, job_id)
        record.status, record.finished_at, record.progress = "finished", utcnow(), 100
        record.result_url = result.get("url")
        record.result_text = result.get("text")
        db.session.commit()
    return result


# --- a job split into parts that any worker takes ------------------------------------------------


def fan_out(parts: list[tuple[Callable, tuple]], then: Callable, then_args: tuple = (),
            timeout: int = 3600) -> dict:
    """From inside a tracked job: queue its parts (each returns its result, never None) for any worker to take,
    and `then` (a `continuation`), which runs once every part has ended and ends this job's row. Parts of a kind safe to rerun are rerun
    once when their worker dies. Returns what the entry point returns: the row stays started meanwhile."""
    job = get_current_job()
    record = db.session.get(JobRecord, job.id)
    queue = Queue(job.origin, connection=job.connection)
    retry = Retry(max=1) if record is not None and _retry_safe(record.kind) else None
    common = {"job_timeout": timeout, "result_ttl": 86400, "failure_ttl": 7 * 86400, "retry": retry}
    job.meta.update(parts_from=job.meta.get("progress", 0))
    queued = [queue.enqueue(func, args=args, meta={"parent": job.id}, **common) for func, args in parts]
    job.meta["parts"] = [q.id for q in queued]
    job.save_meta()
    follow = queue.enqueue(then, args=(job.id, [q.id for q in queued], *then_args),
                           depends_on=Dependency(jobs=queued, allow_failure=True),
                           meta={"parent": job.id, "locale": job.meta.get("locale")}, **common)
    job.meta["then"] = follow.id
    job.save_meta()
    return {"continued": True}


def mark_part_started() -> None:
    """A part names the process running it in its meta, as a row names its owner (pid@host)."""
    job = get_current_job()
    if job is not None:
        job.meta["owner"] = _owner()
        job.save_meta()


def continuation(cleanup: Callable | None = None):
    """Wrap the job that goes on after fan_out(): called as fn(parent_id, results of the parts, *args) in an
    app context, as the starter and in their language, it ends the parent's row; a part that failed (or
    whose worker died for good) fails the row with a readable reason instead. `cleanup(*args)` runs in
    both cases."""

    def decorate(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(parent_id, part_ids, *args, **kwargs):
            if has_app_context():
                return _run_continued(fn, cleanup, parent_id, part_ids, args, kwargs)
            with _app_for_worker().app_context():
                return _run_continued(fn, cleanup, parent_id, part_ids, args, kwargs)

        return wrapper

    return decorate


def _failure_text(job: Job | None) -> str:
    """Why an RQ job failed, for a person: the worker's death, or its exception's message."""
    latest = job.latest_result() if job is not None else None
    text = latest.exc_string.strip() if latest and latest.exc_string else ""
    if job is None or "AbandonedJobError" in text or not text:
        return tr(ABANDONED)
    line = text.splitlines()[-1]
    name, colon, message = line.partition(": ")
    if colon and name.replace(".", "_").isidentifier():  # "module.SomeError: message": the message, translated
        return tr(message)
    return line


def _as_starter(record: JobRecord | None):
    """Speak as the person who started the job reads (their saved language), as the sweep's reasons do."""
    user = db.session.get(User, record.user_id) if record is not None and record.user_id else None
    return speaking(user.locale if user else None)


def _run_continued(fn: Callable, cleanup: Callable | None, parent_id: str, part_ids: list[str], args, kwargs):
    """End the fanned-out job's row: with fn's result when every part finished, else failed with the reason."""
    job = get_current_job()
    connection = job.connection if job is not None else runtime().connection
    record = db.session.get(JobRecord, parent_id)
    user_id = record.user_id if record else None
    parts = Job.fetch_many(part_ids, connection=connection)
    results = [p.return_value() if p is not None and p.get_status() == "finished" else None for p in parts]
    broken = next(((n, p) for n, (p, r) in enumerate(zip(parts, results), 1) if r is None), None)
    try:
        if broken is not None:  # written as the sweep writes a dead worker's reason: in the starter's language
            n, part = broken
            with _as_starter(record):  # a finished part without its result: Redis lost it
                why = tr(LOST) if part is not None and part.get_status() == "finished" else _failure_text(part)
                reason = tr(PART_FAILED, n=n, total=len(parts), reason=why)
            if record is not None:
                record.status, record.finished_at, record.error = "failed", utcnow(), reason[:2000]
                db.session.commit()
            log.warning("job %s failed in part %s of %s: %s", parent_id, n, len(parts), reason)
            return {"text": reason}
        with acting_as(user_id), speaking(_starter_locale(job, user_id)):
            result = fn(parent_id, results, *args, **kwargs) or {}
    except Exception as exc:
        db.session.rollback()
        record = db.session.get(JobRecord, parent_id)
        if record is not None:
            record.status, record.finished_at = "failed", utcnow()
            record.error = f"{type(exc).__name__}: {exc}"[:2000]
            db.session.commit()
        raise
    finally:
        if cleanup is not None:
            cleanup(*args)
    record = db.session.get(JobRecord, parent_id)
    if record is not None:
        record.status, record.finished_at, record.progress = "finished", utcnow(), 100
        record.result_url, record.result_text, record.message = result.get("url"), result.get("text"), None
        db.session.commit()
    return result


def _starter_locale(job: Job | None, user_id: int | None) -> str | None:
    """The language the job's starter read the page in, else their saved one; None (the default) for
    periodic jobs, which nobody started."""
    if job is not None and job.meta.get("locale"):
        return job.meta["locale"]
    user = db.session.get(User, user_id) if user_id else None
    return user.locale if user else None


def live_state(record: JobRecord) -> JobRecord:
    """Merge what RQ knows (progress, a worker's death, a rerun) into the row a page shows."""
    if record.is_done:
        return record
    rt = runtime()
    try:
        job = Job.fetch(record.id, connection=rt.connection)
    except NoSuchJobError:
        job = None
    except Exception:
        return record
    if _settle(rt, record, job):
        db.session.commit()
    if job is not None and record.status == "started":
        meta = job.get_meta(refresh=True) if hasattr(job, "get_meta") else job.meta
        record.progress = int(meta.get("progress", record.progress) or 0)
        record.message = meta.get("message", record.message)
        if meta.get("parts"):
            _parts_progress(rt, record, meta)
    return record


def _parts_progress(rt: JobRuntime, record: JobRecord, meta: dict) -> None:
    """A fanned-out job's bar: how many of its parts have finished ("shards 3 of 8")."""
    parts = Job.fetch_many(meta["parts"], connection=rt.connection)
    done = sum(1 for p in parts if p is not None and p.get_status() == "finished")
    start = int(meta.get("parts_from", 0) or 0)
    record.progress = start + (95 - start) * done // max(1, len(parts))
    record.message = tr(PARTS_DONE, done=done, total=len(parts))


def _settle(rt: JobRuntime, record: JobRecord, job: Job | None) -> bool:
    """Bring a queued/started row in line with RQ: failed with a readable reason when its worker died or its
    job was lost, queued again when RQ reruns it. Returns whether the row changed (the caller commits)."""
    db.session.refresh(record)
    if record.is_done:
        return False
    if job is None:
        if not _owner_gone(rt, record):
            return False
        return _fail(record, LOST)
    status = job.get_status(refresh=True)
    if status == "finished" and job.meta.get("then"):  # fanned out: settle against the job that goes on
        try:
            follow = Job.fetch(job.meta["then"], connection=rt.connection)
        except NoSuchJobError:
            return _fail(record, LOST)
        if follow.get_status(refresh=True) in ("failed", "stopped", "canceled"):
            with _as_starter(record):
                return _fail(record, _failure_text(follow), fixed=False)
        return False
    if status in ("failed", "stopped", "canceled"):
        latest = job.latest_result()
        text = latest.exc_string.strip() if latest and latest.exc_string else ""
        if "AbandonedJobError" in text or not text:
            return _fail(record, ABANDONED)
        return _fail(record, text.splitlines()[-1], fixed=False)
    if status in ("queued", "scheduled", "deferred") and record.status == "started":
        record.status, record.progress = "queued", 0
        record.message = _in_starters_language(record, RETRYING)
        return True
    return False


def _owner_gone(rt: JobRuntime, record: JobRecord) -> bool:
    """No RQ job for this row: lost, unless it is too young to have reached Redis, or (embedded default)
    it belongs to another live portal process whose in-process queue holds it."""
    created = record.created_at
    if created is not None and created.tzinfo is None:
        created = created.replace(tzinfo=timezone.utc)
    if created is not None and utcnow() - created < GRACE:
        return False
    if not rt.embedded or not record.owner:
        return True
    pid, _, host = record.owner.partition("@")
    if host != socket.gethostname():
        return False  # another machine's portal; it settles its own
    if not (pid.isascii() and pid.isdigit()) or int(pid) == os.getpid():
        return True  # ours, yet gone from our queue: from before this process (a reused pid) or a lost job
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _in_starters_language(record: JobRecord, msgid: str) -> str:
    """A fixed text (a msgid) in the language of the person who started the job (periodic jobs: the default)."""
    user = db.session.get(User, record.user_id) if record.user_id else None
    with speaking(user.locale if user else None):
        return tr(msgid)


def _fail(record: JobRecord, reason: str, fixed: bool = True) -> bool:
    """Mark a row failed; a fixed reason (a msgid) is written in its starter's language, a job's own error as is."""
    record.status, record.finished_at = "failed", utcnow()
    record.error = (_in_starters_language(record, reason) if fixed else reason)[:2000]
    log.warning("job %s (%s) settled as failed: %s", record.id, record.kind, record.error)
    return True


def settle_abandoned(app: Flask | None = None, timestamp: float | None = None) -> int:
    """The sweep: let RQ move jobs whose worker stopped heart-beating to failed (or rerun them when retries are
    left), then settle every queued/started row against RQ. Runs when the embedded worker starts, from
    `flask jobs settle` (before an rq worker starts) and every few minutes as a periodic job. `timestamp` is
    the moment RQ judges heartbeats against (default now)."""
    app = app or current_app._get_current_object()
    with app.app_context():
        rt = runtime(app)
        if not rt.embedded:
            from rq.registry import StartedJobRegistry

            StartedJobRegistry(queue=rt.queue).cleanup(timestamp)
        changed = 0
        for record in db.session.scalars(select(JobRecord).where(JobRecord.status.in_(("queued", "started")))):
            try:
                job = Job.fetch(record.id, connection=rt.connection)
            except NoSuchJobError:
                job = None
            changed += _settle(rt, record, job)
        db.session.commit()
        return changed


def settle_abandoned_job() -> int:
    """The periodic sweep (`rq cron`): no job row of its own, so the Jobs page is not filled with sweeps."""
    if has_app_context():
        return settle_abandoned()
    return settle_abandoned(_app_for_worker())


def wait_for(record_id: str, timeout: float = 30.0) -> JobRecord:
    """Block until a job ends (CLI and tests)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.expire_all()
        record = db.session.get(JobRecord, record_id)
        if record and record.is_done:
            return record
        rt = runtime()
        if rt.embedded and not (rt._thread and rt._thread.is_alive()):
            rt.work_burst()
            continue
        time.sleep(0.2)
    raise TimeoutError(f"job {record_id} did not finish in {timeout}s")

