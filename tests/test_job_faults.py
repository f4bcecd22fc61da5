"""Jobs that survive faults, with the real parts: Redis, separate `rq worker` processes killed with SIGKILL in the
middle of a list, an import and a backup; the sweep settles what they left; the Jobs page says what happened."""
import csv
import io
import os
import signal
import subprocess
import sys
import time
import uuid
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from app.config import BASE_DIR
from app.extensions import db
from app.models import Company, JobRecord
from app.models.address_lists import AddressList
from app.models.org import User
from app.services import jobs
from tests.conftest import require_service


def _redis_available(url: str) -> bool:
    try:
        from redis import Redis

        return bool(Redis.from_url(url, socket_connect_timeout=1).ping())
    except Exception:
        return False


@pytest.fixture
def rq_env(app, tmp_path):
    """The portal on a real Redis with a queue of its own, and the environment an `rq worker` process needs to
    reach the same database and folders."""
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    require_service("Redis", _redis_available(url), url)
    queue = f"test-{uuid.uuid4().hex[:8]}"
    keys = ("REDIS_URL", "RQ_QUEUE", "UPLOAD_DIR", "EXPORT_DIR", "BACKUP_DIR", "BACKUP_COPY_DIR")
    saved = {k: app.config[k] for k in keys}
    app.config.update(REDIS_URL=url, RQ_QUEUE=queue, UPLOAD_DIR=tmp_path / "uploads", EXPORT_DIR=tmp_path / "exports",
                      BACKUP_DIR=tmp_path / "backups", BACKUP_COPY_DIR=None)
    app.extensions.pop(jobs.EXT_KEY, None)
    env = dict(os.environ, DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"], REDIS_URL=url, RQ_QUEUE=queue,
               SECRET_KEY="x", CLIENTELE_INSTANCE=str(tmp_path), UPLOAD_DIR=str(tmp_path / "uploads"),
               EXPORT_DIR=str(tmp_path / "exports"), BACKUP_DIR=str(tmp_path / "backups"))
    env.pop("BACKUP_COPY_DIR", None)
    yield SimpleNamespace(url=url, queue=queue, env=env)
    app.config.update(saved)
    app.extensions.pop(jobs.EXT_KEY, None)


def _worker(rq, burst: bool = False) -> subprocess.Popen:
    """A separate `rq worker` process (its own session, so SIGKILL reaches the work horse it forks too)."""
    return subprocess.Popen([sys.executable, "-m", "rq.cli", "worker", *(["--burst"] if burst else []),
                             "--url", rq.url, rq.queue], env=rq.env, cwd=BASE_DIR, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)


def _row(app, job_id: str) -> JobRecord:
    with app.app_context():
        db.session.expire_all()
        row = db.session.get(JobRecord, job_id)
        db.session.expunge(row)
        return row


def _kill_when_started(app, rq, job_id: str) -> None:
    """Start a worker, SIGKILL it and the work horse running the job once the job is under way: RQ says it
    started and it reported some progress (read from Redis, which answers in a moment)."""
    from redis import Redis
    from rq.job import Job

    connection = Redis.from_url(rq.url)
    worker = _worker(rq)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and worker.poll() is None:
            job = Job.fetch(job_id, connection=connection)
            if job.get_status() == "started" and job.get_meta().get("progress", 0) > 0:
                break
            time.sleep(0.005)
        horse = _row(app, job_id).owner  # the work horse RQ forked (its own session): pid@host
        if horse:
            os.kill(int(horse.partition("@")[0]), signal.SIGKILL)
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        out = worker.communicate(timeout=30)[0].decode()
    row = _row(app, job_id)
    assert row.status == "started", ("the kill came too late or the worker failed", row.status, row.error, out[-2000:])


def _an_hour_later(app) -> int:
    """The sweep as it runs once the dead worker's heartbeat has expired (RQ judges it at this moment)."""
    with app.app_context():
        return jobs.settle_abandoned(app, timestamp=time.time() + 3600)


def _finish_with_a_burst_worker(rq) -> str:
    worker = _worker(rq, burst=True)
    out = worker.communicate(timeout=300)[0].decode()
    assert worker.returncode == 0, out[-3000:]
    return out


def _russian_starter(app, make_user, role="staff", unit="promotion"):
    person = make_user(role, unit)
    with app.app_context():
        db.session.get(User, person.id).locale = "ru"
        db.session.commit()
    return person


def _seed(app, companies: int) -> None:
    from app.demo import seed_demo

    with app.app_context():
        seed_demo(db.session, companies=companies, seed=5)
        db.session.commit()


