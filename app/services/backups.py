"""Backups that restore: one zip per backup (database snapshot, uploaded files, manifest), trusted only once
a restore of it into a scratch database gave back what its manifest promises.

The files are the source of truth: a backup's time and kind are in its name, what it holds in its manifest,
and whether it was verified in a small status file beside it (a table would be rolled back by a restore).
"""
from __future__ import annotations

import json
import logging
import os
import re
import secrets
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import time
import zipfile
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from app.services import weeks
from app.services.backup_files import (
    CHUNK,
    DB_MEMBER,
    FORMAT,
    MANIFEST,
    UPLOADS_PREFIX,
    BackupError,
    Progress,
    Watermark,
    add_member,
    check_file,
    extracted_path,
    fsync_dir,
    open_for_reading,
    payload_digest,
    progress_step,
    read_manifest,
    write_atomically,
)

NAME_RE = re.compile(r"^clientele-(\d{8}T\d{6}Z)-([a-z]+)-[0-9a-f]{6}\.zip$")
KINDS = ("manual", "nightly", "safety")
MMAP_BYTES = 1 << 40  # SQLite caps it at its compile-time maximum
RESTORE_STEP_PAGES = 1024  # at least this many pages per step of a SQLite restore (about 20 steps in all)
STALE_WORK_SECONDS = 24 * 3600

log = logging.getLogger(__name__)


@dataclass
class BackupInfo:
    """One backup file as the list shows it."""

    path: Path
    created_at: datetime
    kind: str
    size: int
    status: str = "unverified"  # unverified | verified | failed
    checked_at: datetime | None = None
    error: str | None = None
    kept_until: date | None = None
    fate: str = "kept"  # kept | pending (newer than the newest verified) | expiring (next prune removes it)

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def verified(self) -> bool:
        return self.status == "verified"


# ---------------------------------------------------------------- settings and names

def backup_dir(config: Mapping) -> Path:
    return Path(config["BACKUP_DIR"])


def compress_level(config: Mapping) -> int:
    """0 stores the files as they are; 1 (default) to 3 deflate them (ISA-L levels, 1 the fastest)."""
    return max(0, min(3, int(config.get("BACKUP_COMPRESSLEVEL", 1))))


def keep_policy(config: Mapping) -> tuple[int, int, int]:
    """How many daily, weekly and monthly backups retention keeps."""
    return (int(config.get("BACKUP_KEEP_DAILY", 7)), int(config.get("BACKUP_KEEP_WEEKLY", 4)),
            int(config.get("BACKUP_KEEP_MONTHLY", 12)))


def _status_path(path: Path) -> Path:
    return path.with_name(path.name + ".status.json")


def _parse_name(name: str) -> tuple[datetime, str] | None:
    match = NAME_RE.match(name)
    if not match:
        return None
    stamp = datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    return stamp, match.group(2)


def find_backup(config: Mapping, name: str) -> Path:
    """A backup in the backup directory by its file name; anything else (a path, a stranger file) is refused."""
    if _parse_name(name) is None:
        raise BackupError(f"{name!r} is not the name of a backup.")
    path = backup_dir(config) / name
    if not path.is_file():
        raise BackupError(f"There is no backup named {name}.")
    return path


def engine_kind(engine: Engine) -> str:
    name = engine.dialect.name
    if name not in DB_MEMBER:
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {name}.")
    return name


