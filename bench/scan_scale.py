"""A full duplicate scan that scales out: the portal's scan job on N synthetic contacts in a database, run by
one and then by several `rq worker` processes on Redis, timed from enqueue to the finished row, with each
worker's peak memory (its own and its work horses'); optionally the single-process scan for comparison.

Run: python -m bench.scan_scale --contacts 50000 --workers 1,2 --redis redis://127.0.0.1:6379/6

The base is written once into a SQLite file (or --database URL) and reused by every run.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WRAPPER = """
import atexit, json, resource, sys
out = sys.argv[1]
def report():
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(out, "w") as f:
        json.dump({"self_mb": me.ru_maxrss / 1024, "horses_mb": kids.ru_maxrss / 1024,
                   "cpu_s": me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime}, f)
atexit.register(report)
sys.argv = ["rq", "worker", *sys.argv[2:]]
from rq.cli import main
main()
"""


def _app(database: str, redis: str | None, queue: str, instance: Path):
    from app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": database, "REDIS_URL": redis, "RQ_QUEUE": queue,
                       "START_INPROCESS_WORKER": False, "INSTANCE_DIR": instance, "SECRET_KEY": "bench",
                       "MATCHING_LEARN_WEIGHTS": os.environ.get("MATCHING_LEARN_WEIGHTS", "1") != "0"})


def seed(database: str, n: int, instance: Path) -> float:
    """Create the tables and write the base unless it is already there; returns seconds spent."""
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import Contact

    from .synthetic import insert_base

    app = _app(database, None, "bench", instance)
    with app.app_context():
        db.create_all()
        have = db.session.scalar(select(func.count(Contact.id))) or 0
        if have == n:
            return 0.0
        if have:
            raise SystemExit(f"{database} holds {have} contacts, not {n}: use another --database")
        t0 = time.perf_counter()
        insert_base(db.session, "contact", n)
        db.session.commit()
        return time.perf_counter() - t0


def sharded(database: str, redis: str, workers: int, shards: int | None, instance: Path) -> dict:
    """One scan job run by `workers` separate rq worker processes; wall time from enqueue to the finished row."""
    from redis import Redis
    from rq.job import Job

    from app.data_quality.jobs import scan_job
    from app.extensions import db
    from app.models import JobRecord
    from app.services import jobs

    queue = f"bench-{uuid.uuid4().hex[:8]}"
    app = _app(database, redis, queue, instance)
    env = dict(os.environ, DATABASE_URL=database, REDIS_URL=redis, RQ_QUEUE=queue, SECRET_KEY="bench",
               CLIENTELE_INSTANCE=str(instance), PYTHONPATH=str(ROOT))
    reports = [instance / f"{queue}-worker-{i}.json" for i in range(workers)]
    procs = [subprocess.Popen([sys.executable, "-c", WRAPPER, str(reports[i]), "--url", redis, "--name",
                               f"{queue}-{i}", queue], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True) for i in range(workers)]
    connection = Redis.from_url(redis)
    try:
        from rq import Queue, Worker

        deadline = time.monotonic() + 60
        while Worker.count(connection=connection, queue=Queue(queue, connection=connection)) < workers:
            if time.monotonic() > deadline:
                raise SystemExit("the rq workers did not start")
            time.sleep(0.2)
        with app.app_context():
            t0 = time.perf_counter()
            job_id = jobs.enqueue(scan_job, "contact", None, None, shards, kind="dedup_scan_contact",
                                  title="bench", user_id=None, timeout=6 * 3600).id
            while True:
                db.session.expire_all()
                row = db.session.get(JobRecord, job_id)
                if row.is_done:
                    break
                time.sleep(0.5)
            wall = time.perf_counter() - t0
            status, text, error = row.status, row.result_text, row.error
        parent = Job.fetch(job_id, connection=connection)
        parts = Job.fetch_many(parent.meta["parts"], connection=connection)
        merge = Job.fetch(parent.meta["then"], connection=connection)
        while merge.ended_at is None and time.monotonic() < deadline + 600:  # RQ closes it just after the row
            time.sleep(0.1)
            merge = Job.fetch(parent.meta["then"], connection=connection)
        shard_span = (max(p.ended_at for p in parts) - min(p.started_at for p in parts)).total_seconds()
        phases = {"index_fit_s": (parent.ended_at - parent.started_at).total_seconds(),
                  "shards_s": shard_span, "merge_s": (merge.ended_at - merge.started_at).total_seconds(),
                  "shard_s": [round((p.ended_at - p.started_at).total_seconds(), 1) for p in parts],
                  "shard_workers": sorted({p.worker_name for p in parts}),
                  "index_mb": parent.meta.get("index_bytes", 0) / 2**20}
    finally:
        for proc in procs:
            if proc.poll() is None:
                # warm shutdown of the worker alone (its idle group would take a second signal as a cold one):
                # the wrapper writes its report
                os.kill(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
    memory = [json.loads(r.read_text()) if r.exists() else {} for r in reports]
    for key in connection.scan_iter(f"clientele:scan:{job_id}:*"):
        connection.delete(key)
    return {"workers": workers, "shards": len(parts), "status": status, "result": text, "error": error,
            "wall_s": wall, **phases,
            "worker_peak_mb": [max(m["self_mb"], m["horses_mb"]) if m else None for m in memory],
            "worker_cpu_s": [m["cpu_s"] if m else None for m in memory]}


SINGLE = """
import json, resource, sys, time
from bench.scan_scale import _app
from app.extensions import db
from app.services import matching
app = _app(sys.argv[1], None, "bench", __import__("pathlib").Path(sys.argv[2]))
with app.app_context():
    t0 = time.perf_counter()
    found = matching.scan(db.session, "contact")
    wall = time.perf_counter() - t0
    db.session.rollback()
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"wall_s": wall, "pairs": len(found), "cpu_s": usage.ru_utime + usage.ru_stime,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def single(database: str, instance: Path) -> dict:
    """The same scan (index, fit, every shard) in one process without RQ: the baseline."""
    out = subprocess.run([sys.executable, "-c", SINGLE, database, str(instance)], cwd=ROOT, capture_output=True,
                         text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    if out.returncode:
        return {"error": out.stderr.strip().splitlines()[-1]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    """Seed once, then time the scan with each worker count (and once in one process)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--contacts", type=int, default=50_000)
    ap.add_argument("--workers", default="1,2", help="comma-separated worker counts to time")
    ap.add_argument("--shards", type=int, default=None, help="default: two per worker")
    ap.add_argument("--redis", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6"))
    ap.add_argument("--database", help="default: a SQLite file under the temp folder, reused")
    ap.add_argument("--single", action="store_true", help="also time the scan in one process without RQ")
    ap.add_argument("--hand-weights", action="store_true",
                    help="keep the hand-set weights (MATCHING_LEARN_WEIGHTS=0) instead of re-fitting them")
    args = ap.parse_args(argv)
    if args.hand_weights:
        os.environ["MATCHING_LEARN_WEIGHTS"] = "0"  # read by every process the bench starts
    instance = Path(tempfile.gettempdir()) / "clientele-scan-scale"
    instance.mkdir(exist_ok=True)
    database = args.database or f"sqlite:///{instance / f'contacts-{args.contacts}.db'}"
    started = datetime.now(UTC)
    seed_s = seed(database, args.contacts, instance)
    print(f"seeded {args.contacts} contacts in {seed_s:.1f} s ({database})", file=sys.stderr, flush=True)
    rows = []
    if args.single:
        rows.append(("one process, no RQ", single(database, instance)))
        print(json.dumps(rows[-1][1]), file=sys.stderr, flush=True)
    for w in [int(x) for x in args.workers.split(",")]:
        rows.append((f"{w} rq worker{'s' if w > 1 else ''}", sharded(database, args.redis, w, args.shards, instance)))
        print(json.dumps(rows[-1][1]), file=sys.stderr, flush=True)
    load = os.getloadavg()
    print(f"Run {started:%Y-%m-%d %H:%M} UTC, {args.contacts:,} contacts, "
          f"{'hand-set' if args.hand_weights else 'learnt'} weights, {os.cpu_count()} CPUs, "
          f"load average at the end {load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f}\n")
    print("| run | shards | wall s | index + fit s | shards s | merge s | CPU s per worker | peak MB per worker "
          "| index in Redis MB | result |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, r in rows:
        if "workers" not in r:
            print(f"| {name} | | {r.get('wall_s', 0):.1f} | | | | {r.get('cpu_s', 0):.1f} | {r.get('peak_mb', 0):.0f} "
                  f"| | {r.get('pairs', r.get('error'))} pairs |")
            continue
        peaks = " / ".join("not reported" if m is None else f"{m:.0f}" for m in r["worker_peak_mb"])
        cpus = " / ".join("not reported" if c is None else f"{c:.1f}" for c in r["worker_cpu_s"])
        print(f"| {name} | {r['shards']} | {r['wall_s']:.1f} | {r['index_fit_s']:.1f} | {r['shards_s']:.1f} "
              f"| {r['merge_s']:.1f} | {cpus} | {peaks} | {r['index_mb']:.0f} | {r['result'] or r['error']} |")


if __name__ == "__main__":
    main()
