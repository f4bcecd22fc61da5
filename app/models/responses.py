"""Responses: every reply to a campaign, and the public form's flood guard."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import TimestampMixin, UTCDateTime, utcnow
from app.models.campaigns import Campaign, Channel

RESPONSE_STATUSES = ("new", "qualified", "converted", "disqualified")


class Response(TimestampMixin, db.Model):
    """One person answering promotion: where from, who they are in the base, and what became of it."""

    __tablename__ = "responses"
    __audit__ = True
    __table_args__ = (Index("ix_responses_campaign_at", "campaign_id", "received_at"),
                      Index("ix_responses_received", "received_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))  # None: unknown source
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("promotion_channels.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    source: Mapped[str] = mapped_column(String(10), default="staff")  # staff | web | import
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    phone: Mapped[str | None] = mapped_column(String(20), index=True)  # E.164 when it parses
    company_name: Mapped[str | None] = mapped_column(String(300))
    message: Mapped[str | None] = mapped_column(Text)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    created_prospect: Mapped[bool] = mapped_column(default=False)
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(15), default="new")
    disqualified_reason: Mapped[str | None] = mapped_column(String(300))
    deal_id: Mapped[int | None] = mapped_column(ForeignKey("deals.id"), index=True)
    repeat_of_id: Mapped[int | None] = mapped_column(ForeignKey("responses.id"))
    # A response from the public form waits here, linked to nobody, until a Promotion person matches it to a
    # client or confirms it as new: an anonymous visitor never writes into the client base.
    unconfirmed: Mapped[bool] = mapped_column(default=False, server_default=false(), index=True)
    # The visitor's consent to the processing of personal data (152-FZ): when, and to which policy text.
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    consent_policy_version: Mapped[int | None] = mapped_column()
    consent_policy_hash: Mapped[str | None] = mapped_column(String(64))

    campaign: Mapped[Campaign | None] = relationship(lazy="joined")
    channel: Mapped[Channel | None] = relationship(lazy="joined")
    company = relationship("Company")
    contact = relationship("Contact")
    handled_by = relationship("User", foreign_keys=[handled_by_id])
    deal = relationship("Deal")

    @property
    def is_repeat(self) -> bool:
        return self.repeat_of_id is not None


class PublicFormHit(db.Model):
    """A submission of the public response form, kept in the database so every process sees the rate limit."""

    __tablename__ = "public_form_hits"
    __table_args__ = (Index("ix_public_form_hits_ip_at", "ip", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ip: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


