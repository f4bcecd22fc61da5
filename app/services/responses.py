"""Responses: every reply to a campaign counted once, matched to the base, qualified and converted."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import Session

from app.i18n import N_, tr
from app.i18n import tr as _
from app.models.campaigns import Campaign
from app.models.companies import Company
from app.models.contact_points import Email, Phone
from app.models.contacts import Contact
from app.models.deals import Deal
from app.models.org import User
from app.models.responses import RESPONSE_STATUSES, PublicFormHit, Response
from app.services import contact_points, tabular, timeline
from app.services.campaigns import campaign_by_code
from app.services.contact_points import ContactPointError
from app.services.promotion import PromotionError, label, setting
from app.services.settings import privacy_policy


def _stored(rule, raw: str | None, field: str) -> str | None:
    """An optional email or phone as the contact points rule stores it; its refusal goes next to the field."""
    if not (raw or "").strip():
        return None
    try:
        return rule(raw)
    except ContactPointError as exc:
        raise PromotionError(exc.message, field) from None


def match_responder(session: Session, name: str | None, email: str | None, phone: str | None,
                    company_name: str | None) -> tuple[int | None, int | None]:
    """Find the responder in the base: (company id, contact id), or (None, None) when nobody matches.

    An exact normalised email, then phone, names the person; failing that, the duplicate engine may name
    the company when the responder gave an email or phone to corroborate the name (a name alone never
    links: there are many «Ромашка»s) and the score reaches the review threshold.
    """
    email, phone = contact_points.email_key(email), contact_points.phone_key(phone, contact_points.default_region())
    for model, column, value in ((Email, Email.address, email), (Phone, Phone.e164, phone)):
        if not value:
            continue
        row = session.execute(select(model.company_id, model.contact_id)
                              .join(Contact, Contact.id == model.contact_id, isouter=True)
                              .where(column == value, Contact.deleted_at.is_(None))
                              .order_by(model.contact_id.is_(None), model.id).limit(1)).first()
        if row:
            return _with_company(session, row.company_id, row.contact_id)
    if (company_name or "").strip() and (email or phone):
        from app.services import matching

        threshold = matching.get_settings(session).review_threshold
        hits = matching.likely_duplicates(session, "company", {"legal_name": company_name, "email": email or "",
                                                            "phone": phone or ""}, limit=1)
        if hits and hits[0].score >= threshold:
            return _with_company(session, hits[0].record.id, None)
    return None, None


def _with_company(session: Session, company_id: int | None, contact_id: int | None) -> tuple[int | None, int | None]:
    if company_id is None and contact_id is not None:
        company_id = session.scalar(select(Contact.company_id).where(Contact.id == contact_id))
    if company_id is not None and session.scalar(select(Company.deleted_at).where(Company.id == company_id)):
        return None, None
    return company_id, contact_id


def create_prospect(session: Session, name: str | None, email: str | None, phone: str | None,
                    company_name: str | None, source: str) -> tuple[int, int | None]:
    """A responder nobody knew becomes a prospect company (and a contact when we have a person)."""
    label = (company_name or "").strip() or (name or "").strip() or email or phone or "?"
    company = Company(legal_name=label[:300], name_sort=label.lower()[:300], status="prospect", source=source[:120])
    session.add(company)
    session.flush()
    contact_id = None
    if (name or "").strip() or email or phone:
        contact = Contact(company_id=company.id, name=((name or "").strip() or label)[:200])
        session.add(contact)
        session.flush()
        contact_id = contact.id
    if email:
        session.add(Email(company_id=company.id, contact_id=contact_id, address=email))
    if phone:
        session.add(Phone(company_id=company.id, contact_id=contact_id, e164=phone, kind="work"))
    session.flush()  # the search index follows through app.services.search_sync
    return company.id, contact_id


@dataclass
class ResponseInput:
    """One response as staff, the public form or an import row gives it."""

    campaign_id: int | None
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    company_name: str | None = None
    message: str | None = None
    received_at: datetime | None = None
    source: str = "staff"
    handled_by_id: int | None = None
    company_id: int | None = None
    consent: bool = False   # the public form's consent to the processing of personal data


# The longest value each field may hold; a longer one is refused with a message next to its field, never cut.
LIMITS = {"name": 200, "company_name": 300, "email": 254, "phone": 40, "message": 5000}


def check_lengths(data: ResponseInput) -> None:
    """Refuse an over-long field (a 5 MB message, a name of a page) before anything is looked up or stored."""
    errors = {}
    for name, limit in LIMITS.items():
        value = (getattr(data, name) or "").strip()
        if len(value) > limit:
            errors[name] = tr("At most %(limit)s characters, please (this one has %(count)s).", limit=limit,
                              count=len(value))
    _raise(errors)


def _raise(errors: dict[str, str]) -> None:
    """Refuse with a message per field (the first also as the error's own message and field)."""
    if errors:
        field = next(iter(errors))
        exc = PromotionError(errors[field], field)
        exc.errors = errors
        raise exc


def record_response(session: Session, data: ResponseInput) -> Response:
    """Count one response: match or create the client, flag a repeat, keep it visible either way.

    A response from the public form (source "web") is anonymous: it needs the visitor's consent, is matched to
    nobody and creates nothing in the client base; it waits as unconfirmed until a Promotion person matches it
    to a client or confirms it as new (match_to_client, confirm_as_new)."""
    check_lengths(data)
    anonymous = data.source == "web"
    if anonymous:
        errors = {}
        if not any((v or "").strip() for v in (data.email, data.phone)):
            errors["email"] = tr("Give an email or a phone so we can answer you.")
        if not data.consent:
            errors["consent"] = tr("Tick the consent to the processing of personal data to send the form.")
        _raise(errors)
    email = _stored(contact_points.normalize_email, data.email, "email")
    phone = _stored(contact_points.normalize_phone, data.phone, "phone")
    campaign = session.get(Campaign, data.campaign_id) if data.campaign_id else None
    if data.campaign_id and campaign is None:
        raise PromotionError(N_("No such campaign."), "campaign_id")
    received = data.received_at or datetime.now(timezone.utc)
    if received.tzinfo is None:
        received = received.replace(tzinfo=timezone.utc)
    company_id, contact_id, created = data.company_id, None, False
    if anonymous:
        company_id = None
    elif company_id is None:
        company_id, contact_id = match_responder(session, data.name, email, phone, data.company_name)
        if company_id is None and (email or phone or (data.company_name or "").strip() or (data.name or "").strip()):
            source = f"response: {campaign.code}" if campaign else "response"
            company_id, contact_id = create_prospect(session, data.name, email, phone, data.company_name, source)
            created = True
    response = Response(campaign_id=campaign.id if campaign else None,
                        channel_id=campaign.channel_id if campaign else None, received_at=received,
                        source=data.source, name=(data.name or "").strip()[:200] or None, email=email, phone=phone,
                        company_name=(data.company_name or "").strip()[:300] or None,
                        message=(data.message or "").strip() or None, company_id=company_id, contact_id=contact_id,
                        created_prospect=created, handled_by_id=data.handled_by_id, status="new",
                        unconfirmed=anonymous)
    if anonymous:
        policy = privacy_policy(session)
        response.consent_at = datetime.now(timezone.utc)
        response.consent_policy_version = policy.version if policy else None
        response.consent_policy_hash = policy.digest if policy else None
    response.repeat_of_id = _earlier_response(session, response)
    session.add(response)
    session.flush()
    return response


def _earlier_response(session: Session, r: Response) -> int | None:
    """The first response of the same person to the same campaign within the repeat window, if any."""
    if r.campaign_id is None:
        return None
    who = []
    if r.contact_id:
        who.append(Response.contact_id == r.contact_id)
    if r.email:
        who.append(Response.email == r.email)
    if r.phone:
        who.append(Response.phone == r.phone)
    if not who:
        return None
    window = timedelta(days=setting("PROMOTION_REPEAT_WINDOW_DAYS"))
    return session.scalar(select(Response.id).where(
        Response.campaign_id == r.campaign_id, or_(*who), Response.repeat_of_id.is_(None),
        Response.received_at >= r.received_at - window, Response.received_at <= r.received_at)
        .order_by(Response.received_at).limit(1))


def set_status(session: Session, response_id: int, status: str, reason: str | None = None,
               user_id: int | None = None) -> Response:
    """Move a response on: qualified, converted (a deal is opened), or disqualified with a reason."""
    response = session.get(Response, response_id)
    if response is None:
        raise PromotionError(N_("No such response."))
    if status not in RESPONSE_STATUSES:
        raise PromotionError(N_("Unknown status."), "status")
    if response.unconfirmed and status not in ("new", "disqualified"):
        raise PromotionError(N_("Match the response to a client or confirm it as new first."), "status")
    if status == "disqualified":
        if not (reason or "").strip():
            raise PromotionError(N_("Say why it is disqualified."), "reason")
        response.disqualified_reason = reason.strip()[:300]
    else:
        response.disqualified_reason = None
    if status == "converted" and response.deal_id is None:
        if response.company_id is None:
            raise PromotionError(N_("Link the response to a client before opening a deal."), "status")
        title = f"{response.campaign.name if response.campaign else 'Response'}: {response.company_name or response.name or ''}"
        deal = Deal(title=title.strip(": ")[:300], company_id=response.company_id, contact_id=response.contact_id,
                    owner_id=response.handled_by_id or user_id, stage="new")
        session.add(deal)
        session.flush()
        response.deal_id = deal.id
    response.status = status
    if response.handled_by_id is None:
        response.handled_by_id = user_id
    session.flush()
    return response


def _unconfirmed(session: Session, response_id: int) -> Response:
    response = session.get(Response, response_id)
    if response is None:
        raise PromotionError(N_("No such response."))
    if not response.unconfirmed:
        raise PromotionError(N_("This response is already confirmed."), "confirm")
    return response


def suggested_client(session: Session, response: Response) -> tuple[int | None, int | None]:
    """Who an unconfirmed response may be from, for the person confirming it; a hint, never applied by itself."""
    return match_responder(session, response.name, response.email, response.phone, response.company_name)


def match_to_client(session: Session, response_id: int, company_id: int | None, user_id: int | None) -> Response:
    """A Promotion person says which client an unconfirmed response is from; the contact follows when known."""
    response = _unconfirmed(session, response_id)
    company = session.get(Company, company_id) if company_id else None
    if company is None or company.deleted_at is not None:
        raise PromotionError(N_("Choose the client from the list."), "company_id")
    matched_company, contact_id = suggested_client(session, response)
    response.company_id = company.id
    response.contact_id = contact_id if matched_company == company.id else None
    _confirmed(response, user_id)
    session.flush()
    return response


def confirm_as_new(session: Session, response_id: int, user_id: int | None) -> Response:
    """A Promotion person confirms an unconfirmed response as someone new: now the prospect and contact are made."""
    response = _unconfirmed(session, response_id)
    source = f"response: {response.campaign.code}" if response.campaign else "response"
    response.company_id, response.contact_id = create_prospect(session, response.name, response.email,
                                                               response.phone, response.company_name, source)
    response.created_prospect = True
    _confirmed(response, user_id)
    session.flush()
    return response


def _confirmed(response: Response, user_id: int | None) -> None:
    response.unconfirmed = False
    if response.handled_by_id is None:
        response.handled_by_id = user_id


def assign(session: Session, response_id: int, user_id: int | None) -> Response:
    """Give a response to the seller who will handle it."""
    response = session.get(Response, response_id)
    if user_id is not None and session.get(User, user_id) is None:
        raise PromotionError(N_("No such person."), "handled_by_id")
    response.handled_by_id = user_id
    session.flush()
    return response


IMPORT_COLUMNS = {"name": ("name", "имя", "фио", "contact"), "email": ("email", "e-mail", "почта"),
                  "phone": ("phone", "телефон", "tel"), "company_name": ("company", "компания", "организация"),
                  "campaign": ("campaign", "code", "кампания", "код"), "received_at": ("date", "received_at", "дата"),
                  "message": ("message", "comment", "комментарий", "note")}


@dataclass
class ImportResult:
    """What an import did: counted rows, repeats among them, and the rows refused with why."""

    recorded: int = 0
    repeats: int = 0
    prospects: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


def import_responses(session: Session, raw: bytes, campaign_id: int | None, user_id: int | None) -> ImportResult:
    """Import responses from a CSV (exhibition lists, call-tracking exports); bad rows are reported, not stored."""
    try:
        table = tabular.open_table(raw)
    except tabular.FileError as exc:
        raise PromotionError(exc.message, "file") from None
    header = [h.strip().lower() for h in table.headers]
    columns = {}
    for key, names in IMPORT_COLUMNS.items():
        for i, h in enumerate(header):
            if h in names:
                columns[key] = i
                break
    if not {"name", "email", "phone", "company_name"} & columns.keys():
        raise PromotionError(N_("The file needs a header row with at least one of: name, email, phone, company."), "file")
    result = ImportResult()
    with table:
        for line_no, row in enumerate(_rows(table), start=2):
            _import_one(session, result, columns, line_no, row, campaign_id, user_id)
    return result


def _rows(table) -> Iterator[list[str]]:
    """The table's rows; a file that breaks further down is the form's error, not a crash."""
    try:
        yield from table.rows
    except tabular.FileError as exc:
        raise PromotionError(exc.message, "file") from None


def _import_one(session: Session, result: ImportResult, columns: dict, line_no: int, row: list[str],
                campaign_id: int | None, user_id: int | None) -> None:
    """One response row: recorded, or its line and reason kept in the result."""
    get = lambda key: row[columns[key]].strip() if key in columns and columns[key] < len(row) else ""  # noqa: E731
    try:
        cid = campaign_id
        if get("campaign"):
            campaign = campaign_by_code(session, get("campaign"))
            if campaign is None:
                raise PromotionError(tr("unknown campaign code %(code)s", code=repr(get("campaign"))))
            cid = campaign.id
        with session.begin_nested():
            r = record_response(session, ResponseInput(
                campaign_id=cid, name=get("name"), email=get("email"), phone=get("phone"),
                company_name=get("company_name"), message=get("message"), received_at=_parse_when(get("received_at")),
                source="import", handled_by_id=user_id))
    except PromotionError as exc:
        result.errors.append((line_no, str(exc)))
        return
    result.recorded += 1
    result.repeats += r.is_repeat
    result.prospects += r.created_prospect


def _parse_when(raw: str) -> datetime | None:
    if not raw:
        return None
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%d", "%d.%m.%Y %H:%M", "%d.%m.%Y"):
        try:
            return datetime.strptime(raw, fmt).replace(tzinfo=timezone.utc)
        except ValueError:
            continue
    raise PromotionError(tr("cannot read the date %(raw)s (use YYYY-MM-DD or DD.MM.YYYY)", raw=repr(raw)))


def responses(session: Session, campaign_id: int | None = None, unknown: bool = False, status: str | None = None,
              limit: int = 200, unconfirmed: bool = False) -> list[Response]:
    """Recent responses, newest first, for lists on the campaign and responses pages (and the unconfirmed queue)."""
    stmt = select(Response).order_by(Response.received_at.desc(), Response.id.desc()).limit(limit)
    if unconfirmed:
        stmt = stmt.where(Response.unconfirmed.is_(True))
    if campaign_id:
        stmt = stmt.where(Response.campaign_id == campaign_id)
    if unknown:
        stmt = stmt.where(Response.campaign_id.is_(None))
    if status in RESPONSE_STATUSES:
        stmt = stmt.where(Response.status == status)
    return list(session.scalars(stmt))


# ---------------------------------------------------------------- public form

def form_token(campaign_id: int) -> str:
    """The signed token in a campaign's public form link: nobody can forge another campaign's form."""
    return _serializer().dumps(campaign_id)


def campaign_from_token(session: Session, token: str) -> Campaign | None:
    from itsdangerous import BadSignature

    try:
        campaign_id = _serializer().loads(token)
    except BadSignature:
        return None
    return session.get(Campaign, campaign_id) if isinstance(campaign_id, int) else None


def form_closed(campaign: Campaign) -> bool:
    """A campaign's public form closes when the campaign ends: finished, or past its last day in the portal's zone."""
    from zoneinfo import ZoneInfo

    if campaign.status == "finished":
        return True
    today = datetime.now(ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "UTC")).date()
    return campaign.ends_on is not None and campaign.ends_on < today