def _sqlite_file(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        raise BackupError("An in-memory SQLite database cannot be backed up.")
    return Path(database)


def _sqlite_tables(conn: sqlite3.Connection) -> dict[str, int]:
    names = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    return {n: conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}


def _sqlite_revision(conn: sqlite3.Connection) -> str | None:
    exists = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'").fetchone()
    if not exists:
        return None
    row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return row[0] if row else None


def _snapshot_sqlite(engine: Engine, target: Path) -> tuple[dict[str, int], str | None]:
    """SQLite's online backup API copies the database in one read transaction: consistent while others write."""
    source = sqlite3.connect(_sqlite_file(engine), timeout=60)
    dest = sqlite3.connect(target)
    try:
        source.execute(f"PRAGMA mmap_size={MMAP_BYTES}")  # pages read straight from the OS cache, one copy fewer
        # a scratch copy on its way into the zip: the zip is what gets synced to disk, not this file
        dest.execute("PRAGMA synchronous=OFF")
        dest.execute("PRAGMA journal_mode=OFF")
        source.backup(dest)  # all pages in one step; with WAL, writers carry on meanwhile
        dest.execute("PRAGMA journal_mode=DELETE")  # a self-contained file, no -wal beside it
        return _sqlite_tables(dest), _sqlite_revision(dest)
    finally:
        dest.close()
        source.close()


def _libpq(url) -> tuple[str, dict]:
    """A libpq connection string for the PostgreSQL tools, the password in the environment, not argv."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    dsn = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return dsn, env


def _pg_tool(config: Mapping, name: str) -> str:
    folder = config.get("BACKUP_PG_BIN")
    path = str(Path(folder) / name) if folder else shutil.which(name)
    if not path or not Path(path).exists():
        raise BackupError(f"{name} is not installed; install the PostgreSQL client tools (or set BACKUP_PG_BIN).")
    return path


def _check_pg_tools(config: Mapping, conn) -> None:
    """pg_dump refuses, or worse, dumps wrongly, from a newer server: say so before starting."""
    server = int(conn.execute(text("SHOW server_version_num")).scalar()) // 10000
    out = subprocess.run([_pg_tool(config, "pg_dump"), "--version"], capture_output=True, text=True).stdout
    match = re.search(r"(\d+)(?:\.\d+)?", out)
    tools = int(match.group(1)) if match else 0
    if tools < server:
        raise BackupError(f"pg_dump {tools} is older than the PostgreSQL server {server}; "
                          f"install postgresql-client-{server}.")


def _quote(conn, name: str) -> str:
    return conn.dialect.identifier_preparer.quote(name)


def _pg_tables(conn) -> dict[str, int]:
    names = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")).scalars()
    return {n: conn.execute(text(f"SELECT count(*) FROM {_quote(conn, n)}")).scalar() for n in list(names)}


def _pg_revision(conn) -> str | None:
    if conn.execute(text("SELECT to_regclass('public.alembic_version')")).scalar() is None:
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _run(cmd: list[str], env: dict, what: str) -> None:
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{what} failed: {done.stderr.strip()[-1500:]}")


def _snapshot_pg(engine: Engine, config: Mapping, target: Path) -> tuple[dict[str, int], str | None]:
    """pg_dump and the row counts read one exported snapshot, so the manifest describes exactly the dump."""
    dsn, env = _libpq(engine.url)
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar()
            _check_pg_tools(config, conn)
            tables, revision = _pg_tables(conn), _pg_revision(conn)
            # uncompressed: the zip deflates it on every core, several times faster than pg_dump's own zlib
            _run([_pg_tool(config, "pg_dump"), "--format=custom", "--compress=0", f"--snapshot={snapshot}",
                  "--no-owner", f"--file={target}", f"--dbname={dsn}"], env, "pg_dump")
    return tables, revision


# ---------------------------------------------------------------- making a backup

def _upload_files(config: Mapping) -> list[tuple[Path, str]]:
    root = Path(config["UPLOAD_DIR"])
    if not root.is_dir():
        return []
    return [(p, UPLOADS_PREFIX + p.relative_to(root).as_posix()) for p in sorted(root.rglob("*")) if p.is_file()]


WORK_PREFIX = ".clientele-backup-work-"


def scratch_parent(config: Mapping) -> Path:
    """Where the intermediate copies (the snapshot, an extracted database) go: beside the backups, the disk sized
    for them, unless BACKUP_SCRATCH_DIR says otherwise. They are never synced, so they cost little disk time
    (measured: memory, /dev/shm, made restores no faster)."""
    folder = Path(config["BACKUP_SCRATCH_DIR"]) if config.get("BACKUP_SCRATCH_DIR") else backup_dir(config)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _scratch(config: Mapping) -> tempfile.TemporaryDirectory:
    parent = scratch_parent(config)
    _remove_stale_work(parent)
    return tempfile.TemporaryDirectory(dir=parent, prefix=WORK_PREFIX)


def _remove_stale_work(folder: Path) -> None:
    """A backup killed midway leaves its temporary files; sweep those older than a day."""
    cutoff = time.time() - STALE_WORK_SECONDS
    leftovers = list(folder.glob("*.partial")) + list(folder.glob(".work-*")) + list(folder.glob(WORK_PREFIX + "*"))
    for leftover in leftovers:
        try:
            if leftover.stat().st_mtime < cutoff:
                shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()
        except FileNotFoundError:
            pass


@dataclass
class Snapshot:
    """A consistent copy of the database in a work folder, and what the manifest will say of it."""

    engine: str
    file: Path
    tables: dict[str, int]
    revision: str | None
    taken_at: datetime


def take_snapshot(engine: Engine, config: Mapping, work: Path) -> Snapshot:
    """The database as of one moment, copied into `work` while the portal goes on writing."""
    dbkind = engine_kind(engine)
    work.mkdir(parents=True, exist_ok=True)
    taken_at = datetime.now(timezone.utc).replace(microsecond=0)
    target = work / DB_MEMBER[dbkind]
    if dbkind == "sqlite":
        tables, revision = _snapshot_sqlite(engine, target)
    else:
        tables, revision = _snapshot_pg(engine, config, target)
    return Snapshot(dbkind, target, tables, revision, taken_at)


def package(config: Mapping, snapshot: Snapshot, kind: str, progress: Progress | None = None,
            portal_version: str | None = None, workers: int | None = None) -> BackupInfo:
    """Zip a snapshot with the uploads and the manifest; the file gets its real name only once complete and synced.
    `workers` threads deflate (default: one per core)."""
    if kind not in KINDS:
        raise ValueError(kind)
    from app import __version__

    folder = backup_dir(config)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    name = f"clientele-{snapshot.taken_at:%Y%m%dT%H%M%SZ}-{kind}-{secrets.token_hex(3)}.zip"
    final, partial = folder / name, folder / (name + ".partial")
    # The whole client base is in it: readable by the portal's own account only, from the first byte.
    partial.touch(mode=0o600)
    partial.chmod(0o600)
    report = progress_step(progress, 0, 100)
    uploads = _upload_files(config)
    level = compress_level(config)
    try:
        with open(partial, "w+b") as raw:  # readable too: a member's stored bytes are hashed back
            with zipfile.ZipFile(raw, "w", allowZip64=True) as zf:
                members = [add_member(zf, snapshot.file, DB_MEMBER[snapshot.engine], level,
                                       progress=progress_step(progress, 0, 75), workers=workers)]
                for i, (path, arcname) in enumerate(uploads):
                    members.append(add_member(zf, path, arcname, level))
                    report(75 + 17 * (i + 1) / len(uploads))
                manifest = {
                    "format": FORMAT, "created_at": snapshot.taken_at.isoformat(), "kind": kind,
                    "portal_version": portal_version or __version__, "engine": snapshot.engine,
                    "alembic_revision": snapshot.revision, "tables": snapshot.tables,
                    "database": members[0], "files": members[1:], "payload_sha256": payload_digest(members),
                }
                zf.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1))
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(partial, final)
        fsync_dir(folder)
    finally:
        partial.unlink(missing_ok=True)
    _copy_elsewhere(config, final)
    report(100)
    return backup_info(final)


def create_backup(engine: Engine, config: Mapping, kind: str = "manual", progress: Progress | None = None,
                  portal_version: str | None = None) -> BackupInfo:
    """Snapshot the database, then zip it with the uploads and the manifest."""
    if kind not in KINDS:
        raise ValueError(kind)
    folder = backup_dir(config)
    folder.mkdir(parents=True, exist_ok=True)
    _remove_stale_work(folder)
    progress_step(progress, 0, 100)(2)
    with _scratch(config) as work:
        snapshot = take_snapshot(engine, config, Path(work))
        return package(config, snapshot, kind, progress_step(progress, 40, 100), portal_version)


def _copy_elsewhere(config: Mapping, path: Path) -> None:
    """A second directory (another disk, a mounted remote) gets the same file, also by temp name and rename."""
    other = config.get("BACKUP_COPY_DIR")
    if not other:
        return
    other = Path(other)
    other.mkdir(parents=True, exist_ok=True)
    tmp = other / (path.name + ".partial")
    tmp.touch(mode=0o600)
    tmp.chmod(0o600)
    with open(path, "rb") as src, open(tmp, "wb") as dst:
        shutil.copyfileobj(src, dst, CHUNK)
        dst.flush()
        os.fsync(dst.fileno())
    os.replace(tmp, other / path.name)
    fsync_dir(other)


# ---------------------------------------------------------------- reading and checking

def _scratch_counts_sqlite(db_file: Path) -> dict[str, int]:
    conn = sqlite3.connect(db_file)
    try:
        conn.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
        result = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if result != "ok":
            raise BackupError(f"The restored database is damaged: {result}")
        return _sqlite_tables(conn)
    finally:
        conn.close()


def _admin_engine(url) -> Engine:
    return create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool)


def _drop_scratch(url, scratch: str) -> None:
    admin = _admin_engine(url)
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
    except Exception:
        log.exception("could not drop the scratch database %s", scratch)
    finally:
        admin.dispose()


def _drop_scratch_soon(url, scratch: str) -> None:
    """DROP DATABASE waits for a checkpoint, minutes on a busy server; the verdict does not depend on it.
    A non-daemon thread, so a command or the portal still finishes the drop before it exits; but in an
    `rq worker`'s work horse, which ends with os._exit and so kills its threads mid-drop (every verification
    there left its scratch database for a day), the drop is part of the job."""
    from rq import get_current_job

    if get_current_job() is not None:
        _drop_scratch(url, scratch)
        return
    threading.Thread(target=_drop_scratch, args=(url, scratch), name=f"drop-{scratch}").start()


def _scratch_name(database: str, at: float) -> str:
    return f"{database[:40]}_verify_{int(at):x}_{secrets.token_hex(3)}"


def _abandoned_scratches(conn, database: str, now: float) -> list[str]:
    """Scratch databases of verifications that died before dropping theirs (their name carries their start)."""
    pattern = re.compile(re.escape(database[:40]) + r"_verify_([0-9a-f]+)_[0-9a-f]{6}$")
    names = conn.execute(text("SELECT datname FROM pg_database WHERE datname LIKE :p"),
                         {"p": database[:40].replace("_", r"\_") + r"\_verify\_%"}).scalars()
    return [n for n in names if (m := pattern.match(n)) and now - int(m.group(1), 16) > STALE_WORK_SECONDS]


def _scratch_counts_pg(engine: Engine, config: Mapping, dump: Path) -> dict[str, int]:
    """Restore into `<db>_verify_<start>_<random>`, count, and drop it whatever happens; also drop the scratch
    databases of verifications killed more than a day ago."""
    url = engine.url
    now = time.time()
    scratch = _scratch_name(url.database, now)
    admin = _admin_engine(url)
    try:
        with admin.connect() as conn:
            for abandoned in _abandoned_scratches(conn, url.database, now):
                _drop_scratch_soon(url, abandoned)
            conn.execute(text(f'CREATE DATABASE "{scratch}" TEMPLATE template0'))
        try:
            dsn, env = _libpq(url.set(database=scratch))
            _run([_pg_tool(config, "pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error",
                  "--single-transaction", f"--dbname={dsn}", str(dump)], env, "pg_restore")
            scratch_engine = create_engine(url.set(database=scratch), poolclass=NullPool)
            try:
                with scratch_engine.connect() as conn:
                    return _pg_tables(conn)
            finally:
                scratch_engine.dispose()
        finally:
            _drop_scratch_soon(url, scratch)
    finally:
        admin.dispose()


def _compare_counts(expected: dict[str, int], found: dict[str, int]) -> None:
    if expected == found:
        return
    diffs = [f"{t}: {expected.get(t, 'absent')} expected, {found.get(t, 'absent')} restored"
             for t in sorted(set(expected) | set(found)) if expected.get(t) != found.get(t)]
    raise BackupError("Row counts after restore differ from the manifest: " + "; ".join(diffs[:10]))


def verify_backup(engine: Engine, config: Mapping, path: Path, progress: Progress | None = None) -> BackupInfo:
    """Check the checksums, restore into a scratch database, compare every table's row count; record the outcome."""
    path = Path(path)
    error = None
    try:
        with _scratch(config) as work:
            manifest, db_file = check_file(path, Path(work), progress_step(progress, 0, 50))
            if manifest["engine"] == "sqlite":
                found = _scratch_counts_sqlite(db_file)
            elif engine_kind(engine) == "postgresql":
                found = _scratch_counts_pg(engine, config, db_file)
            else:
                raise BackupError("A PostgreSQL backup can only be verified by a portal that runs on PostgreSQL.")
            progress_step(progress, 0, 100)(95)
            _compare_counts(manifest["tables"], found)
    except BackupError as exc:
        error = str(exc)
    _record_status(path, "failed" if error else "verified", error)
    if error:
        raise BackupError(error)
    return backup_info(path)


