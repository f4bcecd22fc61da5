"""Dept 4's surveys of the clients behind the top revenue combinations; one-time links need no sign-in."""
from __future__ import annotations

import secrets
from collections import Counter
from datetime import datetime

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import and_, bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from app.i18n import tr as _
from app.models.base import utcnow
from app.models.companies import Company
from app.models.deals import Deal, DealLine
from app.models.products import Product
from app.models.surveys import (
    QUESTION_KINDS,
    Survey,
    SurveyAnswer,
    SurveyInvite,
    SurveyQuestion,
    SurveyResponse,
    SurveyTarget,
)
from app.services import timeline
from app.services.errors import RuleError

TOKEN_SALT = "survey-invite"
RECIPIENT_LIMIT = 200


class SurveyError(RuleError):
    """Survey input is refused; `field` names where the message belongs."""


def create(session: Session, user, title: str, targets: list[tuple[str, int | None]],
           campaign_id: int | None = None) -> Survey:
    """A survey aimed at one or more product line × client type combinations."""
    title = (title or "").strip()
    if not title:
        raise SurveyError(_("Give the survey a title."), "title")
    if not targets:
        raise SurveyError(_("Choose at least one combination to survey."), "targets")
    survey = Survey(title=title[:300], created_by_id=user.id, campaign_id=campaign_id,
                    targets=[SurveyTarget(product_line=line[:120], client_type_id=ct) for line, ct in targets])
    session.add(survey)
    session.flush()
    return survey


def add_question(session: Session, survey: Survey, text: str, kind: str, choices: str = "") -> SurveyQuestion:
    """Append a question; a choice question needs at least two choices; none once answers have come in."""
    if session.scalar(select(SurveyResponse.id).where(SurveyResponse.survey_id == survey.id).limit(1)):
        raise SurveyError(_("The survey already has answers: its questions can no longer change."), "text")
    text = (text or "").strip()
    if not text:
        raise SurveyError(_("Write the question."), "text")
    if kind not in QUESTION_KINDS:
        raise SurveyError(_("Choose the kind of answer."), "kind")
    options = [c.strip() for c in (choices or "").replace(";", "\n").splitlines() if c.strip()]
    if kind == "choice" and len(options) < 2:
        raise SurveyError(_("Give at least two choices, one per line."), "choices")
    q = SurveyQuestion(survey_id=survey.id, text=text[:500], kind=kind, position=len(survey.questions) + 1,
                       choices="\n".join(options) if kind == "choice" else None)
    session.add(q)
    return q


def set_campaign(session: Session, survey: Survey, campaign_id: int | None) -> Survey:
    """Attach the results to a campaign's materials (a plain number until campaigns are merged)."""
    survey.campaign_id = campaign_id
    return survey


def recipients(session: Session, survey: Survey) -> list[Company]:
    """The clients behind the targeted combinations: won deals with a product of the line, of the client type."""
    conditions = [and_(Product.product_line == t.product_line,
                       Company.client_type_id == t.client_type_id if t.client_type_id else
                       Company.client_type_id.is_(None)) for t in survey.targets]
    if not conditions:
        return []
    ids = select(Company.id).join(Deal, Deal.company_id == Company.id).join(DealLine, DealLine.deal_id == Deal.id) \
        .join(Product, Product.id == DealLine.product_id) \
        .where(Deal.stage == "won", Company.deleted_at.is_(None), or_(*conditions)).distinct()
    return list(session.scalars(select(Company).where(Company.id.in_(ids)).order_by(Company.name_sort)
                                .limit(RECIPIENT_LIMIT)))


def invite(session: Session, survey: Survey, company_id: int) -> SurveyInvite:
    """The client's one-time link (created once; the same link until it is used)."""
    existing = session.scalar(select(SurveyInvite).where(SurveyInvite.survey_id == survey.id,
                                                         SurveyInvite.company_id == company_id))
    if existing:
        return existing
    inv = SurveyInvite(survey_id=survey.id, company_id=company_id, nonce=secrets.token_hex(16))
    session.add(inv)
    session.flush()
    return inv


def invites(session: Session, survey: Survey) -> list[SurveyInvite]:
    return list(session.scalars(select(SurveyInvite).where(SurveyInvite.survey_id == survey.id)
                                .order_by(SurveyInvite.id)))


def token_for(secret_key: str, inv: SurveyInvite) -> str:
    return URLSafeSerializer(secret_key, salt=TOKEN_SALT).dumps([inv.id, inv.nonce])


