"""A full duplicate scan split into shards that any number of `rq worker` processes run: merged, it is the
single-process scan (same pairs, same scores, same groups), in the embedded default and through Redis with
separate worker processes; the Jobs page counts the shards; a shard whose worker is killed is run again, and a
shard that dies for good fails its scan with a reason a person can read."""
import os
import signal
import subprocess
import sys
import time
import uuid
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from app.config import BASE_DIR
from app.data_quality.jobs import scan_job
from app.extensions import db
from app.matching import merge_shards
from app.models import JobRecord
from app.models.duplicates import DuplicateGroup
from app.models.org import User
from app.services import duplicates, jobs, matching
from bench.synthetic import insert_base
from tests.conftest import require_service


def _base(app, kind: str, n: int) -> None:
    with app.app_context():
        insert_base(db.session, kind, n)
        db.session.commit()


def _queue_rows(kind: str) -> list:
    rows = db.session.scalars(select(DuplicateGroup).where(DuplicateGroup.kind == kind,
                                                           DuplicateGroup.status == "open"))
    return sorted((tuple(g.member_ids), g.score, tuple((p["a"], p["b"], p["score"], p["band"]) for p in g.pairs))
                  for g in rows)


def _pairs(candidates) -> list:
    return [(c.a_id, c.b_id, c.score, [(r.code, r.params) for r in c.reasons]) for c in candidates]


def _single_process(app, kind: str) -> SimpleNamespace:
    """The scan in one process and the review queue it makes (then undone: the test's scan makes its own)."""
    with app.app_context():
        found = matching.scan(db.session, kind)
        duplicates.fill_queue(db.session, kind, found)
        out = SimpleNamespace(pairs=_pairs(found), groups=_queue_rows(kind))
        db.session.rollback()
    assert len(out.pairs) > 20 and len(out.groups) > 10  # the generated base has duplicates to find
    return out


def _sharded(app, kind: str, job_id: str, connection) -> SimpleNamespace:
    """What a sharded scan left: its shards' pairs (read back from RQ) merged, and the review queue."""
    from rq.job import Job

    with app.app_context():
        db.session.expire_all()
        parts = Job.fetch(job_id, connection=connection).get_meta()["parts"]
        results = [j.return_value() for j in Job.fetch_many(parts, connection=connection)]
        found = matching.without_decided(db.session, kind, merge_shards(results))
        return SimpleNamespace(pairs=_pairs(found), groups=_queue_rows(kind), shards=len(parts))


def _russian(app, make_user):
    person = make_user("staff", "crm")
    with app.app_context():
        db.session.get(User, person.id).locale = "ru"
        db.session.commit()
    return person


def _row(app, job_id: str) -> JobRecord:
    with app.app_context():
        db.session.expire_all()
        row = db.session.get(JobRecord, job_id)
        db.session.expunge(row)
        return row


@pytest.mark.parametrize("shards", [2, 7])
def test_firms_with_hundreds_of_records_stay_whole_when_the_scan_is_sharded(shards):
    """Oversized blocks (walked by a window and group leaders) fall in several shards; a pair that two shards
    propose counts once, and union-find over the union of the shards' pairs gives the same groups, the
    largest firm's hundreds of spellings still one connected group."""
    from collections import Counter

    from app.matching import COMPANY_SCHEMA, Matcher, cluster
    from bench.company_sets import registry_set

    records = registry_set(120, seed=16)
    entity = {r["id"]: r["entity"] for r in records}
    m = Matcher(COMPANY_SCHEMA)
    idx = m.index({"id": r["id"], "name": r["name"]} for r in records)
    whole = m.scan(idx)
    parts = [Matcher(COMPANY_SCHEMA).scan_shard(Matcher(COMPANY_SCHEMA).restore(idx.state()), s, shards)
             for s in range(shards)]
    merged = merge_shards(parts)
    assert sum(len(p) for p in parts) > len(merged) == len({(c.a_id, c.b_id) for c in merged})  # overlaps, once
    assert _pairs(merged) == _pairs(whole)

    def groups(found):
        return sorted(sorted(g) for g in cluster(found, m.thresholds.review, max_size=10_000, min_link=0.2,
                                                 verify=m.verifier(idx)))

    assert groups(merged) == groups(whole)
    biggest = Counter(entity.values()).most_common(1)[0]
    largest_group = max(groups(merged), key=len)
    assert len(largest_group) > biggest[1] * 0.8 and {entity[i] for i in largest_group} == {biggest[0]}


@pytest.mark.parametrize("kind", ["company", "contact"])
def test_an_in_process_sharded_scan_equals_the_single_process_one(app, kind):
    _base(app, kind, 1500)
    expected = _single_process(app, kind)
    with app.app_context():
        job_id = jobs.enqueue(scan_job, kind, None, None, 5, kind=f"dedup_scan_{kind}", title="s", user_id=None).id
        done = jobs.wait_for(job_id, timeout=300)
        assert done.status == "finished", done.error
        assert done.result_text == f"{len(expected.groups)} groups, {len(expected.pairs)} pairs"
    got = _sharded(app, kind, job_id, jobs.runtime(app).connection)
    assert got.shards == 5
    assert got.pairs == expected.pairs  # same pairs, same scores, same reasons, same order
    assert got.groups == expected.groups


