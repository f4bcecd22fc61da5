"""Revenue analysis on 1,000,000 deals: the portal's analysis next to the plain SQL aggregate, same run.

    python -m bench.revenue                       # SQLite under bench/out/, seeded once and reused
    python -m bench.revenue --url postgresql+psycopg://postgres@127.0.0.1:5432/clientele_sales_bench
"""
from __future__ import annotations

import argparse
import random
import time
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import func, insert, select, text

from bench._common import OUT, summary_ms, timed

PRODUCT_LINES = ["Pumps", "Valves", "Meters", "Filters", "Heaters", "Controls", "Service", "Spare parts"]
PLAIN_SQL = """
SELECT p.product_line, c.client_type_id,
       SUM(CASE WHEN d.closed_on >= :start THEN dl.amount ELSE 0 END) AS revenue,
       SUM(CASE WHEN d.closed_on < :start THEN dl.amount ELSE 0 END) AS previous,
       COUNT(DISTINCT CASE WHEN d.closed_on >= :start THEN d.id END) AS deals
FROM deal_lines dl
JOIN deals d ON d.id = dl.deal_id
JOIN products p ON p.id = dl.product_id
JOIN companies c ON c.id = d.company_id
WHERE d.stage = 'won' AND d.closed_on >= :prev_start AND d.closed_on <= :end
GROUP BY p.product_line, c.client_type_id
"""
ONE_PERIOD_SQL = """
SELECT p.product_line, c.client_type_id, SUM(dl.amount)
FROM deal_lines dl JOIN deals d ON d.id = dl.deal_id JOIN products p ON p.id = dl.product_id
JOIN companies c ON c.id = d.company_id
WHERE d.stage = 'won' AND d.closed_on >= :start AND d.closed_on <= :end
GROUP BY p.product_line, c.client_type_id
"""


def make_app(url: str | None, deals: int):
    """The portal on its own bench database (SQLite file by default)."""
    from app import create_app

    instance = OUT / f"revenue-{deals}"
    instance.mkdir(parents=True, exist_ok=True)
    return create_app({"SQLALCHEMY_DATABASE_URI": url or f"sqlite:///{instance / 'bench.db'}",
                       "INSTANCE_DIR": instance, "START_INPROCESS_WORKER": False, "AUTO_UPGRADE_DB": False})


def seed(session, deals: int, today: date, batch: int = 50_000) -> None:
    """Products, 20,000 companies, then deals and their lines with Core bulk inserts; deterministic."""
    from app.models import ClientType, Company, Deal, DealLine, Product
    from app.services.org import create_user, seed_reference_data

    seed_reference_data(session)
    rng = random.Random(7)
    sellers = [create_user(session, f"seller{i}@bench.local", "bench-password", "staff", "sales").id
               for i in range(40)]
    session.execute(insert(Product), [{"name": f"{line} {i}", "product_line": line, "price": Decimal(100)}
                                      for line in PRODUCT_LINES for i in range(1, 6)])
    types = list(session.scalars(select(ClientType.id)))
    n_companies = 20_000
    session.execute(insert(Company), [{"legal_name": f"Bench {i}", "name_sort": f"bench {i}",
                                       "client_type_id": rng.choice(types), "status": "client", "version": 1}
                                      for i in range(1, n_companies + 1)])
    session.commit()
    products = list(session.scalars(select(Product.id)))
    weights = [1 / (k + 1) for k in range(len(products))]  # a few products sell most, as in life
    deal_cols = ("id", "title", "company_id", "owner_id", "stage", "amount", "version", "closed_on", "created_at",
                 "updated_at")
    line_cols = ("id", "deal_id", "product_id", "quantity", "amount")
    now = datetime.now(timezone.utc)
    deal_id = line_id = 0
    start = time.perf_counter()
    while deal_id < deals:
        deal_rows, line_rows = [], []
        for _ in range(min(batch, deals - deal_id)):
            deal_id += 1
            stage = rng.choices(("won", "lost", "new", "proposal"), (45, 30, 15, 10))[0]
            lines = rng.choices(products, weights, k=rng.choice((1, 1, 2)))
            amounts = [Decimal(rng.randrange(1_000, 500_000)) for _ in lines]
            closed = today - timedelta(days=rng.randrange(0, 3 * 365)) if stage in ("won", "lost") else None
            deal_rows.append((deal_id, f"Deal {deal_id}", rng.randrange(1, n_companies + 1), rng.choice(sellers), stage,
                              sum(amounts), 1, closed, now, now))
            for pid, amount in zip(lines, amounts):
                line_id += 1
                line_rows.append((line_id, deal_id, pid, 1, amount))
        _write(session, Deal.__table__, deal_cols, deal_rows)
        _write(session, DealLine.__table__, line_cols, line_rows)
        session.commit()
        print(f"  {deal_id:>9,} deals, {line_id:>9,} lines  {time.perf_counter() - start:5.0f}s", flush=True)
    if session.get_bind().dialect.name == "postgresql":
        for table in ("deals", "deal_lines"):
            session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                 f"(SELECT MAX(id) FROM {table}))"))
    session.execute(text("ANALYZE"))  # fresh statistics, as a maintained production database has
    session.commit()


