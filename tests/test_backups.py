"""Backups that restore: a round trip gives back every table exactly, a damaged or too-new file is refused,
a backup taken while the portal writes is consistent, and only admins reach the page."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy import inspect as sa_inspect

from app.extensions import db
from app.models import Company, Contact, Deal, JobRecord
from app.services import backup_files, backups, figures, jobs


@pytest.fixture
def backup_dirs(app, tmp_path):
    """Each test gets its own backup and upload folders, holding one uploaded material."""
    saved = {k: app.config[k] for k in ("BACKUP_DIR", "UPLOAD_DIR", "BACKUP_COPY_DIR")}
    app.config.update(BACKUP_DIR=tmp_path / "backups", UPLOAD_DIR=tmp_path / "uploads", BACKUP_COPY_DIR=None)
    (tmp_path / "uploads" / "materials").mkdir(parents=True)
    (tmp_path / "uploads" / "materials" / "scheme.pdf").write_bytes(b"%PDF-1.4 pump scheme " * 100)
    yield tmp_path
    app.config.update(saved)


def _seed(n: int = 15, seed: int = 4) -> None:
    from app.demo import seed_demo

    seed_demo(db.session, companies=n, seed=seed)


def _every_table() -> dict[str, list[tuple]]:
    """Each table's full content in a stable order: what 'the same database' means here."""
    content = {}
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            # by primary key (or every sortable column): JSON columns cannot be ordered on PostgreSQL
            keys = list(table.primary_key.columns) or [c for c in table.columns if c.type.__class__.__name__ != "JSON"]
            rows = conn.execute(select(table).order_by(*keys)).all()
            content[table.name] = [tuple(r) for r in rows]
    return content


