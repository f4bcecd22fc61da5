"""Background jobs: the same RQ path in the embedded default and with a real Redis and `rq worker`."""
import os
import subprocess
import sys
import uuid

import pytest
from sqlalchemy import func, select

from app.demo import seed_demo_job
from app.extensions import db
from app.models import Company, JobRecord
from app.services import jobs
from tests.conftest import require_service


def test_embedded_job_runs_records_progress_and_result(app, auth, make_user):
    admin = make_user("admin", "distribution")
    auth.login(admin)
    resp = auth.post("/jobs/demo", {"companies": 12, "seed": 3}, htmx=True)
    assert resp.status_code == 200 and 'role="progressbar"' in resp.get_data(as_text=True)
    with app.app_context():
        job_id = db.session.scalars(select(JobRecord.id)).one()
        done = jobs.wait_for(job_id)
        assert done.status == "finished" and done.progress == 100
        assert "12 companies" in done.result_text
        assert db.session.scalar(select(func.count(Company.id))) >= 12
    fragment = auth.get(f"/jobs/{job_id}", htmx=True)
    assert fragment.status_code == 286  # stops htmx polling
    assert "Done" in fragment.get_data(as_text=True)
    assert "Demo data: 12 companies" in auth.get("/jobs/").get_data(as_text=True)


def test_a_failing_job_shows_a_readable_error(app, make_user):
    with app.app_context():
        record = jobs.enqueue(seed_demo_job, -5, "not-a-seed", kind="demo_seed", title="broken", user_id=None)
        done = jobs.wait_for(record.id)
        assert done.status == "failed"
        assert "number of companies" in done.error


def test_other_peoples_jobs_are_hidden(app, auth, make_user):
    owner = make_user("admin", "distribution")
    with app.app_context():
        job_id = jobs.enqueue(seed_demo_job, 1, 1, kind="demo_seed", title="mine", user_id=owner.id).id
    auth.login(make_user("staff", "sales"))
    assert auth.get(f"/jobs/{job_id}").status_code == 404


def _redis_url() -> str:
    return os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _redis_available(url: str) -> bool:
    try:
        from redis import Redis

        return bool(Redis.from_url(url, socket_connect_timeout=1).ping())
    except Exception:
        return False


def test_real_redis_and_rq_worker_process(app, tmp_path):
    """A separate `rq worker` process picks the job from Redis and writes to the same database."""
    url = _redis_url()
    require_service("Redis", _redis_available(url), url)
    db_url = app.config["SQLALCHEMY_DATABASE_URI"]
    queue = f"test-{uuid.uuid4().hex[:8]}"
    original = (app.config["REDIS_URL"], app.config["RQ_QUEUE"])
    app.config.update(REDIS_URL=url, RQ_QUEUE=queue)
    app.extensions.pop(jobs.EXT_KEY, None)
    env = dict(os.environ, DATABASE_URL=db_url, REDIS_URL=url, RQ_QUEUE=queue, SECRET_KEY="x",
               CLIENTELE_INSTANCE=str(tmp_path))
    worker = subprocess.Popen([sys.executable, "-m", "rq.cli", "worker", "--burst", "--url", url, queue],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        with app.app_context():
            job_id = jobs.enqueue(seed_demo_job, 8, 2, kind="demo_seed", title="via redis", user_id=None).id
        out, _ = worker.communicate(timeout=120)
        if worker.returncode != 0:
            pytest.fail(out.decode())
        # burst mode may start before the enqueue; run it again to be sure the job was seen
        if b"Job OK" not in out:
            subprocess.run([sys.executable, "-m", "rq.cli", "worker", "--burst", "--url", url, queue],
                           env=env, check=True, timeout=120, capture_output=True)
        with app.app_context():
            db.session.expire_all()
            done = db.session.get(JobRecord, job_id)
            assert done.status == "finished", (done.status, done.error, out.decode()[-2000:])
            assert "8 companies" in done.result_text
    finally:
        if worker.poll() is None:
            worker.kill()
        app.config.update(REDIS_URL=original[0], RQ_QUEUE=original[1])
        app.extensions.pop(jobs.EXT_KEY, None)


@pytest.mark.parametrize("old_path", sorted(__import__("app.legacy_jobs", fromlist=["MOVED"]).MOVED))
def test_entry_points_queued_under_their_old_module_paths_still_resolve(old_path):
    """A job queued before a module moved names its old path; RQ must still find the same function there."""
    import importlib

    from rq.utils import import_attribute

    from app.legacy_jobs import MOVED

    new = importlib.import_module(MOVED[old_path])
    entry_points = [n for n, f in vars(new).items() if callable(f) and getattr(f, "__module__", "") == new.__name__
                    and getattr(f, "__wrapped__", None) is not None]
    assert entry_points, f"{MOVED[old_path]} holds no job entry points"
    for name in entry_points:
        assert import_attribute(f"{old_path}.{name}") is getattr(new, name)


def test_a_job_queued_under_an_old_path_runs(app):
    """The demo job as a worker from before the move would have queued it: app.tasks.seed_demo_job."""
    with app.app_context():
        record = jobs.enqueue("app.tasks.seed_demo_job", 2, 5, kind="demo_seed", title="old path", user_id=None)
        done = jobs.wait_for(record.id)
        assert done.status == "finished", done.error
        assert "2 companies" in done.result_text