def _record_status(path: Path, status: str, error: str | None) -> None:
    if _parse_name(path.name) is None:
        return  # a file from elsewhere: report only, nothing to remember
    data = {"status": status, "checked_at": datetime.now(timezone.utc).isoformat(), "error": error}
    write_atomically(_status_path(path), json.dumps(data).encode())


def backup_info(path: Path) -> BackupInfo:
    """What the list shows about one file: its name gives time and kind, the status file the verification."""
    created_at, kind = _parse_name(path.name)
    info = BackupInfo(path=path, created_at=created_at, kind=kind, size=path.stat().st_size)
    status_file = _status_path(path)
    if status_file.exists():
        try:
            data = json.loads(status_file.read_text())
            info.status, info.error = data["status"], data.get("error")
            info.checked_at = datetime.fromisoformat(data["checked_at"])
        except (ValueError, KeyError):
            info.status = "unverified"
    return info


def _newest_first(config: Mapping):
    """The complete backups in the backup directory, newest first, each read (its status file) only when reached."""
    folder = backup_dir(config)
    if not folder.is_dir():
        return
    named = sorted(((_parse_name(p.name)[0], p.name) for p in folder.iterdir() if _parse_name(p.name) and p.is_file()),
                   reverse=True)
    for _, name in named:
        try:
            yield backup_info(folder / name)
        except FileNotFoundError:  # pruned meanwhile
            continue


