"""The Alembic history builds the whole schema from an empty database, and matches the models."""
import os

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from app import create_app
from app.config import TestConfig
from app.extensions import db


def _fresh_url(tmp_path) -> str:
    url = os.environ.get("TEST_MIGRATIONS_DATABASE_URL")
    if url:
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
        return url
    return f"sqlite:///{tmp_path / 'migrated.db'}"


def test_upgrade_from_empty_matches_the_models(tmp_path):
    url = _fresh_url(tmp_path)
    application = create_app({**{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
                              "SQLALCHEMY_DATABASE_URI": url})
    with application.app_context():
        from flask_migrate import downgrade, upgrade

        upgrade()
        with db.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = [d for d in compare_metadata(ctx, db.metadata) if not _ignorable(d)]
        assert diff == [], f"models and migrations differ: {diff}"
        if db.engine.dialect.name == "postgresql":   # the text indexes the models cannot declare, typos' included
            with db.engine.connect() as conn:
                made = set(conn.scalars(text("SELECT indexname FROM pg_indexes WHERE tablename = 'search_documents'")))
            assert {"ix_search_documents_trgm", "ix_search_documents_tsv", "ix_search_documents_name_trgm"} <= made
        downgrade(revision="base")
        upgrade()
        db.engine.dispose()


def _ignorable(d) -> bool:
    """The engines' own text indexes (FTS5 tables, GIN indexes) are made by DDL the models cannot declare."""
    from app.models.search import ENGINE_INDEX_OBJECTS

    obj = d[1] if isinstance(d, tuple) and len(d) > 1 else None
    return getattr(obj, "name", None) in ENGINE_INDEX_OBJECTS
