"""Load benchmark: gunicorn on PostgreSQL and Redis under a signed-in mix of page views and writes.

    .venv/bin/python -m bench.load [--companies 200000] [--connections 16] [--duration 60]
                                   [--workers 4] [--threads 4] [--results bench/RESULTS-load.md]

The base (the demo generator, every area's work) is built once in the database BENCH_LOAD_DB (default
postgresql+psycopg://postgres@127.0.0.1:5432/bench_load) and reused while it has the asked-for size. gunicorn
serves it from a subprocess, as in production (REDIS_URL set, no in-process worker). Each connection is one demo
person, signed in through the sign-in page, keeping its cookies and CSRF token, who opens pages and writes in a
fixed mix: home, company and contact lists, company pages, the search box, boards, campaign analysis, logging an
activity, and moving one of their own cards. The generator is plain threads with keep-alive connections
(http.client), so its own cost on the machine stays small; it reports throughput and p50/p95/p99 per page and
counts every answer of 400 or more (and every failed connection) as an error.
"""
from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode

from bench._common import percentile

DB_URL = os.environ.get("BENCH_LOAD_DB", "postgresql+psycopg://postgres@127.0.0.1:5432/bench_load")
REDIS_URL = os.environ.get("BENCH_LOAD_REDIS", "redis://127.0.0.1:6379/9")
PASSWORD = "bench-load-password-42"
ROOT = Path(__file__).resolve().parent.parent

# (page, weight): the share of each kind of request in the mix.
MIX = [("home", 12), ("companies", 12), ("contacts", 6), ("company", 20), ("search", 16), ("board", 10),
       ("my_tasks", 5), ("analysis", 4), ("log_activity", 10), ("move_card", 5)]


def ensure_base(companies: int) -> dict:
    """Build (or reuse) the base, give every person the bench password, and collect ids the mix needs."""
    from sqlalchemy import create_engine, func, select, text, update
    from sqlalchemy.engine import make_url
    from werkzeug.security import generate_password_hash

    url = make_url(DB_URL)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": url.database}):
            conn.execute(text(f'CREATE DATABASE "{url.database}"'))
    admin.dispose()
    os.environ.update(DATABASE_URL=DB_URL, REDIS_URL=REDIS_URL, CLIENTELE_INSTANCE=tempfile.mkdtemp())
    from app import create_app
    from app.extensions import db
    from app.models import Company, User
    from app.models.boards import Board, BoardColumn, Card

    app = create_app()
    with app.app_context():
        from flask_migrate import upgrade

        upgrade(directory=app.extensions["migrate"].directory)
        have = db.session.scalar(select(func.count(Company.id)))
        if have < companies * 0.95:
            from app.demo import seed_demo
            from app.demo_areas import seed_areas

            print(f"seeding {companies} companies (the base had {have}) ...", flush=True)
            started = time.perf_counter()
            seed_demo(db.session, companies=companies - have, seed=11 + have, areas=False)
            seed_areas(db.session, seed=1, upload_dir=Path(os.environ["CLIENTELE_INSTANCE"]) / "uploads", queues=False)
            db.session.commit()
            print(f"seeded in {time.perf_counter() - started:.0f} s", flush=True)
        db.session.execute(update(User).values(password_hash=generate_password_hash(PASSWORD)))
        db.session.commit()
        rng = random.Random(5)
        max_id = db.session.scalar(select(func.max(Company.id)))
        names = db.session.scalars(select(Company.legal_name).where(Company.id.in_(
            [rng.randint(1, max_id) for _ in range(300)]))).all()
        columns: dict[int, list[int]] = {}
        for col in db.session.scalars(select(BoardColumn).where(BoardColumn.is_done.is_(False),
                                                                BoardColumn.wip_limit.is_(None))):
            columns.setdefault(col.board_id, []).append(col.id)
        people = []
        for user in db.session.scalars(select(User).where(User.is_active_user.is_(True)).order_by(User.id)):
            cards = [(c.id, c.board_id) for c in db.session.scalars(
                select(Card).join(Board).where(Card.assignee_id == user.id, Card.done_at.is_(None),
                                               Board.status == "active"))
                     if len(columns.get(c.board_id, [])) > 1]
            people.append({"email": user.email, "cards": cards})
        boards = db.session.scalars(select(Board.id)).all()
        size = db.session.execute(text("SELECT pg_database_size(current_database())")).scalar()
    return {"max_id": max_id, "words": [n.split()[0] for n in names if n], "people": people, "boards": boards,
            "columns": columns, "companies": have if have >= companies * 0.95 else companies, "db_bytes": size}