def _serializer():
    from itsdangerous import URLSafeSerializer

    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="promotion-response-form")


def rate_limited(session: Session, ip: str) -> bool:
    """True when this address sent too many forms lately; every attempt is counted, in the database."""
    now = datetime.now(timezone.utc)
    window = timedelta(seconds=setting("PROMOTION_FORM_RATE_WINDOW_SECONDS"))
    session.execute(PublicFormHit.__table__.delete().where(PublicFormHit.at < now - 2 * window))
    recent = session.scalar(select(func.count(PublicFormHit.id)).where(PublicFormHit.ip == ip,
                                                                       PublicFormHit.at >= now - window))
    session.add(PublicFormHit(ip=ip[:64], at=now))
    session.flush()
    return recent >= setting("PROMOTION_FORM_RATE_LIMIT")


# ---------------------------------------------------------------- analysis

@timeline.source_query
def _timeline_rows():
    # the columns shown, not the rows: every company page reads them
    return (select(Response.id, Response.received_at, Response.name, Response.email, Response.phone, Response.status,
                   Campaign.name.label("campaign"), User.name.label("handled_by"))
            .outerjoin(Campaign, Campaign.id == Response.campaign_id)
            .outerjoin(User, User.id == Response.handled_by_id)
            .where(Response.company_id == bindparam("company_id")),
            Response.received_at, (Response.received_at.desc(),))


def timeline_items(session: Session, company_id: int, before: datetime | None, limit: int, viewer=None):
    """Responses on the company page: which campaign brought the client, and when."""
    from flask import url_for

    from app.services.timeline import TimelineItem

    items = []
    for r in _timeline_rows(session, company_id, before, limit):
        title = _("Response: %(campaign)s", campaign=r.campaign or _("unknown source"))
        items.append(TimelineItem(at=r.received_at, kind="response", title=title,
                                  body=" · ".join(x for x in (r.name, r.email, r.phone, label("response", r.status)) if x),
                                  url=url_for("promotion.response_detail", response_id=r.id), author=r.handled_by))
    return items


