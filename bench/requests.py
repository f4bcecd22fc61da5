"""Benchmark: the department inbox and the request figures on a base of 100,000 client requests.

Run: python -m bench.requests [--requests 100000] [--runs 40]
SQLite in a temp file by default; BENCH_DATABASE_URL=postgresql+psycopg://... runs it on PostgreSQL (the
database is emptied first). Prints p50/p95 of the portal (service call and whole page through the app)
next to hand-written SQL doing the same work, in the same run.
"""
from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from datetime import time as dtime
from pathlib import Path

from sqlalchemy import insert, select, text

from bench._common import timed_wall_cpu

YEARS = 3
ACCOUNT_MANAGERS = 20
COMPANIES = 2000
KEY_ACCOUNTS = 400
UNITS = ("legal", "logistics", "accounting", "production", "sales", "publications", "promotion", "crm")


def build_app(url: str, base: Path):
    from app import create_app
    from app.config import TestConfig

    return create_app({**{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
                       "SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False, "INSTANCE_DIR": base,
                       "UPLOAD_DIR": base / "uploads", "START_INPROCESS_WORKER": False})


def seed(n_requests: int, seed_value: int = 7) -> dict:
    """Bulk insert people, companies, key accounts and requests with their routes and steps."""
    from app.extensions import db
    from app.models.client_requests import ClientRequest, RequestRoute, RequestStep
    from app.models.companies import Company
    from app.models.key_accounts import KeyAccount
    from app.models.org import Unit, User
    from app.services.org import seed_reference_data

    rnd = random.Random(seed_value)
    seed_reference_data(db.session)
    units = {u.code: u.id for u in db.session.scalars(select(Unit))}
    pw = "pbkdf2:sha256:1$x$0"
    users = [{"email": f"am{i}@bench.local", "name": f"Manager {i:02d}", "password_hash": pw, "role": "staff",
              "unit_id": units["accounts"], "session_token": f"t{i}"} for i in range(ACCOUNT_MANAGERS)]
    users += [{"email": f"{code}{i}@bench.local", "name": f"{code} {i}", "password_hash": pw, "role": "staff",
               "unit_id": units[code], "session_token": f"{code}{i}"} for code in UNITS for i in range(5)]
    db.session.execute(insert(User.__table__), users)
    manager_ids = list(db.session.scalars(select(User.id).where(User.unit_id == units["accounts"])))
    now = datetime.now(timezone.utc)
    db.session.execute(insert(Company.__table__), [
        {"legal_name": f"Client {i:05d}", "name_sort": f"client {i:05d}", "country": "RU", "status": "client",
         "account_manager_id": manager_ids[i % len(manager_ids)] if i < KEY_ACCOUNTS else None, "version": 1,
         "created_at": now, "updated_at": now} for i in range(COMPANIES)])
    companies = list(db.session.execute(select(Company.id, Company.account_manager_id)
                                        .where(Company.account_manager_id.is_not(None))))
    db.session.execute(insert(KeyAccount.__table__), [{"company_id": cid, "since": now} for cid, _m in companies])
    db.session.commit()

    unit_ids = [units[c] for c in UNITS]
    weights = [30, 25, 15, 12, 8, 4, 3, 3]
    today = date.today()
    span = YEARS * 365 * 86400
    next_id = 1
    for start in range(0, n_requests, 10_000):
        reqs, routes, steps = [], [], []
        for _ in range(min(10_000, n_requests - start)):
            rid = next_id
            next_id += 1
            cid, mid = rnd.choice(companies)
            asked = now - timedelta(seconds=rnd.randint(0, span))
            due = (asked + timedelta(days=rnd.randint(2, 20))).date()
            age_days = (now - asked).days
            roll = rnd.random()
            status = "closed" if age_days > 30 or roll < 0.5 else ("answered" if roll < 0.7 else "open")
            answer_secs = int(rnd.lognormvariate(11, 1))  # median about 17 hours
            answered = status != "open" and asked + timedelta(seconds=answer_secs) < now
            close_secs = answer_secs + int(rnd.lognormvariate(11.5, 0.8)) if status == "closed" else None
            closed_at = asked + timedelta(seconds=close_secs) if close_secs else None
            reqs.append({"id": rid, "company_id": cid, "account_manager_id": mid, "created_by_id": mid,
                         "subject": f"Request {rid}", "details": "", "channel": "email", "asked_at": asked,
                         "due_on": due, "status": status, "created_at": asked, "version": 1,
                         "first_answer_at": asked + timedelta(seconds=answer_secs) if answered else None,
                         "first_answer_secs": answer_secs if answered else None, "closed_at": closed_at,
                         "close_secs": close_secs, "closed_on_time": closed_at.date() <= due if closed_at else None,
                         "client_confirmation": "ok" if closed_at else None,
                         "reopened_count": 1 if rnd.random() < 0.03 else 0})
            chosen = {rnd.choices(unit_ids, weights)[0] for _ in range(1 if rnd.random() < 0.7 else 2)}
            for uid in chosen:
                route_status = ("closed" if status == "closed" and not answered else
                                "answered" if answered else rnd.choice(("new", "accepted", "asked")))
                routes.append({"request_id": rid, "unit_id": uid, "status": route_status, "sent_at": asked,
                               "answered_at": asked + timedelta(seconds=answer_secs) if answered else None,
                               "answer": "done" if answered else None,
                               "first_answer_secs": answer_secs if answered else None})
            steps.append({"request_id": rid, "kind": "registered", "author_id": mid, "at": asked})
            if answered:
                steps.append({"request_id": rid, "kind": "answered", "author_id": None,
                              "at": asked + timedelta(seconds=answer_secs)})
            if closed_at:
                steps.append({"request_id": rid, "kind": "closed", "author_id": mid, "at": closed_at})
        db.session.execute(insert(ClientRequest.__table__), reqs)
        db.session.execute(insert(RequestRoute.__table__), routes)
        db.session.execute(insert(RequestStep.__table__), steps)
        db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SELECT setval(pg_get_serial_sequence('client_requests', 'id'), :n)"),
                           {"n": next_id})
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
    else:
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    busiest = db.session.execute(text(
        "SELECT unit_id, count(*) FROM request_routes WHERE status IN ('new','accepted','asked') "
        "GROUP BY unit_id ORDER BY 2 DESC LIMIT 1")).one()
    return {"today": today, "unit_id": busiest[0], "waiting": busiest[1], "unit_code":
            db.session.scalar(select(Unit.code).where(Unit.id == busiest[0]))}