def test_a_list_whose_worker_is_killed_is_generated_again_in_full(app, rq_env, make_user, auth):
    from app.promotion.jobs import generate_list_job
    from app.services import address_lists

    _seed(app, 3000)
    person = _russian_starter(app, make_user)
    with app.app_context():
        segment = address_lists.save_segment(db.session, "Все", {}, person.id)
        lst = address_lists.create_list(db.session, segment, "phone", "csv", {}, person.id, 30)
        db.session.commit()
        list_id, expected = lst.id, address_lists.count(db.session, {})["contacts"]
        job_id = jobs.enqueue(generate_list_job, list_id, kind="address_list", title="Все", user_id=person.id).id
    _kill_when_started(app, rq_env, job_id)
    assert _an_hour_later(app) == 1
    row = _row(app, job_id)
    assert row.status == "queued" and "остановился" in row.message  # RQ queued it again: lists are safe to rerun
    _finish_with_a_burst_worker(rq_env)
    row = _row(app, job_id)
    assert row.status == "finished", row.error
    with app.app_context():
        lst = db.session.get(AddressList, list_id)
        assert lst.state == "ready"
        path = app.config["EXPORT_DIR"] / lst.file_name
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
        assert len(rows) - 1 == lst.rows and 0 < lst.rows <= expected
        assert not list(app.config["EXPORT_DIR"].glob("*.part"))  # the killed run's partial file was replaced


def test_an_import_whose_worker_is_killed_changes_nothing_and_says_why(app, rq_env, make_user, auth):
    from app.data_quality.jobs import import_job
    from app.services import imports

    person = _russian_starter(app, make_user, "staff", "crm")
    lines = ["Наименование;ИНН;Город;Телефон"] + [f"Компания {i};;Москва;+7 495 {i:07d}" for i in range(6000)]
    with app.app_context():
        before = db.session.scalar(select(func.count(Company.id)))
        run = imports.store_upload(db.session, app.config["UPLOAD_DIR"], "company", "big.csv",
                                   "\r\n".join(lines).encode("cp1251"), person.id)
        run.mapping = {"Наименование": "legal_name", "Город": "city", "Телефон": "phone"}
        run.options = {"on_duplicate": "create", "all_or_nothing": True}
        db.session.commit()
        job_id = jobs.enqueue(import_job, run.id, None, kind="crm_import", title="Импорт", user_id=person.id).id
    _kill_when_started(app, rq_env, job_id)
    assert _an_hour_later(app) == 1
    row = _row(app, job_id)
    assert row.status == "failed"  # imports are not rerun behind a person's back
    assert "Обработчик, выполнявший это задание, остановился" in row.error
    with app.app_context():
        assert db.session.scalar(select(func.count(Company.id))) == before  # all or nothing: nothing
    auth.login(person)
    page = auth.get("/jobs/").get_data(as_text=True)
    assert "Обработчик, выполнявший это задание, остановился" in page
    # a second worker finds nothing left to do, and the row stays settled
    _finish_with_a_burst_worker(rq_env)
    assert _row(app, job_id).status == "failed"
    with app.app_context():
        assert db.session.scalar(select(func.count(Company.id))) == before


def _scratches_since(app, since: float) -> list[str]:
    """PostgreSQL scratch databases of verifications started since then (their name carries their start)."""
    import re

    from sqlalchemy import text

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            return []
        database = db.engine.url.database
        pattern = re.compile(re.escape(database[:40]) + r"_verify_([0-9a-f]+)_[0-9a-f]{6}$")
        with db.engine.connect() as conn:
            names = conn.execute(text("SELECT datname FROM pg_database")).scalars().all()
    return [n for n in names if (m := pattern.match(n)) and int(m.group(1), 16) >= int(since)]


def _drop_scratches_since(app, since: float) -> None:
    """The scratch database of a verification this test killed: the product leaves one younger than a day alone
    (it may belong to a verification still running); the test knows its own is dead."""
    from sqlalchemy import text

    names = _scratches_since(app, since)
    with app.app_context(), db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for name in names:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_a_backup_whose_worker_is_killed_is_made_again_and_verified(app, rq_env, make_user, request):
    from app.backups.jobs import backup_now_job
    from app.services import backups

    started = time.time()
    request.addfinalizer(lambda: _drop_scratches_since(app, started))
    _seed(app, 1500)
    admin = _russian_starter(app, make_user, "admin", "distribution")
    with app.app_context():
        job_id = jobs.enqueue(backup_now_job, kind="backup", title="Копия", user_id=admin.id, timeout=3600).id
    _kill_when_started(app, rq_env, job_id)
    assert _an_hour_later(app) == 1
    assert _row(app, job_id).status == "queued"
    _finish_with_a_burst_worker(rq_env)
    row = _row(app, job_id)
    assert row.status == "finished", row.error
    with app.app_context():
        made = backups.list_backups(app.config)
        assert [b.status for b in made] == ["verified"]  # one whole backup; the killed one left no file behind


