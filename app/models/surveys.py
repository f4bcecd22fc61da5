"""Surveys: questions to the best client/product combinations, one-time invites, answers."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import TimestampMixin, UTCDateTime, utcnow

QUESTION_KINDS = ("text", "choice", "scale")

class Survey(TimestampMixin, db.Model):
    """Questions for the clients of the most profitable product × client type combinations."""

    __tablename__ = "surveys"
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Campaigns are built on another branch; the link becomes a foreign key when they meet.
    campaign_id: Mapped[int | None] = mapped_column(Integer, index=True)

    targets: Mapped[list[SurveyTarget]] = relationship(cascade="all, delete-orphan", order_by="SurveyTarget.id")
    questions: Mapped[list[SurveyQuestion]] = relationship(cascade="all, delete-orphan",
                                                           order_by="SurveyQuestion.position")


class SurveyTarget(db.Model):
    """One product line × client type combination a survey is aimed at."""

    __tablename__ = "survey_targets"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    product_line: Mapped[str] = mapped_column(String(120))
    client_type_id: Mapped[int | None] = mapped_column(ForeignKey("client_types.id"))

    client_type = relationship("ClientType", lazy="joined")


class SurveyQuestion(db.Model):
    """A question: free text, one of some choices, or a 1-5 scale."""

    __tablename__ = "survey_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    text: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(10), default="text")
    choices: Mapped[str | None] = mapped_column(Text)  # one per line

    @property
    def choice_list(self) -> list[str]:
        return [c.strip() for c in (self.choices or "").splitlines() if c.strip()]


class SurveyInvite(TimestampMixin, db.Model):
    """A per-client link that needs no sign-in and works once."""

    __tablename__ = "survey_invites"
    __table_args__ = (UniqueConstraint("survey_id", "company_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    nonce: Mapped[str] = mapped_column(String(32))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    company = relationship("Company", lazy="joined")


class SurveyResponse(db.Model):
    """One client's answers, recorded by staff or sent through the client's link."""

    __tablename__ = "survey_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    invite_id: Mapped[int | None] = mapped_column(ForeignKey("survey_invites.id", ondelete="SET NULL"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    company = relationship("Company", lazy="joined")
    answers: Mapped[list[SurveyAnswer]] = relationship(cascade="all, delete-orphan")


class SurveyAnswer(db.Model):
    """The answer to one question."""

    __tablename__ = "survey_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("survey_responses.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("survey_questions.id", ondelete="CASCADE"), index=True)
    value: Mapped[str] = mapped_column(Text, default="")