def _write(session, table, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """PostgreSQL: COPY; SQLite: a Core executemany. Either way no ORM objects."""
    if session.get_bind().dialect.name == "postgresql":
        cursor = session.connection().connection.cursor()
        with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    session.execute(insert(table), [dict(zip(columns, row)) for row in rows])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="database URL (default: a SQLite file under bench/out/)")
    parser.add_argument("--deals", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from app.extensions import db
    from app.models import Deal
    from app.services import revenue

    app = make_app(args.url, args.deals)
    today = date(2026, 11, 27)
    with app.app_context():
        db.create_all()
        for table in ("deals", "deal_lines"):  # indexes added after the first seeding
            for index in db.metadata.tables[table].indexes:
                index.create(db.engine, checkfirst=True)
        if (db.session.scalar(select(func.count(Deal.id))) or 0) < args.deals:
            db.session.rollback()
            db.drop_all()  # a run stopped half-way leaves a partial base; start clean
            db.create_all()
            print(f"seeding {args.deals:,} deals ({db.engine.dialect.name}) ...")
            seed(db.session, args.deals, today)
        n_deals = db.session.scalar(select(func.count(Deal.id)))
        n_lines = db.session.scalar(text("SELECT COUNT(*) FROM deal_lines"))
        print(f"{db.engine.dialect.name}: {n_deals:,} deals, {n_lines:,} deal lines")
        for days in (90, 365):
            start, end = today - timedelta(days=days - 1), today
            prev_start, _ = revenue.previous_period(start, end)
            params = {"start": start, "end": end, "prev_start": prev_start}
            portal = lambda: revenue.analyse(db.session, start, end, "line")  # noqa: E731
            plain = lambda: db.session.execute(text(PLAIN_SQL), params).all()  # noqa: E731
            bare = lambda: db.session.execute(text(ONE_PERIOD_SQL), params).all()  # noqa: E731
            portal(), plain(), bare()  # warm the caches alike
            result = portal()
            t_portal, t_plain, t_bare = [], [], []
            for _round in range(args.repeat):  # interleaved, so cache and machine load fall on all alike
                t_portal += timed(portal, 1)
                t_plain += timed(plain, 1)
                t_bare += timed(bare, 1)
            ratio = sorted(t_portal)[len(t_portal) // 2] / sorted(t_plain)[len(t_plain) // 2]
            check = sum(Decimal(r[2] or 0) for r in plain())
            assert check == result["total"], (check, result["total"])
            print(f"\nlast {days} days: {len(result['combos'])} combinations, won revenue {result['total']:,}, "
                  f"{len(result['pareto'])} make 80 %")
            print(f"  portal revenue.analyse (both periods, shares, Pareto): {summary_ms(t_portal)}")
            print(f"  plain SQL, same two-period aggregate:                  {summary_ms(t_plain)}")
            print(f"  plain SQL, current period only:                        {summary_ms(t_bare)}")
            print(f"  portal / plain SQL (p50): {ratio:.2f}x  (target <= 2x)")


if __name__ == "__main__":
    main()