def _uploads(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_round_trip_gives_back_every_table_and_file_exactly(app, backup_dirs, make_user, monkeypatch):
    make_user("admin", "crm")
    monkeypatch.setattr(backups, "RESTORE_STEP_PAGES", 1)  # a SQLite restore in many steps, one commit
    with app.app_context():
        _seed()
        before, files_before = _every_table(), _uploads(backup_dirs / "uploads")
        assert all(before[t] for t in ("companies", "contacts", "deals", "users", "units"))
        info = backups.backup_now("manual")
        assert info.verified

        # change everything: new rows, changed rows, removed rows, other files
        _seed(10, seed=9)
        db.session.execute(update(Company).values(legal_name="Changed", version=Company.version + 1))
        db.session.execute(text("DELETE FROM deal_lines"))
        db.session.commit()
        (backup_dirs / "uploads" / "materials" / "scheme.pdf").write_bytes(b"overwritten")
        (backup_dirs / "uploads" / "new.txt").write_text("added later")
        assert _every_table() != before

        outcome = backups.restore_in_portal(info.path)
        assert _every_table() == before
        assert _uploads(backup_dirs / "uploads") == files_before
        safety = backups.find_backup(app.config, outcome["safety"])
        assert backup_files.read_manifest(safety)["kind"] == "safety"


def test_a_restore_copying_pages_while_the_file_is_still_being_extracted_gives_back_every_table(
        app, backup_dirs, monkeypatch):
    """Small deflate blocks, a slow extraction and one page per step: the copy has to wait for the extraction
    again and again, and still commits exactly the backed-up content."""
    import time as clock

    monkeypatch.setattr(backup_files, "DEFLATE_BLOCK", 16 * 1024)
    monkeypatch.setattr(backups, "RESTORE_STEP_PAGES", 1)
    slow_inflate = backup_files._inflate_block
    monkeypatch.setattr(backup_files, "_inflate_block", lambda raw, last: (clock.sleep(0.01), slow_inflate(raw, last))[1])
    with app.app_context():
        _seed(8)
        before = _every_table()
        info = backups.create_backup(db.engine, app.config)
        assert len(backup_files.read_manifest(info.path)["database"]["blocks"]) > 5
        _seed(4, seed=11)
        db.session.execute(text("DELETE FROM deal_lines"))
        db.session.commit()
        backups.restore_in_portal(info.path)
        assert _every_table() == before


def test_backup_taken_while_another_thread_writes_restores_consistent(app, backup_dirs):
    """Each writer transaction adds a company with exactly two contacts; a restore never shows half of one."""
    stop, written = threading.Event(), []

    def writer():
        with app.app_context():
            while not stop.is_set():
                company = Company(legal_name=f"Writer {len(written)}")
                db.session.add(company)
                db.session.flush()
                db.session.add_all([Contact(company_id=company.id, name="A"), Contact(company_id=company.id, name="B")])
                db.session.commit()
                written.append(company.id)
            db.session.remove()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(written) < 20:
            stop.wait(0.01)
        with app.app_context():
            info = backups.create_backup(db.engine, app.config)
        more = len(written) + 20
        while len(written) < more:  # and the writer carries on after the backup
            stop.wait(0.01)
    finally:
        stop.set()
        thread.join()
    manifest = backup_files.read_manifest(info.path)
    assert 0 < manifest["tables"]["companies"] < len(written)
    with app.app_context():
        assert backups.verify_backup(db.engine, app.config, info.path).verified
        backups.restore_in_portal(info.path)
        companies = db.session.scalar(select(func.count(Company.id)))
        per_company = db.session.execute(select(Contact.company_id, func.count()).group_by(Contact.company_id)).all()
        assert companies == manifest["tables"]["companies"]
        assert {n for _, n in per_company} == {2} and len(per_company) == companies


def test_parallel_deflate_writes_one_ordinary_deflate_stream():
    """Blocks deflated on several threads join into a stream plain zlib inflates, whatever the block edges."""
    import random
    import zlib

    rng = random.Random(7)
    words = [b"pump", b"meter", b"invoice", b"Moscow", b"\x00\x01\x02", bytes(range(256))]
    data = b"".join(rng.choice(words) for _ in range(600_000))  # ~28 MB: several 8 MB blocks, a ragged tail
    squeezer = backup_files.ParallelDeflate(level=1, workers=3)
    pieces = [squeezer.compress(data[i:i + 1_000_003]) for i in range(0, len(data), 1_000_003)]
    stream = b"".join(pieces) + squeezer.flush()
    inflater = zlib.decompressobj(-15)
    assert inflater.decompress(stream) + inflater.flush() == data and inflater.eof
    empty = backup_files.ParallelDeflate(level=1)
    assert zlib.decompress(empty.flush(), -15) == b""


def test_a_backup_opens_with_any_unzip(app, backup_dirs, tmp_path):
    """The zip is standard: Python's own zipfile (plain zlib) reads every member, CRCs hold, the database opens;
    the manifest's SHA-256 is of the member's bytes as they lie in the file (format 2)."""
    import hashlib
    import sqlite3
    import struct

    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("opens the extracted SQLite database")
        _seed(5)
        info = backups.create_backup(db.engine, app.config)
    manifest = backup_files.read_manifest(info.path)
    member = manifest["database"]
    with zipfile.ZipFile(info.path) as zf:
        assert zf.testzip() is None
        entry = zf.getinfo(member["path"])
        assert entry.compress_type == zipfile.ZIP_DEFLATED
        (tmp_path / "out").mkdir()
        extracted = Path(zf.extract(member["path"], tmp_path / "out"))
    raw = info.path.read_bytes()
    name_length, extra_length = struct.unpack("<HH", raw[entry.header_offset + 26:entry.header_offset + 30])
    start = entry.header_offset + 30 + name_length + extra_length
    assert hashlib.sha256(raw[start:start + entry.compress_size]).hexdigest() == member["sha256"]
    assert extracted.stat().st_size == member["size"]
    conn = sqlite3.connect(extracted)
    assert conn.execute("SELECT count(*) FROM companies").fetchone()[0] == manifest["tables"]["companies"]
    conn.close()


def test_level_0_stores_the_members_and_still_verifies(app, backup_dirs, monkeypatch):
    monkeypatch.setitem(app.config, "BACKUP_COMPRESSLEVEL", 0)
    with app.app_context():
        _seed(5)
        info = backups.backup_now("manual")
        assert info.verified
    with zipfile.ZipFile(info.path) as zf:
        assert {i.compress_type for i in zf.infolist() if i.filename != "manifest.json"} == {zipfile.ZIP_STORED}


def _altered(path: Path, at: float) -> Path:
    """A copy with one byte flipped inside the database member."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(backup_files.read_manifest(path)["database"]["path"])
    pos = info.header_offset + 100 + int((info.compress_size - 200) * at)
    data[pos] ^= 0xFF
    bad = path.with_name(path.name.replace("-manual-", "-nightly-"))
    bad.write_bytes(bytes(data))
    return bad


def test_truncated_or_altered_files_are_refused_by_verify_and_restore(app, backup_dirs):
    with app.app_context():
        _seed(5)
        good = backups.backup_now("manual").path
        truncated = good.with_name(good.name.replace("-manual-", "-safety-"))
        truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
        altered = _altered(good, 0.5)
        before = _every_table()
        for bad in (truncated, altered):
            with pytest.raises(backup_files.BackupError, match="damaged|altered"):
                backups.verify_in_portal(bad)
            with pytest.raises(backup_files.BackupError, match="damaged|altered"):
                backups.restore_in_portal(bad)
            assert backups.backup_info(bad).status == "failed"
        assert _every_table() == before
        assert not any(b.kind == "safety" and b.path != truncated for b in backups.list_backups(app.config)), \
            "a refused restore takes no safety backup"


def test_a_manifest_that_lies_about_row_counts_fails_verification(app, backup_dirs, monkeypatch):
    """Checksums all right, but the manifest promises a company the database does not hold: verify refuses."""
    with app.app_context():
        _seed(5)
        counter = "_sqlite_tables" if db.engine.dialect.name == "sqlite" else "_pg_tables"
        honest = getattr(backups, counter)
        monkeypatch.setattr(backups, counter, lambda conn: {**honest(conn), "companies": honest(conn)["companies"] + 1})
        forged = backups.create_backup(db.engine, app.config).path
        monkeypatch.undo()
        with pytest.raises(backup_files.BackupError, match="companies: 6 expected, 5 restored"):
            backups.verify_in_portal(forged)
        assert backups.backup_info(forged).status == "failed"


def test_a_format_1_backup_from_the_previous_release_still_verifies_and_restores(app, backup_dirs):
    """Format 1 checksummed each member's content; such files, written with plain zipfile, stay usable."""
    import hashlib
    import json

    with app.app_context():
        _seed(5)
        before = _every_table()
        current = backups.create_backup(db.engine, app.config).path
        old = current.with_name(current.name.replace("-manual-", "-nightly-"))
        with zipfile.ZipFile(current) as src, zipfile.ZipFile(old, "w", zipfile.ZIP_DEFLATED) as dst:
            manifest = json.loads(src.read("manifest.json"))
            for member in [manifest["database"], *manifest["files"]]:
                data = src.read(member["path"])
                member["sha256"] = hashlib.sha256(data).hexdigest()
                dst.writestr(member["path"], data)
            manifest["format"] = 1
            manifest["payload_sha256"] = backup_files.payload_digest([manifest["database"], *manifest["files"]])
            dst.writestr("manifest.json", json.dumps(manifest))
        current.unlink()
        assert backups.verify_in_portal(old).verified
        db.session.execute(text("DELETE FROM deal_lines"))
        db.session.commit()
        backups.restore_in_portal(old)
        assert _every_table() == before


def test_a_safety_backup_that_fails_restores_nothing(app, backup_dirs, monkeypatch):
    """The restore copies pages while the safety backup is zipped, but commits only once that is on disk."""
    with app.app_context():
        _seed(5)
        info = backups.create_backup(db.engine, app.config)
        db.session.execute(text("DELETE FROM deal_lines"))
        db.session.commit()
        before = _every_table()
        honest = backups.package

        def failing(config, snapshot, kind, *args, **kwargs):
            if kind == "safety":
                raise backup_files.BackupError("The backup disk is full.")
            return honest(config, snapshot, kind, *args, **kwargs)

        monkeypatch.setattr(backups, "package", failing)
        monkeypatch.setattr(backups, "RESTORE_STEP_PAGES", 1)  # many steps even on this small base
        with pytest.raises(backup_files.BackupError, match="disk is full"):
            backups.restore_in_portal(info.path)
        assert _every_table() == before
        assert [b.name for b in backups.list_backups(app.config)] == [info.name]


def test_a_backup_from_a_newer_schema_is_refused(app, backup_dirs):
    with app.app_context():
        db.session.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)"))
        db.session.execute(text("INSERT INTO alembic_version VALUES ('9999_from_the_future')"))
        db.session.commit()
        try:
            info = backups.create_backup(db.engine, app.config)
            with pytest.raises(backup_files.BackupError, match="newer than this portal"):
                backups.restore_in_portal(info.path)
        finally:
            db.session.execute(text("DROP TABLE alembic_version"))
            db.session.commit()