INBOX_SQL = """
SELECT r.id, r.status, r.sent_at, c.id, c.subject, c.due_on, c.company_id, co.legal_name
FROM request_routes r JOIN client_requests c ON c.id = r.request_id JOIN companies co ON co.id = c.company_id
WHERE r.unit_id = :unit AND r.status IN ('new', 'accepted', 'asked')
ORDER BY c.due_on IS NULL, c.due_on, c.id LIMIT 100
"""
INBOX_COUNTS_SQL = """
SELECT count(*), sum(CASE WHEN c.due_on < :today THEN 1 ELSE 0 END)
FROM request_routes r JOIN client_requests c ON c.id = r.request_id
WHERE r.unit_id = :unit AND r.status IN ('new','accepted','asked')
"""
FIGURES_REQUESTS_SQL = """
SELECT id, account_manager_id, company_id,
  CASE WHEN status = 'closed' AND due_on IS NOT NULL THEN 1 ELSE 0 END,
  CASE WHEN status = 'closed' AND due_on IS NOT NULL AND closed_on_time THEN 1 ELSE 0 END,
  reopened_count, CASE WHEN status <> 'closed' AND due_on < :today THEN 1 ELSE 0 END,
  first_answer_secs, close_secs
FROM client_requests WHERE asked_at >= :since
"""
FIGURES_SHARES_SQL = """
SELECT request_id, unit_id, status, first_answer_secs FROM request_routes WHERE sent_at >= :since
"""


def _bump(counts: dict, key, values) -> None:
    row = counts.setdefault(key, [0] * len(values))
    for i, value in enumerate(values):
        row[i] += value or 0


