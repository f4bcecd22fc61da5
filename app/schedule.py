"""Periodic jobs, declared once: `rq cron cron_config.py` runs them in production,
the in-process scheduler in the embedded default. Times are UTC."""
from __future__ import annotations

import fcntl
import importlib
import logging
import os
import socket
import threading
from dataclasses import dataclass
from pathlib import Path

from flask import Flask

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Scheduled:
    """A job path and the config key holding its cron expression (with a default)."""

    func: str
    config_key: str
    default_cron: str


# Areas add their periodic jobs here.
SCHEDULE: list[Scheduled] = [
    Scheduled("app.workflows.jobs.roll_weekly_boards_job", "WORKFLOWS_WEEKLY_CRON", "0 3 * * 1"),
    Scheduled("app.workflows.jobs.send_due_reminders_job", "WORKFLOWS_REMINDERS_CRON", "0 5 * * *"),
    Scheduled("app.key_accounts.jobs.send_request_reminders", "REQUEST_REMINDERS_CRON", "0 * * * *"),
    Scheduled("app.promotion.jobs.purge_expired_lists_job", "LIST_PURGE_CRON", "30 3 * * *"),
    Scheduled("app.backups.jobs.nightly_backup", "BACKUP_CRON", "0 2 * * *"),
    Scheduled("app.data_quality.jobs.cleanup_uploads_job", "IMPORT_CLEANUP_CRON", "40 3 * * *"),
    Scheduled("app.services.jobs.settle_abandoned_job", "JOBS_SWEEP_CRON", "*/5 * * * *"),
]


def resolve(path: str):
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def cron_expression(app_config, item: Scheduled) -> str:
    return app_config.get(item.config_key) or item.default_cron


class SchedulerLock:
    """An fcntl lock on instance/scheduler.lock: one process of the installation runs the embedded scheduler.

    The kernel drops the lock when its process ends (even by kill -9), so another process takes over."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> bool:
        """Take the lock if nobody holds it; write who holds it into the file for the log and people."""
        if self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()} on {socket.gethostname()}\n".encode())
        self._fd = fd
        return True

    def holder(self) -> str:
        """Who holds the lock, as its holder wrote it."""
        try:
            return self.path.read_text().strip() or "?"
        except OSError:
            return "?"

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def start_embedded_scheduler(app: Flask) -> threading.Thread | None:
    """In the embedded default, enqueue due jobs from a thread using RQ's own CronScheduler. Every portal
    process starts the thread, but only the one holding the scheduler lock enqueues; the others wait for it
    to end (a restart, a crash) and one of them takes over. With Redis, `rq cron` is the one: none starts."""
    from rq.cron import CronScheduler

    from app.services.jobs import runtime

    rt = runtime(app)
    if not rt.embedded or not SCHEDULE:
        return None
    lock = SchedulerLock(Path(app.config["INSTANCE_DIR"]) / "scheduler.lock")
    retry = float(app.config.get("SCHEDULER_LOCK_RETRY", 30))
    stop = rt._stop

    def make_scheduler() -> CronScheduler:
        scheduler = CronScheduler(connection=rt.connection, name=f"clientele-embedded-{os.getpid()}",
                                  logging_level=logging.WARNING)
        for item in SCHEDULE:
            scheduler.register(resolve(item.func), queue_name=app.config["RQ_QUEUE"],
                               cron=cron_expression(app.config, item), job_timeout=6 * 3600)
        return scheduler

    def loop():
        scheduler, refused_logged = None, False
        try:
            while not stop.is_set():
                if not lock.acquire():
                    if not refused_logged:
                        log.warning("periodic jobs: %s runs the scheduler (%s); pid %s starts none", lock.holder(),
                                    lock.path, os.getpid())
                        refused_logged = True
                    stop.wait(retry)
                    continue
                if scheduler is None:
                    log.warning("periodic jobs: the scheduler runs in pid %s (lock %s)", os.getpid(), lock.path)
                    scheduler = make_scheduler()  # registered now, so a job due while another held it is not replayed
                try:
                    if scheduler.enqueue_jobs():
                        rt.ensure_worker_thread()
                except Exception:
                    log.exception("embedded scheduler iteration failed")
                stop.wait(min(scheduler.calculate_sleep_interval() or 1, 30))
        finally:
            lock.release()

    thread = threading.Thread(target=loop, name="clientele-cron", daemon=True)
    thread.lock = lock  # tests and the log ask who runs it
    thread.start()
    return thread