def test_a_backup_of_an_older_schema_is_restored_then_upgraded(scratch_database_url, tmp_path):
    """A portal at an older revision is backed up; the code moves on; the restore brings the data back at head."""
    from alembic.script import ScriptDirectory
    from flask_migrate import upgrade

    from app import create_app
    from app.config import TestConfig

    portal = create_app({**{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
                         "SQLALCHEMY_DATABASE_URI": scratch_database_url, "BACKUP_DIR": tmp_path / "backups",
                         "UPLOAD_DIR": tmp_path / "uploads", "START_INPROCESS_WORKER": False})
    with portal.app_context():
        directory = portal.extensions["migrate"].directory
        head = ScriptDirectory(directory).get_current_head()
        older = ScriptDirectory(directory).get_revision(head).down_revision
        upgrade(directory=directory, revision=older)
        db.session.add(Company(legal_name="Written under the older schema"))
        db.session.commit()
        info = backups.create_backup(db.engine, portal.config)
        assert backup_files.read_manifest(info.path)["alembic_revision"] == older

        upgrade(directory=directory)  # the portal is upgraded and goes on working
        db.session.execute(text("DELETE FROM companies"))
        db.session.commit()

        outcome = backups.restore_in_portal(info.path)
        assert outcome["upgraded"] is True
        assert db.session.scalar(text("SELECT version_num FROM alembic_version")) == head
        assert db.session.scalars(select(Company.legal_name)).all() == ["Written under the older schema"]
        from app.models.search import ENGINE_INDEX_OBJECTS

        tables = set(sa_inspect(db.engine).get_table_names()) - {"alembic_version"} - ENGINE_INDEX_OBJECTS
        assert tables == set(db.metadata.tables), "every table of the current schema is there"
        db.session.remove()
        db.engine.dispose()


KILL_SCRIPT = textwrap.dedent("""
    import os, sys, time
    from app import create_app
    from app.config import TestConfig
    from app.extensions import db
    from app.services import backups

    app = create_app({**{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
                      "SQLALCHEMY_DATABASE_URI": sys.argv[1], "BACKUP_DIR": sys.argv[2], "UPLOAD_DIR": sys.argv[3],
                      "START_INPROCESS_WORKER": False})

    def progress(pct):
        if pct >= 50:  # halfway through writing the zip: tell the test, then wait to be killed
            print("writing", flush=True)
            time.sleep(60)

    with app.app_context():
        backups.create_backup(db.engine, app.config, progress=progress)
""")


def test_a_backup_killed_midway_leaves_no_file_that_verifies(app, backup_dirs):
    with app.app_context():
        _seed(20)
    (backup_dirs / "uploads" / "big.bin").write_bytes(os.urandom(3 << 20))
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    child = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, app.config["SQLALCHEMY_DATABASE_URI"],
                              str(backup_dirs / "backups"), str(backup_dirs / "uploads")],
                             stdout=subprocess.PIPE, env=env, cwd=env["PYTHONPATH"])
    try:
        assert child.stdout.readline().strip() == b"writing"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    left = [p for p in (backup_dirs / "backups").iterdir()]
    assert any(p.name.endswith(".partial") for p in left), "the kill came while the file was being written"
    assert backups.list_backups(app.config) == []
    with app.app_context():
        for leftover in left:
            if leftover.is_file():
                with pytest.raises(backup_files.BackupError):
                    backups.verify_in_portal(leftover)