def test_the_jobs_page_counts_the_shards_in_the_starters_language(app, auth, make_user):
    from app.services.jobs import ThreadWorker

    _base(app, "company", 300)
    person = _russian(app, make_user)
    with app.app_context():
        job_id = jobs.enqueue(scan_job, "company", None, None, 4, kind="dedup_scan_company", title="Поиск дублей",
                              user_id=person.id).id
        rt = jobs.runtime(app)
        worker = ThreadWorker([rt.queue], connection=rt.connection)
        worker.flask_app = app
        worker.work(burst=True, max_jobs=3, logging_level="WARNING")  # the scan itself and two of its four shards
    auth.login(person)
    page = auth.get("/jobs/").get_data(as_text=True)
    assert "части: 2 из 4" in page
    with app.app_context():
        assert jobs.wait_for(job_id, timeout=300).status == "finished"
    assert "Готово" in auth.get(f"/jobs/{job_id}", htmx=True).get_data(as_text=True)


def test_a_shard_whose_index_is_gone_fails_the_scan_with_a_reason(app, make_user):
    """The part fails (after its one rerun); the merge still runs and says which part failed, in Russian."""
    from app.services.jobs import ThreadWorker

    _base(app, "company", 300)
    person = _russian(app, make_user)
    with app.app_context():
        job_id = jobs.enqueue(scan_job, "company", None, None, 3, kind="dedup_scan_company", title="s",
                              user_id=person.id).id
        rt = jobs.runtime(app)
        worker = ThreadWorker([rt.queue], connection=rt.connection)
        worker.flask_app = app
        worker.work(burst=True, max_jobs=1, logging_level="WARNING")  # the scan: index stored, shards queued
        for key in rt.connection.scan_iter(f"clientele:scan:{job_id}:*"):
            rt.connection.delete(key)
        done = jobs.wait_for(job_id, timeout=300)
    assert done.status == "failed"
    assert "Часть 1 из 3" in done.error and "начните поиск заново" in done.error
    with app.app_context():
        assert _queue_rows("company") == []


def test_a_scan_whose_merge_job_is_lost_is_settled_as_lost(app, make_user):
    """The sweep settles a fanned-out scan against the job that was to end it: gone from Redis, the row fails."""
    from rq.job import Job

    from app.services.jobs import ThreadWorker

    _base(app, "company", 200)
    person = _russian(app, make_user)
    with app.app_context():
        job_id = jobs.enqueue(scan_job, "company", None, None, 2, kind="dedup_scan_company", title="s",
                              user_id=person.id).id
        rt = jobs.runtime(app)
        worker = ThreadWorker([rt.queue], connection=rt.connection)
        worker.flask_app = app
        worker.work(burst=True, max_jobs=1, logging_level="WARNING")
        Job.fetch(Job.fetch(job_id, connection=rt.connection).get_meta()["then"], connection=rt.connection).delete()
        assert jobs.settle_abandoned(app) == 1
    row = _row(app, job_id)
    assert row.status == "failed" and "портал или Redis перезапустились" in row.error


# --- through Redis and separate `rq worker` processes --------------------------------------------


def _redis_available(url: str) -> bool:
    try:
        from redis import Redis

        return bool(Redis.from_url(url, socket_connect_timeout=1).ping())
    except Exception:
        return False


@pytest.fixture
def rq_env(app, tmp_path):
    """The portal on a real Redis with a queue of its own, and the environment an `rq worker` needs."""
    from redis import Redis

    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    require_service("Redis", _redis_available(url), url)
    queue = f"test-{uuid.uuid4().hex[:8]}"
    saved = (app.config["REDIS_URL"], app.config["RQ_QUEUE"])
    app.config.update(REDIS_URL=url, RQ_QUEUE=queue)
    app.extensions.pop(jobs.EXT_KEY, None)
    env = dict(os.environ, DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"], REDIS_URL=url, RQ_QUEUE=queue,
               SECRET_KEY="x", CLIENTELE_INSTANCE=str(tmp_path))
    started: list[subprocess.Popen] = []

    def worker(*options: str) -> subprocess.Popen:
        """A separate `rq worker` process (its own session, so SIGKILL reaches the work horse it forks too)."""
        proc = subprocess.Popen([sys.executable, "-m", "rq.cli", "worker", *options, "--url", url, queue],
                                env=env, cwd=BASE_DIR, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                start_new_session=True)
        started.append(proc)
        return proc

    yield SimpleNamespace(url=url, queue=queue, worker=worker, connection=Redis.from_url(url))
    for proc in started:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)
    app.config.update(REDIS_URL=saved[0], RQ_QUEUE=saved[1])
    app.extensions.pop(jobs.EXT_KEY, None)