def test_the_start_up_sweep_settles_rows_of_dead_processes_and_leaves_live_ones(app, make_user):
    """Embedded default: a row queued by a portal process that no longer runs is marked failed; a row of a
    process that still runs (another gunicorn worker) is left to it."""
    import socket
    from datetime import timedelta

    from app.models.base import utcnow

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    host = socket.gethostname()
    person = _russian_starter(app, make_user)
    with app.app_context():
        old = utcnow() - timedelta(minutes=5)
        db.session.add_all([
            JobRecord(id="dead" + "0" * 28, kind="address_list", title="x", user_id=person.id, status="started",
                      owner=f"{dead.stdout.strip()}@{host}", created_at=old),
            JobRecord(id="live" + "0" * 28, kind="address_list", title="y", user_id=person.id, status="queued",
                      owner=f"{os.getppid()}@{host}", created_at=old),
            JobRecord(id="young" + "0" * 27, kind="address_list", title="z", user_id=person.id, status="queued",
                      owner=f"{dead.stdout.strip()}@{host}"),
        ])
        db.session.commit()
        assert jobs.settle_abandoned(app) == 1
    assert _row(app, "dead" + "0" * 28).status == "failed"
    assert "портал или Redis перезапустились" in _row(app, "dead" + "0" * 28).error
    assert _row(app, "live" + "0" * 28).status == "queued"
    assert _row(app, "young" + "0" * 27).status == "queued"  # may not have reached the queue yet


def test_every_job_kind_runs_through_redis_and_an_rq_worker_process(app, rq_env, make_user):
    """Backup, restore, import, duplicate scans, a list (above), demo seeding (test_jobs) and every periodic job:
    queued on Redis, run by a separate `rq worker`, their rows finished with the result a person reads."""
    from app.backups.jobs import backup_now_job, restore_job
    from app.data_quality.jobs import import_job, scan_job
    from app.schedule import SCHEDULE, resolve
    from app.services import backups, imports

    started = time.time()
    _seed(app, 40)
    admin = make_user("admin", "distribution")
    lines = ["Наименование;Город", "Ромашка Импорт;Тверь", "Гранит Импорт;Казань"]
    with app.app_context():
        run = imports.store_upload(db.session, app.config["UPLOAD_DIR"], "company", "two.csv",
                                   "\r\n".join(lines).encode("cp1251"), admin.id)
        run.mapping, run.options = {"Наименование": "legal_name", "Город": "city"}, {"on_duplicate": "create"}
        db.session.commit()
        queued = {
            "backup": jobs.enqueue(backup_now_job, kind="backup", title="b", user_id=admin.id).id,
            "crm_import": jobs.enqueue(import_job, run.id, None, kind="crm_import", title="i", user_id=admin.id).id,
            "dedup_scan_company": jobs.enqueue(scan_job, "company", None, None, kind="dedup_scan_company",
                                               title="s", user_id=admin.id).id,
            "dedup_scan_contact": jobs.enqueue(scan_job, "contact", None, None, kind="dedup_scan_contact",
                                               title="s", user_id=admin.id).id,
        }
        for item in SCHEDULE:  # as `rq cron` queues them: no row until the worker starts them
            jobs.runtime().queue.enqueue(resolve(item.func), job_timeout=600)
    _finish_with_a_burst_worker(rq_env)
    for kind, job_id in queued.items():
        row = _row(app, job_id)
        assert row.status == "finished", (kind, row.error)
    with app.app_context():
        assert db.session.scalar(select(func.count(Company.id)).where(Company.legal_name.like("%Импорт"))) == 2
        periodic = {r.kind for r in db.session.scalars(select(JobRecord).where(JobRecord.user_id.is_(None)))}
        assert {"backup_nightly", "address_list_purge", "import_cleanup"} <= periodic
        assert all(r.status == "finished" for r in db.session.scalars(select(JobRecord)))
        newest = backups.list_backups(app.config)[0]  # the nightly one, after the import (retention keeps one a day)
        assert newest.status == "verified"
        # each verification dropped its scratch database within its job (a work horse's threads die with it)
        assert _scratches_since(app, started) == []
        companies = db.session.scalar(select(func.count(Company.id)))
        db.session.add(Company(legal_name="После копии", name_sort="после копии", status="client"))
        db.session.commit()
        restore_id = jobs.enqueue(restore_job, newest.name, kind="backup_restore", title="r", user_id=admin.id).id
        db.session.remove()
        db.engine.dispose()  # the restore replaces the database: hold no connection to it meanwhile
    _finish_with_a_burst_worker(rq_env)
    row = _row(app, restore_id)
    assert row.status == "finished", row.error
    with app.app_context():
        assert db.session.scalar(select(func.count(Company.id))) == companies  # as in the backup
        db.session.remove()
        db.engine.dispose()