def list_backups(config: Mapping) -> list[BackupInfo]:
    """Every complete backup in the backup directory, newest first, with how long retention keeps it."""
    items = list(_newest_first(config))
    kept = _keepers(items, keep_policy(config))
    newest_verified = next((i.created_at for i in items if i.verified), None)
    for item in items:
        item.kept_until = kept.get(item.name)
        if item.kept_until is None:
            item.fate = "expiring" if newest_verified and item.created_at < newest_verified else "pending"
    return items


def newest_verified_backup_age(session_or_config) -> timedelta | None:
    """How old the newest verified backup is (None: there is none); the division dashboard shows it."""
    if isinstance(session_or_config, Mapping):
        config = session_or_config
    else:
        from flask import current_app

        config = current_app.config
    for item in _newest_first(config):  # every admin page asks: stop at the first verified one
        if item.verified:
            return datetime.now(timezone.utc) - item.created_at
    return None


# ---------------------------------------------------------------- retention

def _add_months(day: date, months: int) -> date:
    y, m = divmod(day.month - 1 + months, 12)
    return date(day.year + y, m + 1, 1)


def _keepers(items: list[BackupInfo], policy: tuple[int, int, int]) -> dict[str, date]:
    """Verified backups retention keeps, newest of each day, week and month, each with the date it lapses
    (assuming a backup is verified every day from now on)."""
    daily, weekly, monthly = policy
    slots = [
        (daily, lambda d: d, lambda d: d + timedelta(days=daily)),
        (weekly, lambda d: weeks.monday(d),
         lambda d: weeks.monday(d) + timedelta(weeks=weekly)),
        (monthly, lambda d: d.replace(day=1), lambda d: _add_months(d, monthly)),
    ]
    kept: dict[str, date] = {}
    verified = [i for i in items if i.verified]  # newest first
    for count, period, lapse in slots:
        seen: set[date] = set()
        for item in verified:
            day = item.created_at.date()
            key = period(day)
            if key in seen:
                continue
            if len(seen) >= count:
                break
            seen.add(key)
            kept[item.name] = max(kept.get(item.name, date.min), lapse(day))
    return kept