def _fake_history(app, source: Path, days: list[int]) -> list[Path]:
    """Copies of a verified backup dated `days` ago, as if made nightly in the past."""
    now = datetime.now(timezone.utc)
    made = []
    for ago in days:
        stamp = now - timedelta(days=ago)
        path = source.with_name(f"clientele-{stamp:%Y%m%dT%H%M%SZ}-nightly-{ago:06x}.zip")
        shutil.copy(source, path)
        made.append(path)
    return made


def test_retention_keeps_daily_weekly_monthly_and_prunes_only_after_a_newer_verified(app, backup_dirs):
    app.config.update(BACKUP_KEEP_DAILY=3, BACKUP_KEEP_WEEKLY=2, BACKUP_KEEP_MONTHLY=2)
    try:
        with app.app_context():
            first = backups.create_backup(db.engine, app.config).path
            history = _fake_history(app, first, [1, 2, 3, 4, 5, 6, 9, 16, 40, 75, 200])
            first.unlink()
            for path in history:
                backups.verify_backup(db.engine, app.config, path)
            newest = backups.create_backup(db.engine, app.config)  # not verified yet
            assert backups.prune(app.config)  # the older, surplus ones go
            names = {b.name for b in backups.list_backups(app.config)}
            assert newest.name in names
            kept_days = sorted(int(n.rsplit("-", 1)[1][:6], 16) for n in names if n != newest.name)
            # 3 newest days; the newest of 2 weeks; the newest of 2 months (and nothing older survives)
            assert kept_days[:3] == [1, 2, 3]
            assert max(kept_days) <= 75 and 200 not in kept_days
            listing = backups.list_backups(app.config)
            assert all(b.kept_until for b in listing if b.name != newest.name)
            assert next(b for b in listing if b.name == newest.name).fate == "pending"
    finally:
        app.config.update(BACKUP_KEEP_DAILY=7, BACKUP_KEEP_WEEKLY=4, BACKUP_KEEP_MONTHLY=12)


