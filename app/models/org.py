"""The org board and the people on it."""
from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.models.base import BilingualNameMixin, TimestampMixin, UTCDateTime, utcnow

ROLES = ("admin", "head", "staff")


class Unit(BilingualNameMixin, db.Model):
    """A division, department or section; requests and tasks are routed to units."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_ru: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    in_distribution: Mapped[bool] = mapped_column(default=True)

    parent: Mapped[Unit | None] = relationship(remote_side=[id])
    users: Mapped[list[User]] = relationship(back_populates="unit")


    def __repr__(self) -> str:
        return f"<Unit {self.code}>"


class User(UserMixin, TimestampMixin, db.Model):
    """A person who signs in; belongs to one unit with one role."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(10), default="staff")
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    locale: Mapped[str | None] = mapped_column(String(5))
    is_active_user: Mapped[bool] = mapped_column("is_active", default=True)
    # Bumped to sign a person out everywhere (password change, deactivation).
    session_token: Mapped[str] = mapped_column(String(32), default=lambda: __import__("secrets").token_hex(16))
    # Two-step sign-in (TOTP): the shared secret (set at enrolment, confirmed by a first code), when it was
    # confirmed, and the last time step used, so a code seen once cannot be replayed.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)

    unit: Mapped[Unit] = relationship(back_populates="users", lazy="joined")

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.is_active_user

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_head(self) -> bool:
        return self.role == "head"

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class LoginAttempt(db.Model):
    """A failed sign-in, kept in the database so every gunicorn process sees the same limit."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    ip: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class RecoveryCode(db.Model):
    """A one-time code that stands in for the authenticator app; only its salted hash is kept."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(128))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