def prune(config: Mapping) -> list[str]:
    """Remove what retention no longer keeps, but only backups older than the newest verified one."""
    items = list_backups(config)
    newest_verified = next((i for i in items if i.verified), None)
    if newest_verified is None:
        return []
    removed = []
    for item in items:
        if item.fate != "expiring":
            continue
        remove_backup(config, item.path)
        removed.append(item.name)
    return removed


# ---------------------------------------------------------------- restore

def schema_relation(revision: str | None, migrations_dir: str) -> str:
    """'same', 'older' or 'none' for a backup's Alembic revision; a revision the code does not know is refused."""
    if revision is None:
        return "none"
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    script = ScriptDirectory(migrations_dir)
    if revision in script.get_heads():
        return "same"
    try:
        known = script.get_revision(revision)
    except CommandError:
        known = None
    if known is None:
        raise BackupError(f"This backup's schema ({revision}) is newer than this portal's code knows; "
                          "upgrade the portal first, then restore.")
    return "older"


def _sqlite_header_size(db_file: Path) -> tuple[int, int | None]:
    """Page size and page count from a SQLite file's header (https://sqlite.org/fileformat.html); the count is
    None when the header says it may be stale."""
    with open(db_file, "rb") as f:
        header = f.read(100)
    if len(header) < 100 or not header.startswith(b"SQLite format 3\x00"):
        raise BackupError("The backup's database is not a SQLite database.")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    valid = header[24:28] == header[92:96] and pages > 0
    return page_size, pages if valid else None