def test_nothing_is_pruned_while_no_backup_is_verified(app, backup_dirs):
    with app.app_context():
        first = backups.create_backup(db.engine, app.config).path
        _fake_history(app, first, [30, 60, 90])
        assert backups.prune(app.config) == []
        assert len(backups.list_backups(app.config)) == 4


def test_second_directory_gets_a_copy(app, backup_dirs):
    app.config["BACKUP_COPY_DIR"] = backup_dirs / "offsite"
    with app.app_context():
        info = backups.create_backup(db.engine, app.config)
    copy = backup_dirs / "offsite" / info.name
    assert copy.read_bytes() == info.path.read_bytes()


def test_age_of_newest_verified_backup_figure_and_alert(app, auth, make_user, backup_dirs):
    admin, staff = make_user("admin", "crm"), make_user("staff", "crm")
    with app.test_request_context():  # figures label themselves in the reader's language
        assert backups.newest_verified_backup_age(db.session) is None
        fig = figures.compute(db.session, "newest_verified_backup_age_days")
        assert fig.value is None and fig.note
    auth.login(admin)
    assert "There is no verified backup" in auth.get("/").get_data(as_text=True)
    with app.test_request_context():  # figures label themselves in the reader's language
        old = backups.create_backup(db.engine, app.config).path
        [stale] = _fake_history(app, old, [3])
        old.unlink()
        backups.verify_backup(db.engine, app.config, stale)
        assert backups.newest_verified_backup_age(app.config) > timedelta(days=2)
        assert figures.compute(db.session, "newest_verified_backup_age_days").status == "bad"
    assert "The newest verified backup is 3 days old" in auth.get("/").get_data(as_text=True)
    with app.test_request_context():  # figures label themselves in the reader's language
        backups.backup_now("manual")
        assert backups.newest_verified_backup_age(db.session) < timedelta(hours=1)
        assert figures.compute(db.session, "newest_verified_backup_age_days").status == "ok"
    assert "backup-alert" not in auth.get("/").get_data(as_text=True)
    auth.client.post("/logout", headers={"X-CSRFToken": auth.token})
    auth.login(staff)
    with app.test_request_context():  # figures label themselves in the reader's language
        shutil.rmtree(app.config["BACKUP_DIR"])
    assert "backup-alert" not in auth.get("/").get_data(as_text=True)


def test_staff_and_heads_cannot_open_backups(app, auth, make_user, backup_dirs):
    with app.app_context():
        name = backups.create_backup(db.engine, app.config).name
    auth.login(make_user("head", "crm"))
    assert auth.get("/admin/backups/").status_code == 403
    assert auth.get(f"/admin/backups/{name}/download").status_code == 403
    assert auth.post("/admin/backups/run", htmx=True).status_code == 403
    assert auth.post(f"/admin/backups/{name}/restore", {"confirm": "RESTORE"}, htmx=True).status_code == 403
    assert "Backups" not in auth.get("/").get_data(as_text=True)


