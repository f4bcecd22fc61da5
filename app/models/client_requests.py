"""Client requests: what a key account asks, its routes to departments, every step, attachments."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, VersionedMixin, utcnow

CHANNELS = ("phone", "email", "meeting", "messenger", "letter", "portal")
OPEN_STATUSES = ("open", "answered")  # a request's states until the manager closes it ("closed")
ROUTE_WAITING = ("new", "accepted", "asked")  # the department still owes an answer


class ClientRequest(VersionedMixin, db.Model):
    """What a client asked for, carried by the account manager to one or more departments and back."""

    __tablename__ = "client_requests"
    __table_args__ = (
        Index("ix_client_requests_manager_status", "account_manager_id", "status", "due_on"),
        Index("ix_client_requests_company_status", "company_id", "status"),
        Index("ix_client_requests_status_due", "status", "due_on"),
        # Covers the figures' single pass over a period, so it reads the index and never the table.
        Index("ix_client_requests_figures", "asked_at", "id", "account_manager_id", "company_id", "status",
              "due_on", "closed_on_time", "reopened_count", "first_answer_secs", "close_secs"),
        Index("ix_client_requests_closed", "closed_at", "due_on", "closed_on_time"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("client_requests.id"), index=True)
    account_manager_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    subject: Mapped[str] = mapped_column(String(300))
    details: Mapped[str] = mapped_column(Text, default="")
    channel: Mapped[str] = mapped_column(String(20), default="phone")
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    due_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    first_answer_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Seconds from the client's question, kept when the event happens so figures need no date arithmetic in SQL.
    first_answer_secs: Mapped[int | None] = mapped_column(Integer)
    close_secs: Mapped[int | None] = mapped_column(Integer)
    closed_on_time: Mapped[bool | None] = mapped_column()
    client_confirmation: Mapped[str | None] = mapped_column(String(500))
    reopened_count: Mapped[int] = mapped_column(Integer, default=0)

    company = relationship("Company", lazy="joined")
    contact = relationship("Contact", lazy="joined")
    account_manager = relationship("User", foreign_keys=[account_manager_id], lazy="joined")
    created_by = relationship("User", foreign_keys=[created_by_id])
    parent: Mapped[ClientRequest | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[ClientRequest]] = relationship(back_populates="parent", order_by="ClientRequest.id")
    routes: Mapped[list[RequestRoute]] = relationship(back_populates="request", order_by="RequestRoute.id",
                                                      cascade="all, delete-orphan")
    steps: Mapped[list[RequestStep]] = relationship(back_populates="request",
                                                    order_by=lambda: [RequestStep.at, RequestStep.id],
                                                    cascade="all, delete-orphan")
    attachments: Mapped[list[RequestAttachment]] = relationship(back_populates="request",
                                                                order_by="RequestAttachment.id",
                                                                cascade="all, delete-orphan")

    def is_overdue(self, today: date) -> bool:
        return self.status != "closed" and self.due_on is not None and self.due_on < today


class RequestRoute(db.Model):
    """The request as one department holds it: its own state, its answer, and when."""

    __tablename__ = "request_routes"
    __table_args__ = (
        Index("ix_request_routes_unit_status", "unit_id", "status", "answered_at"),
        Index("ix_request_routes_request", "request_id", "unit_id", unique=True),
        # Covers the figures' pass over the departments' shares sent in a period.
        Index("ix_request_routes_figures", "sent_at", "request_id", "unit_id", "status", "first_answer_secs"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("client_requests.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    status: Mapped[str] = mapped_column(String(10), default="new")
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answer: Mapped[str | None] = mapped_column(Text)
    question: Mapped[str | None] = mapped_column(Text)
    relayed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_answer_secs: Mapped[int | None] = mapped_column(Integer)

    request: Mapped[ClientRequest] = relationship(back_populates="routes")
    unit = relationship("Unit", lazy="joined")
    answered_by = relationship("User", foreign_keys=[answered_by_id])


class RequestStep(db.Model):
    """One timestamped step in a request's life: who did what, for which department."""

    __tablename__ = "request_steps"
    __table_args__ = (Index("ix_request_steps_request_at", "request_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("client_requests.id", ondelete="CASCADE"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str | None] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    request: Mapped[ClientRequest] = relationship(back_populates="steps")
    unit = relationship("Unit", lazy="joined")
    author = relationship("User", lazy="joined")


class RequestAttachment(db.Model):
    """A file the client sent with a request, stored under UPLOAD_DIR/requests."""

    __tablename__ = "request_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("client_requests.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(300))
    content_type: Mapped[str | None] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer, default=0)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    request: Mapped[ClientRequest] = relationship(back_populates="attachments")