def _restore_sqlite(engine: Engine, db_file: Path, before_commit: Callable[[], object] = lambda: None,
                    progress: Progress | None = None, available: Callable[[int], None] = lambda size: None,
                    expected_size: int | None = None) -> None:
    """Copy pages into the live file with the backup API, in one write transaction, so open connections see the
    old database or the restored one, never a mix. `available(n)` returns once the first n bytes of `db_file`
    are written (it may still be being extracted); `before_commit` runs before the step that commits, and an
    exception from either rolls everything back."""
    engine.dispose()
    available(min(expected_size or 1, 65536))  # the header, to learn the page size and count
    source = sqlite3.connect(db_file)
    dest = sqlite3.connect(_sqlite_file(engine), timeout=120)
    try:
        source.execute(f"PRAGMA mmap_size={MMAP_BYTES}")  # pages read straight from the OS cache, one copy fewer
        wal = dest.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        if wal:  # the WAL is synced by the checkpoint below instead of at commit: once, not twice
            dest.execute("PRAGMA synchronous=NORMAL")
        # from the header, not by a query: a query would read the schema, which may not be extracted yet
        page_size, total = _sqlite_header_size(db_file)
        if total is None or (expected_size is not None and total * page_size != expected_size):
            available(expected_size or 0)  # the header cannot be trusted for the size: follow only a whole file
            total = db_file.stat().st_size // page_size
        step = max(RESTORE_STEP_PAGES, total // 20)

        def ready_through(copied: int) -> None:
            available(min(total, copied + step) * page_size)

        if total <= step:
            before_commit()
        ready_through(0)

        def between_steps(status: int, remaining: int, pages: int) -> None:
            if progress and pages:
                progress(100 * (pages - remaining) / pages)
            if 0 < remaining <= step:  # the next step copies the rest and commits
                before_commit()
            elif remaining:
                ready_through(pages - remaining)

        source.backup(dest, pages=step, progress=between_steps)  # an exception here abandons the copy
        if wal:
            dest.execute("PRAGMA wal_checkpoint(PASSIVE)")  # syncs the WAL first: the restore is durable
    finally:
        dest.close()
        source.close()
    engine.dispose()


def _restore_pg(engine: Engine, config: Mapping, dump: Path) -> None:
    engine.dispose()
    try:
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL lock_timeout = '60s'"))  # a session stuck in a transaction must not hang us
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    except OperationalError as exc:
        raise BackupError("Other sessions keep the database busy; nothing was changed. Try again.") from exc
    dsn, env = _libpq(engine.url)
    _run([_pg_tool(config, "pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error",
          "--single-transaction", f"--dbname={dsn}", str(dump)], env, "pg_restore")
    engine.dispose()


def _restore_uploads(config: Mapping, path: Path, files: list[dict]) -> None:
    """Unpack beside the upload folder, then swap folders, so a failure never leaves half the files."""
    root = Path(config["UPLOAD_DIR"])
    root.parent.mkdir(parents=True, exist_ok=True)
    fresh = Path(tempfile.mkdtemp(dir=root.parent, prefix=f".{root.name}-restore-"))
    with zipfile.ZipFile(path) as zf:
        for member in files:
            rel = Path(member["path"][len(UPLOADS_PREFIX):])
            if rel.is_absolute() or ".." in rel.parts:
                raise BackupError(f"{path.name}: refusing the file path {member['path']}.")
            target = fresh / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            with open_for_reading(zf, member["path"]) as src, open(target, "wb") as out:
                shutil.copyfileobj(src, out, CHUNK)
    old = root.with_name(f".{root.name}-old-{secrets.token_hex(3)}")
    if root.exists():
        os.replace(root, old)
    os.replace(fresh, root)
    shutil.rmtree(old, ignore_errors=True)


def restore_backup(engine: Engine, config: Mapping, path: Path, migrations_dir: str,
                   progress: Progress | None = None, upgrade: Callable[[], None] | None = None) -> dict:
    """Refuse a damaged or too-new backup; take a safety backup; restore database and uploads; upgrade an old schema.

    Work overlaps where it is safe. The file is checked and extracted while the current database is snapshotted;
    on SQLite the page copy follows the extraction (never overtaking it) while the snapshot is zipped into the
    safety backup, and the copy's single commit waits until the whole file has passed its checks and the safety
    backup is on disk. Any failure before that commit rolls the copy back: nothing is restored, and a refused file
    leaves no safety backup behind."""
    path = Path(path)
    report = progress_step(progress, 0, 100)
    manifest = read_manifest(path)
    if manifest["engine"] != engine_kind(engine):
        raise BackupError(f"This backup is of a {manifest['engine']} database; the portal runs on "
                          f"{engine_kind(engine)}.")
    relation = schema_relation(manifest.get("alembic_revision"), migrations_dir)
    sqlite = manifest["engine"] == "sqlite"
    with _scratch(config) as work, ThreadPoolExecutor(2, thread_name_prefix="restore") as pool:
        incoming, written = Path(work) / "incoming", Watermark()
        checking = pool.submit(check_file, path, incoming, None, written)
        report(2)
        snapshot = take_snapshot(engine, config, Path(work) / "safety")
        report(30)
        # on SQLite one deflate thread: the other core is the page copy's, which the safety backup only has to beat
        packaging = pool.submit(package, config, snapshot, "safety", workers=1 if sqlite else None)
        try:
            if sqlite:
                def before_commit() -> None:
                    checking.result()
                    packaging.result()

                _restore_sqlite(engine, extracted_path(manifest, incoming), before_commit=before_commit,
                                progress=progress_step(progress, 30, 85), available=written.wait_for,
                                expected_size=manifest["database"]["size"])
                safety = packaging.result()
            else:
                checking.result()
                safety = packaging.result()  # the schema is dropped next: the safety backup must be whole first
                _restore_pg(engine, config, extracted_path(manifest, incoming))
                with engine.connect() as conn:
                    try:
                        _compare_counts(manifest["tables"], _pg_tables(conn))
                    except BackupError as exc:
                        raise BackupError(f"{exc} The state before the restore is in {safety.name}.") from exc
        except BaseException:
            refused = checking.exception()  # waits for the check; if it failed, nothing was committed
            if refused is not None:
                _discard(config, packaging)
                raise refused from None
            raise
        report(85)
        _restore_uploads(config, path, manifest["files"])
    report(92)
    upgraded = relation == "older"
    if upgraded and upgrade is not None:
        upgrade()
    report(100)
    return {"safety": safety.name, "upgraded": upgraded, "tables": manifest["tables"],
            "created_at": manifest["created_at"]}


def _discard(config: Mapping, packaging: Future) -> None:
    """Wait for a safety backup that is no longer wanted, and remove it."""
    try:
        remove_backup(config, packaging.result().path)
    except Exception:
        log.exception("an unwanted safety backup could not be made or removed")


def remove_backup(config: Mapping, path: Path) -> None:
    """A backup, its status file and its copy in the second directory."""
    copy_dir = Path(config["BACKUP_COPY_DIR"]) if config.get("BACKUP_COPY_DIR") else None
    for leftover in (path, _status_path(path), copy_dir / path.name if copy_dir else None):
        if leftover is not None:
            leftover.unlink(missing_ok=True)


# ---------------------------------------------------------------- the portal's own database and settings

def backup_now(kind: str = "manual", progress: Progress | None = None, verify: bool = True) -> BackupInfo:
    """Make a backup of this portal, verify it by a scratch restore, then apply retention (CLI, jobs)."""
    from flask import current_app

    from app.extensions import db

    config = current_app.config
    info = create_backup(db.engine, config, kind=kind, progress=progress_step(progress, 0, 55 if verify else 95))
    if verify:
        info = verify_backup(db.engine, config, info.path, progress=progress_step(progress, 55, 95))
        prune(config)
    return info


def verify_in_portal(path: Path, progress: Progress | None = None) -> BackupInfo:
    from flask import current_app

    from app.extensions import db

    info = verify_backup(db.engine, current_app.config, path, progress=progress)
    prune(current_app.config)
    return info


def restore_in_portal(path: Path, progress: Progress | None = None) -> dict:
    """Restore into this portal's database and upload folder; Alembic upgrades an older schema afterwards."""
    from flask import current_app
    from flask_migrate import upgrade

    from app.extensions import db

    directory = current_app.extensions["migrate"].directory
    from app.services import matching

    db.session.rollback()  # hand our connection back: a held transaction would block the restore
    result = restore_backup(db.engine, current_app.config, path, directory, progress=progress,
                            upgrade=lambda: upgrade(directory=directory))
    matching.forget_index()   # this process's duplicate index knew the base before the restore
    return result


STALE_AFTER = timedelta(days=2)


def stale_backup_warning(user) -> dict | None:
    """For an admin, what the banner says when the newest verified backup is older than two days or missing."""
    from flask import current_app

    from app.services.permissions import is_admin

    if not is_admin(user):
        return None
    age = newest_verified_backup_age(current_app.config)
    if age is not None and age <= STALE_AFTER:
        return None
    return {"days": None if age is None else age.days}
