"""Column helpers shared by the domain models."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import DateTime, ForeignKey, Integer
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from app.extensions import db


def utcnow() -> datetime:
    """Timezone-aware now, so SQLite and PostgreSQL store the same instant."""
    return datetime.now(timezone.utc)


class UTCDateTime(db.TypeDecorator):
    """DateTime that always comes back timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


class TimestampMixin:
    """When a row was created and last changed."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False)


class VersionedMixin:
    """Optimistic locking: a save based on a stale copy is refused instead of overwriting."""

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    @declared_attr.directive
    def __mapper_args__(cls):  # noqa: N805
        return {"version_id_col": cls.version}


class SoftDeleteMixin:
    """Deleting hides the row; an admin can bring it back."""

    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)

    @declared_attr
    def deleted_by_id(cls) -> Mapped[int | None]:  # noqa: N805
        return mapped_column(ForeignKey("users.id"))

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class VerifiedMixin:
    """Contact data carries when and by whom it was last confirmed to be right."""

    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    flagged_invalid: Mapped[bool] = mapped_column(default=False, nullable=False)
    flag_reason: Mapped[str | None] = mapped_column(db.String(200))

    @declared_attr
    def verified_by_id(cls) -> Mapped[int | None]:  # noqa: N805
        return mapped_column(ForeignKey("users.id"))


class BilingualNameMixin:
    """Reference rows named in Russian and English (units, client types, channels)."""

    def name(self, locale: str = "ru") -> str:
        return self.name_ru if str(locale) == "ru" else self.name_en