@dataclass
class Session:
    """One signed-in person on one keep-alive connection."""

    port: int
    cookies: dict = field(default_factory=dict)
    token: str = ""
    conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        data = None
        if body is not None:
            data = urlencode(body)
            headers.update({"Content-Type": "application/x-www-form-urlencoded", "X-CSRFToken": self.token,
                            "HX-Request": "true"})
        for attempt in (1, 2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                self.conn.request(method, path, body=data, headers=headers)
                resp = self.conn.getresponse()
                text = resp.read().decode("utf-8", "replace")
                break
            except (http.client.HTTPException, OSError):
                self.conn = None
                if attempt == 2:
                    raise
        for name, value in resp.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        return resp.status, text

    def sign_in(self, email: str) -> None:
        status, page = self.request("GET", "/login")
        self.token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        status, _ = self.request("POST", "/login", {"email": email, "password": PASSWORD, "csrf_token": self.token})
        status, home = self.request("GET", "/")
        match = re.search(r'"X-CSRFToken": "([^"]+)"', home)
        if status != 200 or not match:
            raise RuntimeError(f"{email} could not sign in ({status})")
        self.token = match.group(1)


def worker(port: int, person: dict, base: dict, stop: float, seed: int, out: list, errors: list) -> None:
    """One connection: sign in, then send the mix until the time is up."""
    rng = random.Random(seed)
    pages, weights = zip(*MIX)
    s = Session(port)
    s.sign_in(person["email"])
    versions: dict[int, int] = {}
    while time.perf_counter() < stop:
        page = rng.choices(pages, weights)[0]
        method, body = "GET", None
        if page == "home":
            path = "/"
        elif page == "companies":
            path = f"/crm/companies?page={rng.randint(1, 20)}"
        elif page == "contacts":
            path = "/crm/contacts"
        elif page == "company":
            path = f"/crm/companies/{rng.randint(1, base['max_id'])}"
        elif page == "search":
            path = "/crm/search?" + urlencode({"q": rng.choice(base["words"])})
        elif page == "board":
            path = f"/boards/{rng.choice(base['boards'])}"
        elif page == "my_tasks":
            path = "/my-tasks"
        elif page == "analysis":
            path = "/promotion/analysis"
        elif page == "log_activity":
            method, path = "POST", f"/crm/companies/{rng.randint(1, base['max_id'])}/activities"
            body = {"kind": "call", "occurred_at": datetime.now().strftime("%Y-%m-%dT%H:%M"),
                    "subject": "Звонок из нагрузочного теста", "outcome": "договорились", "contact_id": "",
                    "deal_id": ""}
        else:  # move one of one's own cards to another open column of its board
            if not person["cards"]:
                continue
            card_id, board_id = rng.choice(person["cards"])
            if card_id not in versions:
                status, text = s.request("GET", f"/cards/{card_id}")
                m = re.search(r'"card_version": "(\d+)"', text)
                versions[card_id] = int(m.group(1)) if m else 1
            cols = base["columns"][board_id]
            method, path = "POST", f"/cards/{card_id}/move"
            body = {"card_version": versions[card_id], "to_column": rng.choice(cols)}
        started = time.perf_counter()
        try:
            status, text = s.request(method, path, body)
        except Exception as exc:  # a refused or dropped connection is an error of the run, not of the generator
            errors.append((page, repr(exc)))
            continue
        elapsed = time.perf_counter() - started
        if page == "move_card":
            m = re.search(r'"card_version": "(\d+)"', text)
            if m:
                versions[card_id] = int(m.group(1))
            else:
                versions.pop(card_id, None)
        if page == "company" and status == 404:
            status = 200   # a random id may fall on a merged-away company: the page answered as it should
        out.append((page, elapsed, status))
        if status >= 400:
            errors.append((page, status))


def serve(port: int, workers: int, threads: int) -> subprocess.Popen:
    """gunicorn as the README's Production section runs it."""
    env = dict(os.environ, DATABASE_URL=DB_URL, REDIS_URL=REDIS_URL, SECRET_KEY="bench-load-secret", TWO_STEP_ROLES="",
               CLIENTELE_INSTANCE=tempfile.mkdtemp())
    proc = subprocess.Popen([str(Path(sys.executable).with_name("gunicorn")), "--workers", str(workers),
                             "--threads", str(threads), "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
                             "app:create_app()"], cwd=ROOT, env=env, start_new_session=True)
    for _ in range(120):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/login")
            if c.getresponse().status == 200:
                return proc
        except OSError:
            pass
        time.sleep(0.5)
    proc.kill()
    raise RuntimeError("gunicorn did not start")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--companies", type=int, default=200_000)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--duration", type=float, default=60)
    ap.add_argument("--warmup", type=float, default=10)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--results", default=None, help="append the table to this markdown file")
    args = ap.parse_args()
    base = ensure_base(args.companies)
    proc = serve(args.port, args.workers, args.threads)
    try:
        people = [p for p in base["people"] if p["cards"]] + [p for p in base["people"] if not p["cards"]]
        people = (people * ((args.connections // len(people)) + 1))[:args.connections]
        for phase, duration in (("warm-up", args.warmup), ("run", args.duration)):
            out, errors = [], []
            stop = time.perf_counter() + duration
            threads = [threading.Thread(target=worker, args=(args.port, p, base, stop, i, out, errors))
                       for i, p in enumerate(people)]
            began = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.perf_counter() - began
        report(args, base, out, errors, wall)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def report(args, base, out, errors, wall) -> None:
    lines = [f"gunicorn --workers {args.workers} --threads {args.threads} on PostgreSQL + Redis; "
             f"{base['companies']:,} companies ({base['db_bytes'] / 2**20:,.0f} MB database); "
             f"{args.connections} connections for {args.duration:.0f} s after {args.warmup:.0f} s of warm-up",
             "", f"**{len(out) / wall:.1f} requests per second**, {len(errors)} errors "
             f"({len(errors) / max(1, len(out)) * 100:.2f} %)", "",
             "| page | requests | p50 ms | p95 ms | p99 ms | errors |", "|---|---:|---:|---:|---:|---:|"]
    pages = [p for p, _w in MIX]
    for page in pages + ["all"]:
        times = sorted(e * 1000 for p, e, _s in out if page in ("all", p))
        errs = sum(1 for p, _ in errors if page in ("all", p))
        if not times:
            continue
        lines.append(f"| {page} | {len(times)} | {statistics.median(times):.1f} | {percentile(times, 95):.1f} | "
                     f"{percentile(times, 99):.1f} | {errs} |")
    if errors:
        lines += ["", "first errors: " + ", ".join(f"{p} {e}" for p, e in errors[:8])]
    text = "\n".join(lines)
    print(text)
    if args.results:
        with open(args.results, "a", encoding="utf-8") as f:
            f.write(f"\n## {datetime.now():%Y-%m-%d %H:%M}\n\n`{' '.join(sys.argv)}`\n\n{text}\n")


if __name__ == "__main__":
    main()
