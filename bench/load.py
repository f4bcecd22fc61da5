"""Load benchmark: gunicorn on PostgreSQL with Redis and an rq worker, driven by locust (bench/locustfile.py).

    .venv/bin/python -m bench.load --companies 20000 --users 16 --time 60 [--workers 4] [--locust PATH]

The demo base is seeded once into its own PostgreSQL database (kept between runs, named by its size); the
table of requests, failures, throughput and p50/p95/p99 per page is printed and written to bench/out/."""
from __future__ import annotations

import argparse
import csv
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database(server: str, name: str, companies: int, env: dict) -> None:
    """Create, upgrade and seed the database once; a marker table row says it is complete."""
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as c:
        exists = c.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            c.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(f"{server}/{name}", autocommit=True) as c:
        seeded = c.execute("SELECT to_regclass('bench_seeded') IS NOT NULL").fetchone()[0]
    if seeded:
        return
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    subprocess.run([*flask, "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
    start = time.perf_counter()
    subprocess.run([*flask, "demo", "seed", "--companies", str(companies), "--seed", "1"], env=env, cwd=ROOT,
                   check=True, stdout=subprocess.DEVNULL)
    print(f"seeded {companies} companies in {time.perf_counter() - start:.0f}s")
    with psycopg.connect(f"{server}/{name}", autocommit=True) as c:
        c.execute("CREATE TABLE bench_seeded (at timestamptz DEFAULT now())")
        c.execute("ANALYZE")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--companies", type=int, default=20000)
    ap.add_argument("--users", type=int, default=16)
    ap.add_argument("--time", type=int, default=60, help="seconds of load")
    ap.add_argument("--workers", type=int, default=4, help="gunicorn processes")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--pg", default=os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432"))
    ap.add_argument("--db-prefix", default=os.environ.get("BENCH_DB_PREFIX", "clientele_load"))
    ap.add_argument("--redis", default=os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/8"))
    ap.add_argument("--locust", default=os.environ.get("LOCUST") or shutil.which("locust") or "locust")
    args = ap.parse_args()

    name = f"{args.db_prefix}_{args.companies}"
    env = dict(os.environ, DATABASE_URL=f"{args.pg}/{name}", REDIS_URL=args.redis, RQ_QUEUE="bench-load",
               SECRET_KEY="bench-load", CLIENTELE_INSTANCE=str(OUT / "load-instance"), LOGIN_MAX_ATTEMPTS="100000")
    OUT.mkdir(exist_ok=True)
    _database(args.pg, name, args.companies, env)
    port = _free_port()
    bin_dir = Path(sys.executable).parent
    procs = [
        subprocess.Popen([str(bin_dir / "gunicorn"), "--workers", str(args.workers), "--threads", str(args.threads),
                          "--bind", f"127.0.0.1:{port}", "wsgi:app"], env=env, cwd=ROOT,
                         stdout=subprocess.DEVNULL, stderr=open(OUT / "load-gunicorn.log", "w")),
        subprocess.Popen([str(bin_dir / "rq"), "worker", "--url", args.redis, "bench-load"], env=env, cwd=ROOT,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
    ]
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        prefix = OUT / f"load-{args.companies}-{args.users}"
        subprocess.run([args.locust, "-f", str(ROOT / "bench" / "locustfile.py"), "--headless", "-u", str(args.users),
                        "-r", str(args.users), "-t", f"{args.time}s", "--host", f"http://127.0.0.1:{port}",
                        "--csv", str(prefix), "--only-summary"], check=False, stdout=subprocess.DEVNULL,
                       stderr=open(OUT / "load-locust.log", "w"))
        _report(prefix, args)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(30)


def _report(prefix: Path, args) -> None:
    """The locust stats as a Markdown table: per page and the aggregate."""
    rows = list(csv.DictReader(open(f"{prefix}_stats.csv")))
    print(f"\n{args.companies} companies, {args.users} users, {args.time} s, gunicorn {args.workers}x{args.threads}, "
          f"PostgreSQL + Redis, 2-core machine shared with 7 engineers\n")
    print("| page | requests | failures | req/s | p50 ms | p95 ms | p99 ms |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        label = r["Name"] if r["Name"] != "Aggregated" else "**all**"
        print(f"| {label} | {r['Request Count']} | {r['Failure Count']} | {float(r['Requests/s']):.1f} | "
              f"{r['50%']} | {r['95%']} | {r['99%']} |")
    failures = Path(f"{prefix}_failures.csv")
    if failures.exists():
        for f in list(csv.DictReader(open(failures)))[:10]:
            print(f"failure: {f['Method']} {f['Name']}: {f['Error']} x{f['Occurrences']}")


if __name__ == "__main__":
    main()
