"""Running in production: one scheduler (in the embedded default only the portal process holding
instance/scheduler.lock enqueues periodic jobs, another takes over when it dies; with Redis the portal starts none,
`rq cron app.cron_config` is the one and registers every periodic job), and ProxyFix from PROXY_COUNT."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from app.config import BASE_DIR

# A portal process as gunicorn would run it: its app, its first request (which starts worker and scheduler).
PORTAL = """
import sys, time
from app import create_app
from app.config import TestConfig
settings = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
app = create_app({**settings, "SQLALCHEMY_DATABASE_URI": "sqlite:///" + sys.argv[1] + "/portal.db", "REDIS_URL": None,
                  "INSTANCE_DIR": sys.argv[1], "START_INPROCESS_WORKER": True, "SCHEDULER_LOCK_RETRY": 0.2})
with app.test_client() as client:
    client.get("/login")
from app.services.jobs import runtime
cron = runtime(app)._cron
for _ in range(100):
    if cron.lock.held:
        break
    time.sleep(0.05)
print("held" if cron.lock.held else "refused", flush=True)
while not cron.lock.held:
    time.sleep(0.05)
print("took over", flush=True)
time.sleep(600)
"""


def _portal(instance: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", PORTAL, str(instance)], cwd=BASE_DIR, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONUNBUFFERED="1"))


def _said(proc: subprocess.Popen) -> str:
    """The portal's next word about the lock (its other output is log lines)."""
    for line in proc.stdout:
        if line.strip() in ("held", "refused", "took over"):
            return line.strip()
    return f"exited: {proc.wait(10)} {proc.stderr.read()[-2000:]}"


def test_two_portal_processes_run_one_scheduler_and_the_second_takes_over(tmp_path):
    first = _portal(tmp_path)
    second = None
    try:
        assert _said(first) == "held"
        assert (tmp_path / "scheduler.lock").read_text().startswith(f"pid {first.pid} ")
        second = _portal(tmp_path)
        assert _said(second) == "refused"
        first.send_signal(signal.SIGKILL)  # the kernel releases a dead process's lock
        first.wait(10)
        assert _said(second) == "took over"
        assert (tmp_path / "scheduler.lock").read_text().startswith(f"pid {second.pid} ")
        second.kill()
        log = second.stderr.read()
        assert f"pid {first.pid} on" in log and "starts none" in log  # the log names the process that runs it
        assert f"the scheduler runs in pid {second.pid}" in log
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait(10)


def test_with_redis_the_portal_starts_no_scheduler(tmp_path):
    from app import create_app
    from app.config import TestConfig
    from app.schedule import start_embedded_scheduler

    settings = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    portal = create_app({**settings, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'r.db'}",
                         "REDIS_URL": "redis://127.0.0.1:6379/8", "INSTANCE_DIR": tmp_path})
    assert start_embedded_scheduler(portal) is None
    assert not (tmp_path / "scheduler.lock").exists()


def test_the_cron_config_registers_every_periodic_job():
    """`rq cron app.cron_config` (and the checkout's cron_config.py shim) load every job of app/schedule.py."""
    from rq.cron import CronScheduler

    from app.schedule import SCHEDULE, resolve

    for config in ("app.cron_config", "cron_config.py"):
        for name in ("app.cron_config", "cron_config"):
            sys.modules.pop(name, None)
        scheduler = CronScheduler(connection=__import__("fakeredis").FakeRedis())
        scheduler.load_config_from_file(config)
        registered = {(job.func, job.cron) for job in scheduler.get_jobs()}
        expected = {(resolve(item.func), item.default_cron) for item in SCHEDULE}
        assert registered == expected, config
        assert all(job.queue_name == "clientele" for job in scheduler.get_jobs())


def test_behind_proxy_count_proxies_the_client_address_and_scheme_come_from_their_headers(tmp_path):
    """PROXY_COUNT=1 (one nginx, see deploy/): ProxyFix takes the last X-Forwarded-For hop; 0 trusts none."""
    from flask import request

    from app import create_app
    from app.config import TestConfig

    settings = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    seen = []
    for count in (1, 0):
        portal = create_app({**settings, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}",
                             "INSTANCE_DIR": tmp_path, "PROXY_COUNT": count})
        portal.before_request(lambda: seen.append((request.remote_addr, request.scheme)) and None)
        portal.test_client().get("/login", environ_base={"REMOTE_ADDR": "127.0.0.1"},
                                 headers={"X-Forwarded-For": "6.6.6.6, 203.0.113.7", "X-Forwarded-Proto": "https"})
    assert seen == [("203.0.113.7", "https"), ("127.0.0.1", "http")]