def invite_from_token(session: Session, secret_key: str, token: str) -> SurveyInvite | None:
    """The invite a signed token names, or None when the token is forged or stale."""
    try:
        invite_id, nonce = URLSafeSerializer(secret_key, salt=TOKEN_SALT).loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    inv = session.get(SurveyInvite, invite_id)
    return inv if inv is not None and secrets.compare_digest(inv.nonce, str(nonce)) else None


def clean_answers(survey: Survey, form: dict[str, str]) -> dict[int, str]:
    """Answers keyed by question id; a scale is 1-5 and a choice must be one offered; empty ones are dropped."""
    answers = {}
    for q in survey.questions:
        value = (form.get(f"q{q.id}") or "").strip()
        if not value:
            continue
        if q.kind == "scale" and value not in {"1", "2", "3", "4", "5"}:
            raise SurveyError(_("Choose a number from 1 to 5."), f"q{q.id}")
        if q.kind == "choice" and value not in q.choice_list:
            raise SurveyError(_("Choose one of the answers offered."), f"q{q.id}")
        answers[q.id] = value[:4000]
    if not answers:
        raise SurveyError(_("Answer at least one question."), "answers")
    return answers


def is_addressee(session: Session, survey: Survey, company_id: int) -> bool:
    """Invited already, or one of the clients behind the survey's combinations."""
    if session.scalar(select(SurveyInvite.id).where(SurveyInvite.survey_id == survey.id,
                                                    SurveyInvite.company_id == company_id).limit(1)):
        return True
    return any(c.id == company_id for c in recipients(session, survey))


def record(session: Session, survey: Survey, company_id: int, form: dict[str, str],
           recorded_by_id: int | None = None, inv: SurveyInvite | None = None) -> SurveyResponse:
    """Save one client's answers; through an invite this works once (a second send is refused); staff record
    answers only for a company the survey was sent to or aims at."""
    if inv is None and not is_addressee(session, survey, company_id):
        raise SurveyError(_("This company was not invited to the survey."), "answers")
    answers = clean_answers(survey, form)
    if inv is not None:
        claimed = session.execute(update(SurveyInvite).where(SurveyInvite.id == inv.id,
                                                             SurveyInvite.used_at.is_(None))
                                  .values(used_at=utcnow())).rowcount
        if claimed != 1:
            raise SurveyError(_("This link has already been used."), "answers")
    response = SurveyResponse(survey_id=survey.id, company_id=company_id, recorded_by_id=recorded_by_id,
                              invite_id=inv.id if inv else None,
                              answers=[SurveyAnswer(question_id=qid, value=v) for qid, v in answers.items()])
    session.add(response)
    session.flush()
    return response


def summary(session: Session, survey: Survey) -> dict:
    """Per question: how many answered and what they said (choice counts, scale average, texts)."""
    rows = session.execute(select(SurveyAnswer.question_id, SurveyAnswer.value)
                           .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
                           .where(SurveyResponse.survey_id == survey.id)).all()
    by_q: dict[int, list[str]] = {}
    for qid, value in rows:
        by_q.setdefault(qid, []).append(value)
    out = []
    for q in survey.questions:
        values = by_q.get(q.id, [])
        item = {"question": q, "count": len(values)}
        if q.kind == "choice":
            counts = Counter(values)
            item["choices"] = [(c, counts.get(c, 0)) for c in q.choice_list]
        elif q.kind == "scale":
            nums = [int(v) for v in values]
            item["average"] = sum(nums) / len(nums) if nums else None
            item["choices"] = [(str(n), nums.count(n)) for n in range(1, 6)]
        else:
            item["texts"] = values[-50:]
        out.append(item)
    responses = session.scalar(select(func.count(SurveyResponse.id)).where(SurveyResponse.survey_id == survey.id))
    return {"questions": out, "responses": responses or 0}


def answered_since(session: Session, since: datetime) -> int:
    """Answers received since a moment, by any route."""
    return session.scalar(select(func.count(SurveyResponse.id)).where(SurveyResponse.created_at >= since)) or 0


@timeline.source_query
def _timeline_rows():
    return (select(SurveyResponse.created_at, Survey.title).join(Survey, Survey.id == SurveyResponse.survey_id)
            .where(SurveyResponse.company_id == bindparam("company_id")),
            SurveyResponse.created_at, (SurveyResponse.created_at.desc(),))


def timeline_items(session: Session, company_id: int, before: datetime | None, limit: int, viewer=None) -> list:
    """The company timeline's survey entries: when the client answered which survey."""
    from app.services.timeline import TimelineItem

    rows = _timeline_rows(session, company_id, before, limit).all()
    return [TimelineItem(at=at, kind="survey", title=_("Answered the survey “%(title)s”", title=title))
            for at, title in rows]
