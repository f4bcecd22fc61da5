"""Configuration read from the environment, with an embedded default that needs no services."""
from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
APP_DIR = Path(__file__).resolve().parent  # templates, migrations and workflow definitions ship inside the package
# The instance folder (SQLite file, secret key, uploads, exports, backups, scheduler lock): CLIENTELE_INSTANCE,
# else `instance/` in the folder the process starts in (the checkout for `make run`; a service's WorkingDirectory).
INSTANCE_DIR = Path(os.environ.get("CLIENTELE_INSTANCE") or Path.cwd() / "instance").resolve()


def _database_url() -> str:
    """Use DATABASE_URL when given; otherwise a SQLite file under instance/."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{INSTANCE_DIR / 'clientele.db'}"
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://"):]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


class Config:
    """Production and embedded settings; every value can come from the environment."""

    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = _database_url()
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    REDIS_URL = os.environ.get("REDIS_URL")  # unset: in-process worker, no Redis needed
    RQ_QUEUE = os.environ.get("RQ_QUEUE", "clientele")
    # Shards of a full duplicate scan; 0: two for every worker listening to the queue.
    DEDUP_SCAN_SHARDS = int(os.environ.get("DEDUP_SCAN_SHARDS") or 0)
    # A full scan re-fits the matching weights on the base; "0" keeps the hand-set weights.
    MATCHING_LEARN_WEIGHTS = os.environ.get("MATCHING_LEARN_WEIGHTS", "1") != "0"
    INSTANCE_DIR = INSTANCE_DIR
    UPLOAD_DIR = Path(os.environ.get("UPLOAD_DIR", INSTANCE_DIR / "uploads"))
    MATERIAL_MAX_BYTES = int(os.environ.get("MATERIAL_MAX_BYTES", 20 * 1024 * 1024))  # sales materials upload limit
    # Every request body at most this; the few upload views that need more say so with @web.upload_limit.
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", 25 * 1024 * 1024))
    IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", 100 * 1024 * 1024))  # company/contact/response files
    EXPORT_DIR = Path(os.environ.get("EXPORT_DIR", INSTANCE_DIR / "exports"))
    BACKUP_DIR = Path(os.environ.get("BACKUP_DIR", INSTANCE_DIR / "backups"))
    WORKFLOWS_DIR = Path(os.environ.get("WORKFLOWS_DIR", APP_DIR / "workflows" / "definitions"))
    BACKUP_COPY_DIR = os.environ.get("BACKUP_COPY_DIR") or None  # a second disk or a mounted remote
    BACKUP_CRON = os.environ.get("BACKUP_CRON", "0 2 * * *")
    BACKUP_SCRATCH_DIR = os.environ.get("BACKUP_SCRATCH_DIR") or None  # intermediate copies; default BACKUP_DIR
    BACKUP_COMPRESSLEVEL = int(os.environ.get("BACKUP_COMPRESSLEVEL", 1))  # 0 stores; 1-3 deflate (ISA-L levels)
    BACKUP_KEEP_DAILY, BACKUP_KEEP_WEEKLY, BACKUP_KEEP_MONTHLY = (
        int(os.environ.get(f"BACKUP_KEEP_{k}", d)) for k, d in (("DAILY", 7), ("WEEKLY", 4), ("MONTHLY", 12)))
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "0") == "1"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_DURATION = timedelta(days=int(os.environ.get("REMEMBER_DAYS", "14")))  # not Flask-Login's year
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    BABEL_DEFAULT_LOCALE = os.environ.get("DEFAULT_LOCALE", "ru")
    BABEL_DEFAULT_TIMEZONE = os.environ.get("DEFAULT_TIMEZONE", "Europe/Moscow")
    LANGUAGES = ("ru", "en")
    DEFAULT_PHONE_REGION = os.environ.get("DEFAULT_PHONE_REGION", "RU")
    CURRENCY = os.environ.get("CURRENCY", "RUB")
    LOGIN_MAX_ATTEMPTS = int(os.environ.get("LOGIN_MAX_ATTEMPTS", "5"))
    LOGIN_WINDOW_SECONDS = int(os.environ.get("LOGIN_WINDOW_SECONDS", "900"))
    # Roles that must use two-step sign-in (TOTP); an administrator may require it of everyone in Portal settings.
    TWO_STEP_ROLES = tuple(r for r in os.environ.get("TWO_STEP_ROLES", "admin,head").split(",") if r.strip())
    PAGE_SIZE = 50
    # The portal's public address (scheme, host and any path prefix it is served under, e.g.
    # https://crm.example.ru): every absolute link handed outside is built from it (links.external_url).
    BASE_URL = os.environ.get("BASE_URL") or None
    # How many reverse proxies (nginx, a load balancer) stand in front; each sets X-Forwarded-For/-Proto/-Host.
    # 0 (the default) trusts none of those headers; 1 behind a single nginx (see deploy/).
    PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))
    AUTO_UPGRADE_DB = os.environ.get("AUTO_UPGRADE_DB", "1") == "1"
    START_INPROCESS_WORKER = True
    # How old the home page's brief of the division signs may be (seconds); the signs page is always fresh.
    SIGNS_BRIEF_SECONDS = int(os.environ.get("SIGNS_BRIEF_SECONDS", "300"))
    KEPT_FIGURES_SECONDS = int(os.environ.get("KEPT_FIGURES_SECONDS", "60"))
    # The admin's "add demo clients" job: on a laptop's embedded base only, unless DEMO_TOOLS=1 says otherwise.
    DEMO_TOOLS = os.environ.get("DEMO_TOOLS", "0" if os.environ.get("DATABASE_URL") or REDIS_URL else "1") == "1"
    SCHEDULER_LOCK_RETRY = float(os.environ.get("SCHEDULER_LOCK_RETRY", 30))  # seconds between tries to take over


class TestConfig(Config):
    """Isolated settings for the test suite: its own database, no auto-upgrade, fast hashing."""

    TESTING = True
    SECRET_KEY = "test-secret-not-for-production"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    REDIS_URL = None  # the embedded worker; tests that need a real Redis and `rq worker` say so themselves
    AUTO_UPGRADE_DB = False
    DEMO_TOOLS = True
    SIGNS_BRIEF_SECONDS = 0   # every home page counts afresh (a test changes data between two pages)
    KEPT_FIGURES_SECONDS = 0
    LOGIN_MAX_ATTEMPTS = 5
    # The suite signs administrators and heads in with a password alone to test everything else; tests/test_totp.py
    # puts the production roles back and proves the enforcement.
    TWO_STEP_ROLES = ()
    BABEL_DEFAULT_LOCALE = "en"
    WORKFLOWS_DIR = BASE_DIR / "tests" / "data" / "workflows"  # small definitions naming figures that exist
