"""Time to back up and restore a demo base of about 1 GB, next to the raw tools on the same file in the same run:
`sqlite3 .backup`/`.restore` on SQLite, `pg_dump -Fc`/`pg_restore` on PostgreSQL.

    python -m bench.backup [--target-mb 1000] [--companies 20000] [--repeat 3] [--pg postgresql+psycopg://.../db]

Each figure is the median of --repeat runs, the raw tool and the portal taking turns, so a busy moment of the
machine does not land on one side only. The portal's figures include what the raw tools do not: checksums,
the zip, the manifest's row counts, and for restore the checks of the file and the safety backup taken first.
The SQLite base is kept under bench/out/ between runs (delete it to rebuild).
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from bench._common import OUT

PAD = ("INSERT INTO activities (kind, occurred_at, author_id, company_id, contact_id, deal_id, subject, created_at, "
       "updated_at, outcome) SELECT kind, occurred_at, author_id, company_id, contact_id, deal_id, subject, created_at, "
       "updated_at, "
       "coalesce(outcome, '') || ' Client asked for a quote on pumps and meters; follow up next week. ' || {rand} "
       "FROM activities LIMIT {rows}")


def _app(url: str, work: Path):
    from app import create_app
    from app.config import TestConfig

    return create_app({**{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
                       "SQLALCHEMY_DATABASE_URI": url, "BACKUP_DIR": work / "backups", "UPLOAD_DIR": work / "uploads",
                       "INSTANCE_DIR": work, "START_INPROCESS_WORKER": False})


def _size_mb(app) -> float:
    from app.extensions import db

    with db.engine.connect() as conn:
        if db.engine.dialect.name == "sqlite":
            return Path(db.engine.url.database).stat().st_size / 2**20
        return conn.execute(text("SELECT pg_database_size(current_database())")).scalar() / 2**20


def build(app, companies: int, target_mb: int) -> None:
    """Migrate, seed the demo base, then grow the activity log until the database is about target_mb."""
    from flask_migrate import upgrade

    from app.demo import seed_demo
    from app.extensions import db

    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        seed_demo(db.session, companies=companies, seed=1, areas=False, password="demo12345")
        rand = "hex(randomblob(24))" if db.engine.dialect.name == "sqlite" else "md5(random()::text)"
        if db.engine.dialect.name == "postgresql":  # the demo writes its own ids
            db.session.execute(text("SELECT setval(pg_get_serial_sequence('activities', 'id'), "
                                    "(SELECT max(id) FROM activities))"))
        while (size := _size_mb(app)) < target_mb * 0.97:
            count = db.session.scalar(text("SELECT count(*) FROM activities"))
            # the log is most of the file: grow it by the share still missing, at most doubling it
            rows = max(1000, int(count * min(1.0, (target_mb - size) / size * 1.1)))
            db.session.execute(text(PAD.format(rand=rand, rows=rows)))
            db.session.commit()
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        else:
            db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
            db.session.commit()


def clock(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _line(what: str, ours: list[float], raw_name: str, raw: list[float], note: str = "") -> str:
    a, b = statistics.median(ours), statistics.median(raw)
    spread = f"(runs {', '.join(f'{x:.1f}' for x in ours)} / {', '.join(f'{x:.1f}' for x in raw)})"
    return f"    {what:8}: portal {a:6.1f} s   {raw_name:17} {b:6.1f} s   ratio {a / b:4.2f}  {spread}{note}"


def _forget_backups(app) -> None:
    from app.services import backups

    for item in backups.list_backups(app.config):
        backups.remove_backup(app.config, item.path)


def bench_sqlite(args, work: Path) -> list[str]:
    work.mkdir(parents=True)
    OUT.mkdir(exist_ok=True)
    base = OUT / f"backup-base-{args.companies}-{args.target_mb}.db"
    app = _app(f"sqlite:///{base}", work)
    if not base.exists():
        build(app, args.companies, args.target_mb)
    from app.extensions import db
    from app.services import backups

    lines = [f"SQLite base: {base.stat().st_size / 2**20:.0f} MB ({base})"]
    raw_copy = work / "raw.db"
    with app.app_context():
        for level in args.levels:
            app.config["BACKUP_COMPRESSLEVEL"] = level
            t_raw, t_raw_restore, t_ours, t_restore, t_verify = [], [], [], [], []
            size = 0
            for _ in range(args.repeat):
                raw_copy.unlink(missing_ok=True)
                t_raw.append(clock(lambda: subprocess.run(["sqlite3", str(base), f".backup '{raw_copy}'"],
                                                          check=True)))
                box = {}
                t_ours.append(clock(lambda: box.setdefault("info", backups.create_backup(db.engine, app.config))))
                info = box["info"]
                size = info.size
                t_verify.append(clock(lambda: backups.verify_backup(db.engine, app.config, info.path)))
                t_raw_restore.append(clock(lambda: subprocess.run(["sqlite3", str(base), f".restore '{raw_copy}'"],
                                                                  check=True)))
                t_restore.append(clock(lambda: backups.restore_in_portal(info.path)))
                _forget_backups(app)
            safe_by_hand = [b + r for b, r in zip(t_raw, t_raw_restore)]
            lines += [
                f"  BACKUP_COMPRESSLEVEL={level}: backup file {size / 2**20:.0f} MB",
                _line("backup", t_ours, "sqlite3 .backup", t_raw),
                _line("restore", t_restore, "sqlite3 .restore", t_raw_restore,
                      "  (portal: checks + safety backup + restore)"),
                _line("restore", t_restore, ".backup+.restore", safe_by_hand,
                      "  (the raw tools doing the same job: keep the current state, then restore)"),
                f"    verify  : {statistics.median(t_verify):6.1f} s (extract, checksums, integrity_check, counts)",
            ]
        db.engine.dispose()
    return lines


def bench_pg(args, work: Path) -> list[str]:
    from app.services.backups import _libpq

    work.mkdir(parents=True)
    url = args.pg
    engine = create_engine(url, poolclass=NullPool)
    app = _app(url, work)
    if not args.reuse_pg:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        build(app, args.companies, args.pg_target_mb)
    engine.dispose()
    from app.extensions import db
    from app.services import backups

    dsn, env = _libpq(engine.url)
    dump = work / "raw.pgdump"
    scratch = f"{engine.url.database}_bench_raw"
    sdsn, _ = _libpq(engine.url.set(database=scratch))
    admin = create_engine(engine.url.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool)

    def raw_restore():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{scratch}"'))
            conn.execute(text(f'CREATE DATABASE "{scratch}" TEMPLATE template0'))
        return clock(lambda: subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", "--single-transaction",
                                             f"--dbname={sdsn}", str(dump)], check=True, env=env))

    t_dump, t_raw_restore, t_ours, t_restore, t_verify = [], [], [], [], []
    with app.app_context():
        size = _size_mb(app)
        for _ in range(args.repeat):
            t_dump.append(clock(lambda: subprocess.run(["pg_dump", "--format=custom", "--no-owner", f"--file={dump}",
                                                        f"--dbname={dsn}"], check=True, env=env)))
            box = {}
            t_ours.append(clock(lambda: box.setdefault("info", backups.create_backup(db.engine, app.config))))
            info = box["info"]
            t_verify.append(clock(lambda: backups.verify_backup(db.engine, app.config, info.path)))
            t_raw_restore.append(raw_restore())
            t_restore.append(clock(lambda: backups.restore_in_portal(info.path)))
            _forget_backups(app)
        db.engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{scratch}"'))
    admin.dispose()
    return [f"PostgreSQL base: {size:.0f} MB (pg_dump -Fc file {dump.stat().st_size / 2**20:.0f} MB, "
            f"portal backup file {info.size / 2**20:.0f} MB)",
            _line("backup", t_ours, "pg_dump -Fc", t_dump),
            _line("restore", t_restore, "pg_restore", t_raw_restore, "  (portal: checks + safety backup + restore)"),
            _line("restore", t_restore, "pg_dump+pg_restore", [d + r for d, r in zip(t_dump, t_raw_restore)],
                  "  (the raw tools doing the same job: keep the current state, then restore)"),
            f"    verify  : {statistics.median(t_verify):6.1f} s (scratch database restore, counts, drop)"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target-mb", type=int, default=1000)
    parser.add_argument("--pg-target-mb", type=int, default=1000)
    parser.add_argument("--companies", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--levels", type=lambda s: [int(x) for x in s.split(",")], default=[1],
                        help="BACKUP_COMPRESSLEVEL values to measure, e.g. 1,0")
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG_URL"), help="a PostgreSQL database to overwrite")
    parser.add_argument("--reuse-pg", action="store_true", help="the --pg database already holds the base")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    print(f"bench.backup {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
          f"median of {args.repeat}", flush=True)
    work = Path(tempfile.mkdtemp(prefix="clientele-bench-backup-"))
    try:
        if not args.skip_sqlite:
            for line in bench_sqlite(args, work / "sqlite"):
                print(line, flush=True)
        if args.pg:
            for line in bench_pg(args, work / "pg"):
                print(line, flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
