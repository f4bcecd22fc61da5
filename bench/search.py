"""Search and list-page speed on a realistic base, next to the same SQL run straight on SQLite.

    python -m bench.search [--companies 200000] [--contacts-per-company 2.75]

Seeds (once, cached under bench/out/) a demo base of N companies with ~2.5 contacts each, then times
the search box (a full htmx request through Flask: routing, session, query, template) for names,
phones typed in other formats, emails, INNs and cities; and the companies list page. Next to each,
the time of the SQL the portal runs, executed directly with the sqlite3 module: the ratio is the
portal's own overhead.
"""
from __future__ import annotations

import argparse
import random
import sqlite3

from sqlalchemy import select

from app.extensions import db
from app.models import Company, Contact, Email, Phone
from bench._common import seeded_app, signed_in_client, summary_ms, timed


def sample_queries(app, n: int = 40) -> list[tuple[str, str]]:
    """Realistic queries drawn from the base itself: (kind, text)."""
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
        out.append(("company word", name.split()[0][:6]))
        out.append(("person surname", rng.choice(people).split()[0]))
        p = rng.choice(phones)
        out.append(("phone 8 (xxx) xxx-xx-xx", f"8 ({p[2:5]}) {p[5:8]}-{p[8:10]}-{p[10:12]}"))
        out.append(("phone last 7 digits", f"{p[5:8]}-{p[8:10]}-{p[10:12]}"))
        out.append(("email", rng.choice(emails)))
        inn = next(c[1] for c in rng.sample(companies, 50) if c[1])
        out.append(("INN", inn))
        out.append(("city", rng.choice(companies)[2]))
        out.append(("two words", " ".join(name.split()[:2])))
    return out


def capture_sql(app, fn) -> list[tuple[str, tuple]]:
    """Run fn and return the SQL statements (with parameters) it sent to the database."""
    from sqlalchemy import event

    captured: list[tuple[str, tuple]] = []

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--companies", type=int, default=200_000)
    parser.add_argument("--contacts-per-company", type=float, default=2.75,
                        help="generator's mean; 2.75 gives about 500,000 contacts for 200,000 companies")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    app = seeded_app(args.companies, args.contacts_per_company)
    client = signed_in_client(app)
    path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    raw = sqlite3.connect(path)
    with app.app_context():
        n_companies = db.session.scalar(select(db.func.count(Company.id)))
        n_contacts = db.session.scalar(select(db.func.count(Contact.id)))
    print(f"base: {n_companies:,} companies, {n_contacts:,} contacts (SQLite, {path})\n")

    queries = sample_queries(app)
    portal, direct, misses = [], [], 0
    for kind, q in queries:
        client.get("/crm/search", query_string={"q": q}, headers={"HX-Request": "true"})  # warm
        portal += timed(lambda: client.get("/crm/search", query_string={"q": q}, headers={"HX-Request": "true"}),
                        args.repeat)
        statements = capture_sql(app, lambda: client.get("/crm/search", query_string={"q": q},
                                                         headers={"HX-Request": "true"}))
        direct += timed(lambda: [raw.execute(s, p).fetchall() for s, p in statements], args.repeat)
        body = client.get("/crm/search", query_string={"q": q}, headers={"HX-Request": "true"}).get_data(as_text=True)
        misses += "Nothing found" in body
    print(f"search box, {len(queries)} queries x {args.repeat}:")
    print(f"  portal (htmx request end to end)   {summary_ms(portal)}")
    print(f"  same SQL straight on sqlite3       {summary_ms(direct)}")
    ratio = (sorted(portal)[len(portal) // 2]) / max(1e-9, sorted(direct)[len(direct) // 2])
    print(f"  overhead ratio (median)            {ratio:5.1f}x    queries with no hit: {misses}\n")

    pages = [("companies, page 1", "/crm/companies", {}),
             ("companies, page 200", "/crm/companies", {"page": 200}),
             ("contacts, page 1", "/crm/contacts", {})]
    for label, url, params in pages:
        client.get(url, query_string=params)
        portal = timed(lambda: client.get(url, query_string=params), args.repeat * 4)
        sql = capture_sql(app, lambda: client.get(url, query_string=params))
        direct = timed(lambda: [raw.execute(s, p).fetchall() for s, p in sql], args.repeat * 4)
        print(f"{label:22s} portal {summary_ms(portal)}   SQL {summary_ms(direct)}")


if __name__ == "__main__":
    main()
