"""Periodic jobs, declared once: `rq cron cron_config.py` runs them in production,
the in-process scheduler in the embedded default. Times are UTC."""
from __future__ import annotations

import importlib
import logging
import threading
from dataclasses import dataclass

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
]


def resolve(path: str):
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def cron_expression(app_config, item: Scheduled) -> str:
    return app_config.get(item.config_key) or item.default_cron


def start_embedded_scheduler(app: Flask) -> threading.Thread | None:
    """In the embedded default, enqueue due jobs from a thread using RQ's own CronScheduler."""
    from rq.cron import CronScheduler

    from app.services.jobs import runtime

    rt = runtime(app)
    if not rt.embedded or not SCHEDULE:
        return None
    scheduler = CronScheduler(connection=rt.connection, name="clientele-embedded")
    for item in SCHEDULE:
        scheduler.register(resolve(item.func), queue_name=app.config["RQ_QUEUE"],
                           cron=cron_expression(app.config, item), job_timeout=6 * 3600)
    stop = rt._stop

    def loop():
        while not stop.is_set():
            try:
                if scheduler.enqueue_jobs():
                    rt.ensure_worker_thread()
            except Exception:
                log.exception("embedded scheduler iteration failed")
            stop.wait(min(scheduler.calculate_sleep_interval() or 1, 30))

    thread = threading.Thread(target=loop, name="clientele-cron", daemon=True)
    thread.start()
    return thread