def test_admin_backs_up_now_downloads_and_restores_with_confirmation(app, auth, make_user, backup_dirs):
    admin = make_user("admin", "crm")
    auth.login(admin)
    resp = auth.post("/admin/backups/run", htmx=True)
    assert resp.status_code == 200 and 'role="progressbar"' in resp.get_data(as_text=True)
    with app.app_context():
        job_id = db.session.scalars(select(JobRecord.id).where(JobRecord.kind == "backup")).one()
        assert jobs.wait_for(job_id, timeout=300).status == "finished"
    page = auth.get("/admin/backups/").get_data(as_text=True)
    assert "Verified" in page
    [info] = backups.list_backups(app.config)
    download = auth.get(f"/admin/backups/{info.name}/download")
    assert download.status_code == 200 and download.data == info.path.read_bytes()
    assert auth.get("/admin/backups/../../secret_key/download").status_code == 404

    with app.app_context():
        _seed(3)
    wrong = auth.post(f"/admin/backups/{info.name}/restore", {"confirm": "yes"}, htmx=True)
    assert wrong.status_code == 422 and "Type RESTORE in capital letters" in wrong.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Company.id))) >= 3
    resp = auth.post(f"/admin/backups/{info.name}/restore", {"confirm": "RESTORE"}, htmx=True)
    assert resp.status_code == 200
    with app.app_context():
        job_id = db.session.scalars(select(JobRecord.id).where(JobRecord.kind == "backup_restore")).one()
        db.session.commit()  # a transaction held open here would wait on the restore and it on us
        jobs.runtime().work_burst()
        done = db.session.get(JobRecord, job_id)
        assert done.status == "finished", done.error
        assert "restored" in done.result_text
        assert db.session.scalar(select(func.count(Company.id))) == 0
        assert db.session.scalar(select(func.count(Deal.id))) == 0


def test_embedded_default_starts_the_nightly_scheduler_with_its_worker(tmp_path):
    """The in-process worker starts the periodic-job scheduler beside it; tests without the worker start neither."""
    from app import create_app
    from app.config import TestConfig
    from app.schedule import SCHEDULE

    assert any(s.func == "app.backups.jobs.nightly_backup" and s.config_key == "BACKUP_CRON" for s in SCHEDULE)
    settings = {**{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'cron.db'}", "REDIS_URL": None}
    quiet = create_app({**settings, "START_INPROCESS_WORKER": False})
    jobs.runtime(quiet).ensure_worker_thread()
    assert jobs.runtime(quiet)._cron is None
    embedded = create_app({**settings, "START_INPROCESS_WORKER": True})
    rt = jobs.runtime(embedded)
    try:
        with embedded.test_client() as client:
            client.get("/login")  # the first request starts the worker and the scheduler
        assert rt._thread.is_alive() and rt._cron.is_alive() and rt._cron.name == "clientele-cron"
    finally:
        rt.stop()


def test_the_page_speaks_russian(app, auth, make_user, backup_dirs):
    from app.i18n import compile_catalogs

    compile_catalogs()
    auth.login(make_user("admin", "crm"))
    auth.post("/language", {"lang": "ru", "next": "/admin/backups/"})
    page = auth.get("/admin/backups/").get_data(as_text=True)
    assert "Сделать копию сейчас" in page and "Резервных копий пока нет." in page
    assert "Нет ни одной проверенной резервной копии" in page


def test_postgresql_verify_restores_into_a_scratch_database_and_drops_it_and_abandoned_ones(app, backup_dirs):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the scratch database is PostgreSQL's; SQLite verifies an extracted file")
        _seed(5)
        database = db.engine.url.database
        killed_yesterday = backups._scratch_name(database, datetime.now(timezone.utc).timestamp() - 2 * 86400)
        running_now = backups._scratch_name(database, datetime.now(timezone.utc).timestamp() - 60)
        admin = backups._admin_engine(db.engine.url)
        scratches = text("SELECT datname FROM pg_database WHERE datname LIKE :p")
        # another run's verification, younger than a day, may share this server: it is not this test's to judge
        others = set(db.session.scalars(scratches, {"p": f"{database}_verify_%"}))
        with admin.connect() as conn:
            for name in (killed_yesterday, running_now):
                conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE template0'))
        try:
            info = backups.backup_now("manual")
            assert info.verified
            for thread in threading.enumerate():
                if thread.name.startswith("drop-"):
                    thread.join(600)
            left = set(db.session.scalars(scratches, {"p": f"{database}_verify_%"})) - others
            assert left == {running_now}, "its own scratch and a day-old abandoned one are dropped, not a running one"
        finally:
            with admin.connect() as conn:
                for name in (killed_yesterday, running_now):
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            admin.dispose()


def test_backups_are_readable_by_the_portals_account_only(app, backup_dirs, tmp_path):
    import stat

    app.config["BACKUP_COPY_DIR"] = tmp_path / "copy"
    with app.app_context():
        _seed(3)
        info = backups.create_backup(db.engine, app.config)
    assert stat.S_IMODE(info.path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "copy" / info.path.name).stat().st_mode) == 0o600
