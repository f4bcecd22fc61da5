"""Search tokens: every word, phone and email of a client, indexed for prefix lookup."""
from __future__ import annotations

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db

# Byte order on PostgreSQL too, so `token >= q AND token < q + max` is a prefix range on both engines.
TokenText = String(80).with_variant(String(80, collation="C"), "postgresql")


class SearchToken(db.Model):
    """One searchable token of a company or contact and the field it came from."""

    __tablename__ = "search_tokens"
    __table_args__ = (Index("ix_search_tokens_token", "token", "kind", "entity_id"),
                      Index("ix_search_tokens_entity", "kind", "entity_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(TokenText)
    kind: Mapped[str] = mapped_column(String(10))  # company | contact
    entity_id: Mapped[int] = mapped_column()
    field: Mapped[str] = mapped_column(String(20))  # name, phone, email, inn, city, position ...
