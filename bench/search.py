"""Search speed on a realistic base, on SQLite or PostgreSQL: the same 40 queries through the page (a full
htmx request), through the service (search + describe_hits, what the view calls) and as the raw SQL the
service sent, replayed straight on the driver (sqlite3 / psycopg); plus the index's size on disk.

    python -m bench.search [--companies 200000] [--contacts-per-company 2.75] [--database-url postgresql+psycopg://...]

The SQLite base is seeded once and cached under bench/out/; a PostgreSQL database is seeded when empty.
"""
from __future__ import annotations

import argparse
import random
import time

from sqlalchemy import event, func, select, text

from app.extensions import db
from app.models import Company, Contact, Email, Phone
from bench._common import seeded_app, signed_in_client, summary_ms, timed


def sample_queries(app, n: int = 40) -> list[tuple[str, str]]:
    """Realistic queries drawn from the base itself: (kind, text); words as people type them."""
    rng = random.Random(5)
    with app.app_context():
        companies = db.session.execute(select(Company.legal_name, Company.inn, Company.city)
                                       .order_by(Company.id).limit(5000)).all()
        phones = db.session.scalars(select(Phone.e164).where(Phone.e164.like("+7%")).limit(5000)).all()
        emails = db.session.scalars(select(Email.address).limit(5000)).all()
        people = db.session.scalars(select(Contact.name).limit(5000)).all()
    out = []
    for _ in range(n // 8):
        name = rng.choice(companies)[0]
        word = max(name.split(), key=len)
        out.append(("company word, middle", word[1:7]))
        out.append(("surname in capitals", rng.choice(people).split()[0].upper()))
        p = rng.choice(phones)
        out.append(("phone 8 (xxx) xxx-xx-xx", f"8 ({p[2:5]}) {p[5:8]}-{p[8:10]}-{p[10:12]}"))
        out.append(("phone last 7 digits", f"{p[5:8]}-{p[8:10]}-{p[10:12]}"))
        out.append(("email", rng.choice(emails)))
        typo = word if len(word) < 6 else word[:3] + ("а" if word[3] != "а" else "о") + word[4:]
        out.append(("name with a typo", typo))
        out.append(("city", rng.choice(companies)[2] or "Москва"))
        out.append(("two words", " ".join(name.split()[:2])))
    return out


def capture_sql(app, fn) -> list[tuple[str, object]]:
    """Run fn and return the SQL statements (with parameters) it sent, leaving out sign-in bookkeeping."""
    captured: list[tuple[str, object]] = []

    def grab(conn, cursor, statement, parameters, context, executemany):
        captured.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", grab)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", grab)
    return [(st, p) for st, p in captured if "FROM users" not in st and "login_attempts" not in st]


def _postgres_app(url: str, companies: int, per_company: float):
    from app import create_app
    from app.cli import upgrade_database

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False, "START_INPROCESS_WORKER": False,
                      "TWO_STEP_ROLES": ()})  # signed in with a password alone
    with app.app_context():
        upgrade_database()
        if not db.session.scalar(select(func.count(Company.id))):
            from app.demo import seed_demo

            start = time.perf_counter()
            counts = seed_demo(db.session, companies=companies, contacts_per_company=per_company, seed=1, batch=10000,
                               password="demo12345")  # the bench signs in as the demo admin
            print(f"seeded {counts} in {time.perf_counter() - start:.0f}s")
    return app


def index_size(app) -> str:
    """The search index on disk: the documents and their text index, and the identifier keys."""
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            rows = db.session.execute(text(
                "SELECT c.relname, pg_relation_size(c.oid) FROM pg_class c WHERE c.relname LIKE 'search_%' "
                "OR c.relname LIKE 'ix_search_%' OR c.relname LIKE 'pk_search_%'")).all()
        else:
            rows = db.session.execute(text("SELECT name, SUM(pgsize) FROM dbstat WHERE name LIKE '%search_%' "
                                           "GROUP BY name")).all()
    words = sum(b for n, b in rows if "token" not in n)
    keys = sum(b for n, b in rows if "token" in n)
    detail = ", ".join(f"{n} {b / 2**20:.1f}" for n, b in sorted(rows, key=lambda r: -r[1]) if b > 2**20)
    return f"word index {words / 2**20:.1f} MB, identifier keys {keys / 2**20:.1f} MB ({detail})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--companies", type=int, default=200_000)
    parser.add_argument("--contacts-per-company", type=float, default=2.75,
                        help="generator's mean; 2.75 gives about 500,000 contacts for 200,000 companies")
    parser.add_argument("--database-url", default="", help="a PostgreSQL URL; SQLite under bench/out/ without it")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if args.database_url:
        app = _postgres_app(args.database_url, args.companies, args.contacts_per_company)
    else:
        app = seeded_app(args.companies, args.contacts_per_company)
    client = signed_in_client(app)
    with app.app_context():
        engine = db.engine.dialect.name
        n_companies = db.session.scalar(select(func.count(Company.id)))
        n_contacts = db.session.scalar(select(func.count(Contact.id)))
        raw = db.engine.raw_connection()
    print(f"base: {n_companies:,} companies, {n_contacts:,} contacts ({engine})")
    print(index_size(app) + "\n")

    from app.services import search

    def service(q):
        with app.app_context():
            hits = search.search(db.session, q, "RU")
            search.describe_hits(db.session, hits, q, "RU")
            db.session.rollback()

    def replay(statements):
        cur = raw.cursor()
        for s, p in statements:
            cur.execute(s, p)
            cur.fetchall()
        raw.rollback()

    queries = sample_queries(app)
    page, svc, direct, misses, by_kind = [], [], [], [], {}
    for kind, q in queries:
        get = lambda: client.get("/crm/search", query_string={"q": q}, headers={"HX-Request": "true"})  # noqa: E731
        get()
        page_times = timed(get, args.repeat)
        page += page_times
        svc += timed(lambda: service(q), args.repeat)
        statements = capture_sql(app, lambda: service(q))
        direct += timed(lambda: replay(statements), args.repeat)
        by_kind.setdefault(kind, []).extend(page_times)
        if "Nothing found" in get().get_data(as_text=True):
            misses.append(f"{kind}: {q}")
    print(f"search box, {len(queries)} queries x {args.repeat}:")
    print(f"  page (htmx request end to end)   {summary_ms(page)}")
    print(f"  service (search + describe_hits) {summary_ms(svc)}")
    print(f"  raw SQL replayed on the driver   {summary_ms(direct)}")
    med = lambda xs: sorted(xs)[len(xs) // 2]  # noqa: E731
    print(f"  overhead page / raw (median)     {med(page) / max(1e-9, med(direct)):5.1f}x")
    print(f"  queries with no hit: {len(misses)} {misses}")
    for kind, times in by_kind.items():
        print(f"    {kind:26s} page {summary_ms(times)}")


if __name__ == "__main__":
    main()
