"""Fixtures: one app per test session on SQLite (default) or the engine in TEST_DATABASE_URL,
a clean database for every test, people in units with roles, and a signed-in client helper."""
from __future__ import annotations

import os
import re
from types import SimpleNamespace

import pytest
from sqlalchemy import text

from app import create_app
from app.config import TestConfig
from app.extensions import db
from app.services.org import create_user, seed_reference_data

IN_CI = os.environ.get("CI") == "true"
PASSWORD = "correct-horse-42"


def require_service(name: str, available: bool, why: str) -> None:
    """Skip a test whose service is missing on a laptop; fail it loudly in CI."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{name} is required in CI but is not available: {why}")
    pytest.skip(f"{name} not available: {why}")


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    """The portal under test; SQLite in a temp file unless TEST_DATABASE_URL names another database.
    The Russian catalogue is compiled first, as `make install` does, so Russian pages read Russian."""
    from app.i18n import compile_catalogs

    compile_catalogs()
    base = tmp_path_factory.mktemp("instance")
    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{base / 'test.db'}"
    application = create_app({
        **{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
        "SQLALCHEMY_DATABASE_URI": url,
        "INSTANCE_DIR": base, "UPLOAD_DIR": base / "uploads", "EXPORT_DIR": base / "exports",
        "BACKUP_DIR": base / "backups", "START_INPROCESS_WORKER": False,
    })
    with application.app_context():
        if url.startswith("postgresql"):
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        else:
            db.drop_all()
        db.create_all()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def _wipe(application) -> None:
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture(autouse=True)
def _push_request_context():
    """Override pytest-flask's: each test-client request must get its own app context and session,
    as in production, so no transaction stays open between requests."""
    yield


@pytest.fixture
def client(app):
    """A plain test client: pytest-flask's keeps the last request's context pushed, which would make a
    second client's requests borrow it (and its signed-in user)."""
    return app.test_client()


@pytest.fixture(autouse=True)
def clean_db(app):
    """Every test starts from the seeded org board and nothing else."""
    with app.app_context():
        seed_reference_data(db.session)
        db.session.commit()
    yield
    with app.app_context():
        db.session.rollback()
        _wipe(app)
        db.session.remove()
    from app.services import jobs, matching

    matching.forget_index()   # the process's duplicate index knew the wiped base (ids are reused)
    rt = app.extensions.get(jobs.EXT_KEY)
    if rt is not None and rt.embedded:   # jobs a test queued and never ran must not run in the next test's base
        rt.queue.empty()


@pytest.fixture
def make_user(app):
    """Create a person: make_user('staff', 'sales') -> User (password PASSWORD)."""
    counter = iter(range(1, 10_000))

    def _make(role: str = "staff", unit: str = "sales", email: str | None = None, name: str | None = None):
        n = next(counter)
        with app.app_context():
            user = create_user(db.session, email or f"{role}.{unit}.{n}@test.local", PASSWORD, role, unit,
                               name=name or f"{role.title()} {unit} {n}")
            db.session.commit()
            return SimpleNamespace(id=user.id, email=user.email, name=user.name, role=user.role,
                                   unit_id=user.unit_id, unit=unit)

    return _make


def csrf_token_from(html: str) -> str:
    match = re.search(r'"X-CSRFToken": "([^"]+)"', html) or re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, "page carries no CSRF token"
    return match.group(1)


class Auth:
    """Sign a test client in and send CSRF-protected writes the way the browser does."""

    def __init__(self, client):
        self.client = client
        self.token: str | None = None

    def login(self, user_or_email, password: str = PASSWORD):
        email = getattr(user_or_email, "email", user_or_email)
        page = self.client.get("/login")
        token = csrf_token_from(page.get_data(as_text=True))
        resp = self.client.post("/login", data={"email": email, "password": password, "csrf_token": token})
        self.refresh_token()
        return resp

    def refresh_token(self) -> str:
        """Read the token from a page, as htmx does from <body hx-headers>."""
        page = self.client.get("/", follow_redirects=True)
        self.token = csrf_token_from(page.get_data(as_text=True))
        return self.token

    def post(self, url: str, data: dict | None = None, htmx: bool = False, **kwargs):
        headers = kwargs.pop("headers", {})
        headers["X-CSRFToken"] = self.token or self.refresh_token()
        if htmx:
            headers["HX-Request"] = "true"
        return self.client.post(url, data=data or {}, headers=headers, **kwargs)

    def get(self, url: str, htmx: bool = False, **kwargs):
        headers = kwargs.pop("headers", {})
        if htmx:
            headers["HX-Request"] = "true"
        return self.client.get(url, headers=headers, **kwargs)


@pytest.fixture
def auth(client):
    return Auth(client)


@pytest.fixture
def scratch_database_url(tmp_path):
    """An empty database of the engine under test, apart from the session's: a SQLite file, or a PostgreSQL
    database created for the test and dropped after it."""
    main = os.environ.get("TEST_DATABASE_URL")
    if not (main and main.startswith("postgresql")):
        yield f"sqlite:///{tmp_path / 'scratch.db'}"
        return
    import secrets

    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    url = make_url(main)
    name = f"{url.database[:40]}_scratch_{secrets.token_hex(4)}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE template0'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
