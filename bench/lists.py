"""Address-list export: the portal's streamed list next to the database's own raw export of the same rows.

    python -m bench.lists [--contacts 500000] [--database-url URL] [--format csv|xlsx]

Seeds a demo base of about --contacts contacts with app.demo.seed_demo (kept in /tmp between runs for
SQLite), then, in the same run:
  * raw:    `sqlite3 -csv` (or `COPY (...) TO STDOUT` through psql on PostgreSQL) running the very SELECT
            the portal streams, written to a file;
  * portal: `flask lists export`'s code path (address_lists.write_list) in a child process, exclusions and
            formula neutralisation included.
Reports wall time of each and the portal process's peak resident memory (sampled every 20 ms).
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

CONTACTS_PER_COMPANY = 10.0


def _app(url: str):
    from app import create_app
    from app.config import TestConfig

    return create_app({**{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
                       "SQLALCHEMY_DATABASE_URI": url, "START_INPROCESS_WORKER": False})


def seed(url: str, contacts: int) -> int:
    """Make sure the database holds about `contacts` contacts; returns the count."""
    from sqlalchemy import func, select

    from app.demo import seed_demo
    from app.extensions import db
    from app.models import Contact

    app = _app(url)
    with app.app_context():
        db.create_all()
        have = db.session.scalar(select(func.count(Contact.id))) or 0
        while have < contacts:
            companies = int((contacts - have) / 8.5) + 1
            t0 = time.perf_counter()
            seed_demo(db.session, companies=companies, contacts_per_company=CONTACTS_PER_COMPANY, areas=False, password="demo12345", seed=11 + have,
                      batch=10000)
            have = db.session.scalar(select(func.count(Contact.id)))
            print(f"seeded up to {have} contacts in {time.perf_counter() - t0:.0f}s", flush=True)
        db.engine.dispose()
    return have


def raw_sql(url: str, fmt: str) -> str:
    """The portal's export SELECT as literal SQL for the database's own tool."""
    from app.extensions import db
    from app.services import address_lists

    app = _app(url)
    with app.app_context():
        stmt = address_lists.export_statement({}, fmt, {})
        return str(stmt.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True}))


def run_measured(cmd: list[str], stdout=None, env=None) -> tuple[float, int, str]:
    """Run a command; return wall seconds, its peak RSS in bytes (sampled) and its captured output."""
    import psutil

    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=stdout, env=env, text=stdout is subprocess.PIPE)
    ps = psutil.Process(proc.pid)
    peak = 0
    done = threading.Event()

    def sample():
        nonlocal peak
        while not done.is_set():
            try:
                peak = max(peak, ps.memory_info().rss)
            except psutil.Error:
                break
            done.wait(0.02)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    output = proc.stdout.read() if stdout is subprocess.PIPE else ""
    code = proc.wait()
    elapsed = time.perf_counter() - t0
    done.set()
    t.join()
    if code != 0:
        raise SystemExit(f"{cmd[0]} failed with {code}")
    return elapsed, peak, output


def child_export(url: str, fmt: str, file_type: str, output: str) -> None:
    """The portal's side, in its own process so its memory is measured alone."""
    from app.extensions import db
    from app.services import address_lists

    app = _app(url)
    with app.app_context():
        t0 = time.perf_counter()
        summary = address_lists.write_list(db.session, {}, fmt, file_type, Path(output), {"bom": True})
        print(f"EXPORT_SECONDS={time.perf_counter() - t0:.3f}", flush=True)
        print(f"portal rows={summary.rows} exclusions={summary.exclusions}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contacts", type=int, default=500_000)
    parser.add_argument("--database-url", default=None, help="default: a SQLite file under /tmp kept between runs")
    parser.add_argument("--format", dest="file_type", choices=["csv", "xlsx"], default="csv")
    parser.add_argument("--list", dest="fmt", choices=["email", "phone", "postal"], default="email")
    parser.add_argument("--child", nargs=4, metavar=("URL", "FMT", "TYPE", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_export(*args.child)
        return
    db_path = Path(tempfile.gettempdir()) / f"clientele-bench-lists-{args.contacts}.db"
    url = args.database_url or f"sqlite:///{db_path}"
    have = seed(url, args.contacts)
    sql = raw_sql(url, args.fmt)
    work = Path(tempfile.mkdtemp(prefix="bench-lists-"))
    try:
        raw_out = work / "raw.csv"
        with raw_out.open("wb") as f:
            if url.startswith("sqlite"):
                if not shutil.which("sqlite3"):
                    raise SystemExit("the sqlite3 command is missing: apt-get install -y sqlite3")
                raw_label = "sqlite3 -csv"
                raw_time, raw_peak, _ = run_measured(["sqlite3", "-csv", "-header", str(db_path), sql], stdout=f)
            else:
                raw_label = "psql COPY ... TO STDOUT"
                pg_url = url.replace("postgresql+psycopg://", "postgresql://")
                raw_time, raw_peak, _ = run_measured(["psql", pg_url, "-q", "-c",
                                                   f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER)"], stdout=f)
        portal_out = work / f"portal.{args.file_type}"
        env = dict(os.environ, CLIENTELE_INSTANCE=str(work))
        process_time, portal_peak, child_out = run_measured([sys.executable, "-m", "bench.lists", "--child", url, args.fmt,
                                                  args.file_type, str(portal_out)], stdout=subprocess.PIPE, env=env)
        print(child_out.strip())
        portal_time = float(child_out.split("EXPORT_SECONDS=")[1].split()[0])
        raw_rows = sum(1 for _ in raw_out.open("rb")) - 1
        print(f"contacts in base: {have}; rows read by both: {raw_rows}")
        print(f"raw export ({raw_label}): {raw_time:6.1f} s, peak RSS {raw_peak / 2**20:6.0f} MB, "
              f"{raw_out.stat().st_size / 2**20:.0f} MB file")
        print(f"portal {args.fmt} list ({args.file_type}): {portal_time:6.1f} s export "
              f"({process_time:.1f} s with interpreter and app start), peak RSS {portal_peak / 2**20:6.0f} MB, "
              f"{portal_out.stat().st_size / 2**20:.0f} MB file")
        print(f"portal / raw time: {portal_time / raw_time:.2f}x (target: within 3x); "
              f"portal peak memory {portal_peak / 2**20:.0f} MB (target: flat, under 300 MB at 1,000,000 rows)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