def plain_figures(conn, today, since) -> int:
    """The same two reads as the portal in hand-written SQL, then counts and nearest-rank percentiles."""
    answers: dict = {}
    closes: dict = {}
    counts: dict = {}
    by_request = {}
    for rid, manager, company, with_date, on_time, reopened, overdue, answer, close in conn.execute(
            text(FIGURES_REQUESTS_SQL), {"today": today, "since": since}):
        by_request[rid] = (with_date, on_time, reopened, overdue, close)
        for key in (("m", manager), ("c", company)):
            _bump(counts, key, (1, with_date, on_time, reopened, overdue))
            if answer is not None:
                answers.setdefault(key, []).append(answer)
            if close is not None:
                closes.setdefault(key, []).append(close)
    for rid, unit, _status, answer in conn.execute(text(FIGURES_SHARES_SQL), {"since": since}):
        values = by_request.get(rid)
        if values is None:
            continue
        key = ("u", unit)
        _bump(counts, key, (1, *values[:4]))
        if answer is not None:
            answers.setdefault(key, []).append(answer)
        if values[4] is not None:
            closes.setdefault(key, []).append(values[4])
    for series in (*answers.values(), *closes.values()):
        series.sort()
        series[(len(series) * 50 + 99) // 100 - 1], series[(len(series) * 90 + 99) // 100 - 1]
    return len(counts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--freeze-gc", action="store_true",
                        help="gc.freeze() after seeding, as wsgi.py does after start-up, so full collections skip "
                             "long-lived objects")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-requests-") as tmp:
        run(args, Path(tmp))


def run(args, base: Path) -> None:
    """Seed, time, print; everything on disk lives under `base` and goes when the run ends."""
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{base / 'bench.db'}"
    app = build_app(url, base)
    from app.extensions import db
    from app.services import client_requests, figures
    from app.services.client_request_figures import request_figures

    with app.app_context():
        if url.startswith("postgresql"):
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        db.create_all()
        t0 = time.perf_counter()
        info = seed(args.requests)
        if args.freeze_gc:
            import gc

            gc.collect()
            gc.freeze()
        print(f"engine: {db.engine.dialect.name}; seeded {args.requests:,} requests in "
              f"{time.perf_counter() - t0:.1f} s; busiest inbox: {info['unit_code']} with {info['waiting']:,} waiting")
        today, unit = info["today"], info["unit_id"]
        year_ago = today - timedelta(days=365)
        conn = db.session.connection()

        def since_text(day: date):
            """A timestamp as each engine stores it (SQLite: text; PostgreSQL: timestamptz)."""
            moment = datetime.combine(day, dtime.min, tzinfo=timezone.utc)
            return moment if db.engine.dialect.name == "postgresql" else moment.strftime("%Y-%m-%d %H:%M:%S.%f")

        rows = [
            ("inbox (service: list + counts)", lambda: (client_requests.inbox(db.session, unit, today),
                                                        client_requests.inbox_counts(db.session, unit, today)),
             lambda: (conn.execute(text(INBOX_SQL), {"unit": unit}).all(),
                      conn.execute(text(INBOX_COUNTS_SQL), {"unit": unit, "today": today}).all())),
            ("figures, last 90 days (service; the page's default)",
             lambda: request_figures(db.session, today, today - timedelta(days=90)),
             lambda: plain_figures(conn, today, since_text(today - timedelta(days=90)))),
            ("figures, last 12 months (service)", lambda: request_figures(db.session, today, year_ago),
             lambda: plain_figures(conn, today, since_text(year_ago))),
            ("figures, all time (service)", lambda: request_figures(db.session, today, None),
             lambda: plain_figures(conn, today, since_text(date(1970, 1, 1)))),
        ]
        with app.test_request_context():
            rows.append(("live figures requests_overdue + closed_on_time_share",
                         lambda: (figures.compute(db.session, "requests_overdue"),
                                  figures.compute(db.session, "requests_closed_on_time_share")), None))
            results = [(name, timed_wall_cpu(portal, args.runs), timed_wall_cpu(plain, args.runs) if plain else None)
                       for name, portal, plain in rows]
        db.session.rollback()

    client = app.test_client()
    with app.app_context():
        from werkzeug.security import generate_password_hash

        from app.models.org import User

        db.session.execute(User.__table__.update().values(password_hash=generate_password_hash("bench-password-1")))
        db.session.commit()
    client.post("/login", data={"email": f"{info['unit_code']}0@bench.local", "password": "bench-password-1"})
    for path in ("/accounts/inbox", "/accounts/figures"):
        assert client.get(path).status_code == 200, path
        results.append((f"page GET {path} (whole request)", timed_wall_cpu(lambda p=path: client.get(p), args.runs), None))

    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; times in ms")
    print(f"{'what':55} | {'portal wall p50':>15} {'p95':>7} | {'cpu p50':>7} {'p95':>7} | "
          f"{'plain SQL wall p50':>18} {'p95':>7} | {'cpu p50':>7} {'p95':>7}")
    for name, portal, plain in results:
        ref = " | ".join(f"{a:7.1f} {b:7.1f}" for a, b in (plain[:2], plain[2:])) if plain else "—"
        print(f"{name:55} | {portal[0]:15.1f} {portal[1]:7.1f} | {portal[2]:7.1f} {portal[3]:7.1f} | "
              f"{'':11}{ref}")


if __name__ == "__main__":
    main()