def _wait_done(app, job_id: str, seconds: float = 600) -> JobRecord:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        row = _row(app, job_id)
        if row.is_done:
            return row
        time.sleep(0.2)
    raise TimeoutError(job_id)


def _burst(rq, *options: str) -> str:
    proc = rq.worker("--burst", *options)
    out = proc.communicate(timeout=600)[0].decode()
    assert proc.returncode == 0, out[-3000:]
    return out


def test_two_rq_worker_processes_give_the_single_process_result(app, rq_env):
    _base(app, "company", 1500)
    expected = _single_process(app, "company")
    with app.app_context():
        job_id = jobs.enqueue(scan_job, "company", None, None, 4, kind="dedup_scan_company", title="s",
                              user_id=None).id
    first, second = rq_env.worker(), rq_env.worker()
    row = _wait_done(app, job_id)
    assert row.status == "finished", row.error
    for proc in (first, second):
        assert proc.poll() is None  # both still serve the queue
    got = _sharded(app, "company", job_id, rq_env.connection)
    assert got.shards == 4
    assert got.pairs == expected.pairs
    assert got.groups == expected.groups


def _kill_shard_when_started(app, rq, shard_id: str, before: str | None = None) -> str:
    """A worker takes the queued shards; SIGKILL it and its work horse once this shard is running (in a work
    horse other than `before`, the one killed last time). Returns the horse killed (pid@host)."""
    from rq.job import Job

    proc = rq.worker()
    deadline = time.monotonic() + 300
    owner = None
    while time.monotonic() < deadline and proc.poll() is None:
        job = Job.fetch(shard_id, connection=rq.connection)
        owner = job.get_meta().get("owner") if job.get_status() == "started" else None
        if owner and owner != before:
            break
        time.sleep(0.005)
    assert owner and owner != before, "the shard never started"
    os.kill(int(owner.partition("@")[0]), signal.SIGKILL)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    assert Job.fetch(shard_id, connection=rq.connection).get_status() == "started", "the kill came too late"
    return owner


def _an_hour_later(app) -> int:
    with app.app_context():
        return jobs.settle_abandoned(app, timestamp=time.time() + 3600)


def test_a_killed_shard_worker_is_replaced_and_the_result_is_the_same(app, rq_env, make_user):
    from rq.job import Job

    _base(app, "company", 5000)
    expected = _single_process(app, "company")
    with app.app_context():
        job_id = jobs.enqueue(scan_job, "company", None, None, 2, kind="dedup_scan_company", title="s",
                              user_id=_russian(app, make_user).id).id
    _burst(rq_env, "--max-jobs", "1")  # the scan itself: index stored, shards and merge queued
    last = Job.fetch(job_id, connection=rq_env.connection).get_meta()["parts"][-1]
    _kill_shard_when_started(app, rq_env, last)
    _an_hour_later(app)  # RQ sees the dead worker and queues the shard again (scans are safe to rerun)
    assert Job.fetch(last, connection=rq_env.connection).get_status() == "queued"
    assert _row(app, job_id).status == "started"
    _burst(rq_env)
    row = _row(app, job_id)
    assert row.status == "finished", row.error
    got = _sharded(app, "company", job_id, rq_env.connection)
    assert got.pairs == expected.pairs
    assert got.groups == expected.groups


def test_a_shard_killed_twice_fails_the_scan_and_says_why(app, rq_env, make_user, auth):
    from rq.job import Job

    _base(app, "company", 5000)
    person = _russian(app, make_user)
    with app.app_context():
        job_id = jobs.enqueue(scan_job, "company", None, None, 2, kind="dedup_scan_company", title="Поиск дублей",
                              user_id=person.id).id
    _burst(rq_env, "--max-jobs", "1")
    first = Job.fetch(job_id, connection=rq_env.connection).get_meta()["parts"][0]
    killed = None
    for _ in range(2):
        killed = _kill_shard_when_started(app, rq_env, first, before=killed)
        _an_hour_later(app)
    assert Job.fetch(first, connection=rq_env.connection).get_status() == "failed"
    _burst(rq_env)  # the other shard, then the merge, which fails the scan
    row = _row(app, job_id)
    assert row.status == "failed"
    assert "Часть 1 из 2" in row.error and "Обработчик, выполнявший это задание, остановился" in row.error
    auth.login(person)
    assert "Часть 1 из 2" in auth.get("/jobs/").get_data(as_text=True)
    with app.app_context():
        assert _queue_rows("company") == []


def test_the_command_line_scan_in_shards_writes_the_same_pairs(app, tmp_path):
    _base(app, "company", 600)
    runner = app.test_cli_runner()
    outputs = []
    for shards in ("1", "4"):
        path = tmp_path / f"pairs-{shards}.csv"
        result = runner.invoke(args=["dedup", "scan", "--entity", "companies", "--shards", shards,
                                     "--output", str(path)])
        assert result.exit_code == 0, result.output
        outputs.append(path.read_text(encoding="utf-8"))
    assert outputs[0] == outputs[1] and outputs[0].count("\n") > 10
