"""Clientele: the Distribution division portal."""
from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask

from app import legacy_jobs
from app.config import APP_DIR, Config

__version__ = "0.1.0"

SQLITE_MMAP_BYTES = 256 * 1024 * 1024  # each connection maps up to this much of the file (see on_connect)

# Blueprints, each an area of the portal: (module path, url prefix).
BLUEPRINTS = [
    ("app.auth", None),
    ("app.main", None),
    ("app.crm", "/crm"),
    ("app.jobs", "/jobs"),
    ("app.admin", "/admin"),
    ("app.workflows", None),
    ("app.sales", "/sales"),
    ("app.key_accounts", "/accounts"),
    ("app.promotion", "/promotion"),
    ("app.backups", "/admin/backups"),
    ("app.data_quality", "/data"),
]


def create_app(config: type | dict | None = None) -> Flask:
    """Build the portal: extensions, blueprints, CLI; no work beyond wiring."""
    app = Flask(__name__, template_folder=str(APP_DIR / "templates"), instance_path=str(Config.INSTANCE_DIR))
    app.config.from_object(Config)
    from app import web

    web.install_converters(app)
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    _ensure_secret_key(app)

    from app import extensions, i18n
    from app.services import audit, search_sync

    extensions.db.init_app(app)
    extensions.migrate.init_app(app, extensions.db, directory=str(APP_DIR / "migrations"))
    extensions.login_manager.init_app(app)
    extensions.htmx.init_app(app)
    extensions.csrf.init_app(app)
    i18n.init_app(app)
    from flask_sqlalchemy.session import Session as AppSession

    audit.install(AppSession)
    search_sync.install(AppSession)
    _sqlite_pragmas(app)

    import importlib

    for module_path, prefix in BLUEPRINTS:
        module = importlib.import_module(module_path)
        app.register_blueprint(module.bp, url_prefix=prefix)

    from app import cli

    web.init_app(app)
    cli.init_app(app)
    _trust_proxies(app)
    return app


def _trust_proxies(app: Flask) -> None:
    """Behind PROXY_COUNT reverse proxies, take the client's address, scheme and host from their headers."""
    count = int(app.config.get("PROXY_COUNT") or 0)
    if count > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count, x_port=count)


def _ensure_secret_key(app: Flask) -> None:
    """Use SECRET_KEY from the environment; the embedded default keeps a generated one in instance/."""
    if app.config.get("SECRET_KEY"):
        return
    key_file = Path(app.instance_path) / "secret_key"
    key_file.parent.mkdir(parents=True, exist_ok=True)
    if not key_file.exists():
        import secrets

        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    app.config["SECRET_KEY"] = key_file.read_text().strip()


def _sqlite_pragmas(app: Flask) -> None:
    """WAL and a busy timeout let the in-process worker write while pages read; a larger cache and mmap for reads;
    savepoints nest in a transaction."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if not uri.startswith("sqlite"):
        return
    if uri.startswith("sqlite:///") and uri != "sqlite:///:memory:":
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    from sqlalchemy import event

    from app.services.folding import register_sqlite

    def on_connect(dbapi_connection, _record):
        register_sqlite(dbapi_connection)  # Cyrillic-aware case folding for SQL comparisons
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        # Reads of a base of hundreds of thousands of clients: a 32 MB page cache per connection, the file
        # memory-mapped (pages shared through the OS cache, no copy per read), sorts in memory.
        cur.execute("PRAGMA cache_size=-32768")
        cur.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
        cur.execute("PRAGMA temp_store=MEMORY")
        cur.close()

    def on_savepoint(conn, _name):
        # Python's sqlite3 driver opens a transaction only before INSERT/UPDATE/DELETE. A SAVEPOINT issued
        # before any write therefore starts a transaction of its own, and its RELEASE commits everything in it:
        # an "all or nothing" import or any begin_nested() would keep rows its rollback should discard.
        # Opening the transaction first makes the SAVEPOINT nest inside it, as on PostgreSQL.
        if not conn.connection.dbapi_connection.in_transaction:
            conn.exec_driver_sql("BEGIN")

    with app.app_context():
        from app.extensions import db

        event.listen(db.engine, "connect", on_connect)
        event.listen(db.engine, "savepoint", on_savepoint)


logging.getLogger("rq.worker").setLevel(logging.WARNING)
legacy_jobs.install()  # a worker importing a job queued under an old path imports `app` first
