"""The search index: identifier keys (phones, emails, INN) for exact lookup, and one folded text document
per company or contact that the database's own text index searches (FTS5 trigram on SQLite, pg_trgm GIN
and a Russian tsvector on PostgreSQL)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DDL, Index, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime

# Byte order on PostgreSQL too, so `token >= q AND token < q + max` is a prefix range on both engines.
TokenText = String(80).with_variant(String(80, collation="C"), "postgresql")
NameText = String(300).with_variant(String(300, collation="C"), "postgresql")


class SearchToken(db.Model):
    """One identifier key of a company or contact (p/r phone, e email, i INN) and the field it came from."""

    __tablename__ = "search_tokens"
    __table_args__ = (Index("ix_search_tokens_token", "token", "kind", "entity_id"),
                      Index("ix_search_tokens_entity", "kind", "entity_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(TokenText)
    kind: Mapped[str] = mapped_column(String(10))  # company | contact
    entity_id: Mapped[int] = mapped_column()
    field: Mapped[str] = mapped_column(String(20))  # phone, email, inn


class SearchDocument(db.Model):
    """The folded words of one company or contact: its name alone (for exact and prefix ranking) and
    everything searchable by words (name, city, position), with the time of its latest activity."""

    __tablename__ = "search_documents"
    __table_args__ = (Index("ix_search_documents_entity", "kind", "entity_id", unique=True),
                      Index("ix_search_documents_name", "name"))

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # company | contact
    entity_id: Mapped[int] = mapped_column()
    name: Mapped[str] = mapped_column(NameText, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    active_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


# The engines' own text indexes, which the models cannot declare: the same statements run in migration
# 0011_search_index and after `create_all` (tests, a fresh embedded base).
SQLITE_INDEX_DDL = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(body, content='search_documents', "
    "content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER IF NOT EXISTS search_documents_ai AFTER INSERT ON search_documents BEGIN "
    "INSERT INTO search_fts(rowid, body) VALUES (new.id, new.body); END",
    "CREATE TRIGGER IF NOT EXISTS search_documents_ad AFTER DELETE ON search_documents BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, body) VALUES ('delete', old.id, old.body); END",
    "CREATE TRIGGER IF NOT EXISTS search_documents_au AFTER UPDATE ON search_documents BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, body) VALUES ('delete', old.id, old.body); "
    "INSERT INTO search_fts(rowid, body) VALUES (new.id, new.body); END",
]
SQLITE_DROP_DDL = ["DROP TRIGGER IF EXISTS search_documents_au", "DROP TRIGGER IF EXISTS search_documents_ad",
                   "DROP TRIGGER IF EXISTS search_documents_ai", "DROP TABLE IF EXISTS search_fts"]
# Typos are looked for in the names alone (migration 0014): their own trigram index.
POSTGRES_NAME_TRIGRAMS_DDL = ("CREATE INDEX IF NOT EXISTS ix_search_documents_name_trgm ON search_documents "
                              "USING gin (name gin_trgm_ops)")
POSTGRES_INDEX_DDL = [
    "CREATE INDEX IF NOT EXISTS ix_search_documents_trgm ON search_documents USING gin (body gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS ix_search_documents_tsv ON search_documents "
    "USING gin (to_tsvector('russian'::regconfig, body))",
    POSTGRES_NAME_TRIGRAMS_DDL,
]
POSTGRES_EXTENSION_DDL = "CREATE EXTENSION IF NOT EXISTS pg_trgm"
# Objects of the engines' text indexes, which the model comparison of tests/test_migrations.py leaves aside.
ENGINE_INDEX_OBJECTS = frozenset({"search_fts", "search_fts_data", "search_fts_idx", "search_fts_docsize",
                                  "search_fts_config", "ix_search_documents_trgm", "ix_search_documents_tsv",
                                  "ix_search_documents_name_trgm"})

event.listen(SearchDocument.__table__, "before_create", DDL(POSTGRES_EXTENSION_DDL).execute_if(dialect="postgresql"))
for _statement in SQLITE_INDEX_DDL:
    event.listen(SearchDocument.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in POSTGRES_INDEX_DDL:
    event.listen(SearchDocument.__table__, "after_create", DDL(_statement).execute_if(dialect="postgresql"))
for _statement in SQLITE_DROP_DDL:
    event.listen(SearchDocument.__table__, "before_drop", DDL(_statement).execute_if(dialect="sqlite"))
