"""Promotion rules: campaigns, the year's plan, responses counted and matched to the base, campaign analysis."""
from __future__ import annotations

import csv
import io
import os
import re
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

import phonenumbers
from flask import current_app, has_app_context
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import extract, func, or_, select
from sqlalchemy.orm import Session

from app.i18n import N_
from app.models.companies import Company
from app.models.contacts import Contact, Email, Phone
from app.models.org import User
from app.models.promotion import (CAMPAIGN_STATUSES, RESPONSE_STATUSES, Campaign, CampaignSpend, Channel,
                                  PlanBudgetLine, PromotionPlan, PublicFormHit, Response)
from app.models.sales import Activity, Deal

DEFAULT_CHANNELS = [
    ("email", "Email-рассылка", "Email"), ("postal", "Почтовая рассылка", "Postal mailing"),
    ("calls", "Звонки", "Calls"), ("exhibition", "Выставка", "Exhibition"), ("seminar", "Семинар", "Seminar"),
    ("advertising", "Реклама", "Advertising"), ("website", "Сайт", "Website"), ("referral", "Рекомендация", "Referral"),
]
SETTINGS = {
    "PROMOTION_REPEAT_WINDOW_DAYS": 30,     # a second response within this many days is a repeat
    "PROMOTION_FORM_RATE_LIMIT": 5,         # public form submissions per IP ...
    "PROMOTION_FORM_RATE_WINDOW_SECONDS": 600,  # ... within this many seconds
    "LIST_EXPIRY_DAYS": 14,                 # generated address lists can be downloaded this long
    "LIST_UNVERIFIED_MAX_AGE_DAYS": 365,    # default age for the optional "unverified" exclusion
}

# What a reader sees for each stored code, by kind; the contexts keep words of different genders apart.
LABELS = {
    "campaign": {"planned": lazy_pgettext("campaign status", "planned"),
                 "running": lazy_pgettext("campaign status", "running"),
                 "finished": lazy_pgettext("campaign status", "finished")},
    "response": {"new": lazy_pgettext("response status", "new"),
                 "qualified": lazy_pgettext("response status", "qualified"),
                 "converted": lazy_pgettext("response status", "converted"),
                 "disqualified": lazy_pgettext("response status", "disqualified")},
    "plan": {"draft": lazy_pgettext("plan status", "draft"), "approved": lazy_pgettext("plan status", "approved")},
    "source": {"staff": lazy_pgettext("response source", "staff"), "web": lazy_pgettext("response source", "web form"),
               "import": lazy_pgettext("response source", "import")},
    "format": {"postal": lazy_pgettext("list format", "postal"), "email": lazy_pgettext("list format", "email"),
               "phone": lazy_pgettext("list format", "phone")},
    "left_out": {"do_not_contact": _l("do not contact"), "no_valid_channel": _l("no usable address"),
                 "unverified": _l("not verified"), "duplicates": _l("duplicates")},
    "definition": {"client_type_ids": _l("Client type"), "regions": _l("Region"), "cities": _l("City"),
                   "industries": _l("Industry"), "statuses": _l("Status"), "manager_ids": _l("Account manager"),
                   "bought_product_ids": _l("Bought"), "never_bought_product_ids": _l("Never bought"),
                   "tag_ids": _l("Tags"), "active_after": _l("Last activity after"),
                   "active_before": _l("Last activity before"), "position": _l("Contact position contains")},
    "field": {"name": lazy_pgettext("named thing", "Name"), "code": _l("Response code"), "channel_id": _l("Channel"),
              "plan_id": _l("Year plan"), "status": _l("Status"), "starts_on": _l("Start"), "ends_on": _l("End"),
              "planned_budget": _l("Planned budget"), "owner_id": _l("Owner"), "audience": _l("Audience"),
              "address_list_id": _l("Address list"), "materials": _l("Materials used"),
              "past_responses": _l("Responses"), "past_deals": _l("Deals won"), "past_won_revenue": _l("Won revenue"),
              "analysed_at": _l("analysed"), "analysis_notes": _l("What the results show"), "notes": _l("Notes")},
}


def label(kind: str, code: str | None) -> str:
    """A stored code (campaign, response or plan status, response source, list format, exclusion) in words."""
    return str(LABELS[kind].get(code, code or ""))


class PromotionError(ValueError):
    """Bad input for a promotion rule; `field` names the form field the message belongs next to. The message is
    a msgid marked with N_ (the view translates it) or, when it carries values, already translated."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def setting(name: str) -> int:
    """A promotion setting: app config, then the environment, then the default."""
    if has_app_context() and name in current_app.config:
        return int(current_app.config[name])
    return int(os.environ.get(name, SETTINGS[name]))


# ---------------------------------------------------------------- channels

def channels(session: Session, active_only: bool = False) -> list[Channel]:
    """The editable list of channels; the usual ones are created (and committed, as reference data) on first use."""
    if not session.scalar(select(func.count(Channel.id))):
        session.add_all(Channel(code=c, name_ru=ru, name_en=en) for c, ru, en in DEFAULT_CHANNELS)
        session.commit()
    stmt = select(Channel).order_by(Channel.id)
    if active_only:
        stmt = stmt.where(Channel.active.is_(True))
    return list(session.scalars(stmt))


def save_channel(session: Session, channel_id: int | None, name_ru: str, name_en: str, active: bool = True) -> Channel:
    """Add a channel or rename / retire one (retired channels stay on old campaigns)."""
    name_ru, name_en = (name_ru or "").strip(), (name_en or "").strip()
    if not name_ru and not name_en:
        raise PromotionError(N_("Give the channel a name."), "name_ru")
    if channel_id:
        ch = session.get(Channel, channel_id)
        if ch is None:
            raise PromotionError(N_("No such channel."))
    else:
        code = re.sub(r"\W+", "-", (name_en or name_ru).lower()).strip("-")[:30] or "channel"
        while session.scalar(select(Channel.id).where(Channel.code == code)):
            code = f"{code[:25]}-{secrets.token_hex(2)}"
        ch = Channel(code=code)
        session.add(ch)
    ch.name_ru, ch.name_en, ch.active = name_ru or name_en, name_en or name_ru, active
    session.flush()
    return ch


# ---------------------------------------------------------------- campaigns

@dataclass
class CampaignInput:
    """What a person types into the campaign form."""

    name: str
    channel_id: int | None
    status: str = "planned"
    starts_on: date | None = None
    ends_on: date | None = None
    planned_budget: Decimal = Decimal(0)
    owner_id: int | None = None
    plan_id: int | None = None
    audience: str | None = None
    address_list_id: int | None = None
    materials: str | None = None
    client_type_ids: list[int] = field(default_factory=list)
    product_ids: list[int] = field(default_factory=list)
    past_responses: int | None = None
    past_deals: int | None = None
    past_won_revenue: Decimal | None = None
    notes: str | None = None
    code: str | None = None


def new_code(session: Session) -> str:
    """A short response code people can read out on the phone (no 0/O, 1/I)."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    while True:
        code = "".join(secrets.choice(alphabet) for _ in range(6))
        if not session.scalar(select(Campaign.id).where(Campaign.code == code)):
            return code


def save_campaign(session: Session, data: CampaignInput, campaign_id: int | None = None,
                  version: int | None = None) -> Campaign:
    """Create or update a campaign; a save based on a stale version is refused by the version check."""
    from app.models.companies import ClientType
    from app.models.sales import Product

    if not data.name.strip():
        raise PromotionError(N_("Give the campaign a name."), "name")
    if not data.channel_id or session.get(Channel, data.channel_id) is None:
        raise PromotionError(N_("Choose a channel."), "channel_id")
    if data.status not in CAMPAIGN_STATUSES:
        raise PromotionError(N_("Unknown status."), "status")
    if data.starts_on and data.ends_on and data.ends_on < data.starts_on:
        raise PromotionError(N_("The end is before the start."), "ends_on")
    if data.planned_budget is not None and data.planned_budget < 0:
        raise PromotionError(N_("The budget cannot be negative."), "planned_budget")
    code = (data.code or "").strip().upper()
    if code and not re.fullmatch(r"[A-Z0-9-]{3,20}", code):
        raise PromotionError(N_("Use 3-20 letters, digits or dashes."), "code")
    if campaign_id:
        campaign = session.get(Campaign, campaign_id)
        if campaign is None:
            raise PromotionError(N_("No such campaign."))
        if version is not None and campaign.version != version:
            raise StaleCampaign(campaign)
    else:
        campaign = Campaign(code=code or new_code(session))
    if code and code != campaign.code:
        if session.scalar(select(Campaign.id).where(Campaign.code == code, Campaign.id != campaign_id)):
            raise PromotionError(N_("Another campaign already uses this code."), "code")
        campaign.code = code
    if data.plan_id is None and data.starts_on:
        data.plan_id = session.scalar(select(PromotionPlan.id).where(PromotionPlan.year == data.starts_on.year))
    for name in ("name", "channel_id", "status", "starts_on", "ends_on", "owner_id", "plan_id", "audience",
                 "address_list_id", "materials", "past_responses", "past_deals", "past_won_revenue", "notes"):
        value = getattr(data, name)
        setattr(campaign, name, value.strip() if isinstance(value, str) else value)
    campaign.planned_budget = data.planned_budget or Decimal(0)
    campaign.client_types = list(session.scalars(select(ClientType).where(ClientType.id.in_(data.client_type_ids))))
    campaign.products = list(session.scalars(select(Product).where(Product.id.in_(data.product_ids))))
    session.add(campaign)
    session.flush()
    return campaign


class StaleCampaign(Exception):
    """Someone saved the campaign after this person opened it."""

    def __init__(self, campaign: Campaign):
        super().__init__("stale campaign")
        self.campaign = campaign


def add_spend(session: Session, campaign_id: int, spent_on: date | None, amount: Decimal | None, purpose: str,
              author_id: int | None) -> CampaignSpend:
    """Record money actually spent on a campaign."""
    if spent_on is None:
        raise PromotionError(N_("Give the date."), "spent_on")
    if amount is None or amount <= 0:
        raise PromotionError(N_("Give an amount above zero."), "amount")
    if not (purpose or "").strip():
        raise PromotionError(N_("Say what it was for."), "purpose")
    row = CampaignSpend(campaign_id=campaign_id, spent_on=spent_on, amount=amount, purpose=purpose.strip()[:300],
                        author_id=author_id)
    session.add(row)
    session.flush()
    return row


def mark_analysed(session: Session, campaign_id: int, notes: str) -> Campaign:
    """Record that a finished campaign's results were analysed, with the conclusions."""
    campaign = session.get(Campaign, campaign_id)
    if not (notes or "").strip():
        raise PromotionError(N_("Write down what the analysis found."), "analysis_notes")
    campaign.analysis_notes = notes.strip()
    campaign.analysed_at = datetime.now(timezone.utc)
    session.flush()
    return campaign


def pick_campaigns(session: Session, q: str = "", limit: int = 15) -> list[Campaign]:
    """Campaigns for the response picker: running first, then recent; matched by name or code."""
    stmt = select(Campaign)
    q = (q or "").strip()
    if q:
        like = f"%{q.lower()}%"
        stmt = stmt.where(or_(func.lower(Campaign.name).like(like), func.lower(Campaign.code).like(like)))
    running_first = (Campaign.status == "running").desc()
    return list(session.scalars(stmt.order_by(running_first, Campaign.starts_on.desc().nulls_last(), Campaign.id.desc())
                                .limit(limit)))


def campaign_by_code(session: Session, code: str) -> Campaign | None:
    return session.scalar(select(Campaign).where(Campaign.code == (code or "").strip().upper()))


# ---------------------------------------------------------------- the year's plan

def plan_for(session: Session, year: int) -> PromotionPlan | None:
    return session.scalar(select(PromotionPlan).where(PromotionPlan.year == year))


def ensure_plan(session: Session, year: int, author_id: int | None) -> PromotionPlan:
    """The year's plan, created empty as a draft the first time someone opens it."""
    plan = plan_for(session, year)
    if plan is None:
        plan = PromotionPlan(year=year, status="draft", author_id=author_id)
        session.add(plan)
        session.flush()
    return plan


def save_budget(session: Session, plan_id: int, cells: dict[tuple[int, int], Decimal]) -> None:
    """Store the budget grid: (month, channel id) -> amount; empty or zero cells are removed."""
    existing = {(b.month, b.channel_id): b for b in session.scalars(select(PlanBudgetLine)
                                                                    .where(PlanBudgetLine.plan_id == plan_id))}
    for (month, channel_id), amount in cells.items():
        if not 1 <= month <= 12:
            raise PromotionError(N_("Months run from 1 to 12."))
        if amount is not None and amount < 0:
            raise PromotionError(N_("A budget cannot be negative."))
        line = existing.get((month, channel_id))
        if not amount:
            if line is not None:
                session.delete(line)
            continue
        if line is None:
            session.add(PlanBudgetLine(plan_id=plan_id, month=month, channel_id=channel_id, amount=amount))
        else:
            line.amount = amount
    session.flush()


def copy_plan(session: Session, year: int, author_id: int | None) -> PromotionPlan:
    """Start the year's plan as a draft copy of last year's: budget and campaigns moved on a year."""
    source = plan_for(session, year - 1)
    if source is None:
        raise PromotionError(gettext("There is no plan for %(year)s to copy.", year=year - 1))
    target = plan_for(session, year)
    if target is not None and (target.budget_lines or session.scalar(select(func.count(Campaign.id))
                                                                     .where(Campaign.plan_id == target.id))):
        raise PromotionError(gettext("The plan for %(year)s already has content; it was not overwritten.",
                                     year=year))
    target = target or ensure_plan(session, year, author_id)
    target.status = "draft"
    target.notes = source.notes
    for line in source.budget_lines:
        session.add(PlanBudgetLine(plan_id=target.id, month=line.month, channel_id=line.channel_id, amount=line.amount))
    for old in session.scalars(select(Campaign).where(Campaign.plan_id == source.id).order_by(Campaign.id)):
        session.add(Campaign(name=old.name, code=new_code(session), channel_id=old.channel_id, plan_id=target.id,
                             status="planned", starts_on=_next_year(old.starts_on), ends_on=_next_year(old.ends_on),
                             planned_budget=old.planned_budget, owner_id=old.owner_id, audience=old.audience,
                             materials=old.materials, client_types=list(old.client_types),
                             products=list(old.products), notes=old.notes))
        session.flush()
    session.flush()
    return target


def _next_year(d: date | None) -> date | None:
    if d is None:
        return None
    try:
        return d.replace(year=d.year + 1)
    except ValueError:  # 29 February
        return d.replace(year=d.year + 1, day=28)


@dataclass
class PlanView:
    """Everything the plan page shows."""

    plan: PromotionPlan
    channels: list[Channel]
    budget: dict[tuple[int, int], Decimal]
    month_planned: list[Decimal]
    month_actual: list[Decimal]
    channel_planned: dict[int, Decimal]
    campaigns: list[Campaign]
    campaigns_planned: int
    campaigns_run: int
    total_planned: Decimal
    total_actual: Decimal


def plan_view(session: Session, plan: PromotionPlan) -> PlanView:
    """Budget grid, planned vs actual spend by month, and the campaigns on the year's timeline."""
    chans = channels(session)
    budget = {(b.month, b.channel_id): b.amount for b in plan.budget_lines}
    month_planned = [sum((v for (m, _c), v in budget.items() if m == month), Decimal(0)) for month in range(1, 13)]
    channel_planned = defaultdict(Decimal)
    for (_m, c), v in budget.items():
        channel_planned[c] += v
    month_actual = [Decimal(0)] * 12
    spend = session.execute(
        select(extract("month", CampaignSpend.spent_on), func.sum(CampaignSpend.amount))
        .where(CampaignSpend.spent_on >= date(plan.year, 1, 1), CampaignSpend.spent_on <= date(plan.year, 12, 31))
        .group_by(extract("month", CampaignSpend.spent_on)))
    for month, total in spend:
        month_actual[int(month) - 1] = Decimal(total or 0)
    campaigns = list(session.scalars(select(Campaign).where(
        or_(Campaign.plan_id == plan.id,
            (Campaign.starts_on >= date(plan.year, 1, 1)) & (Campaign.starts_on <= date(plan.year, 12, 31))))
        .order_by(Campaign.starts_on.nulls_last(), Campaign.id)))
    in_plan = [c for c in campaigns if c.plan_id == plan.id]
    return PlanView(plan, chans, budget, month_planned, month_actual, dict(channel_planned), campaigns,
                    len(in_plan), sum(1 for c in in_plan if c.status in ("running", "finished")),
                    sum(month_planned, Decimal(0)), sum(month_actual, Decimal(0)))


def timeline_span(campaign: Campaign, year: int) -> tuple[float, float] | None:
    """Where a campaign sits on the year's calendar, as left offset and width in percent."""
    start = campaign.starts_on or campaign.ends_on
    if start is None:
        return None
    end = campaign.ends_on or start
    first, last = date(year, 1, 1), date(year, 12, 31)
    if end < first or start > last:
        return None
    start, end = max(start, first), min(end, last)
    days = (last - first).days + 1
    left = (start - first).days / days * 100
    width = max(((end - start).days + 1) / days * 100, 0.8)
    return round(left, 2), round(width, 2)


# ---------------------------------------------------------------- responses

def normalise_phone(raw: str | None) -> str | None:
    """E.164 when the number parses, else None (a phone that cannot be dialled is no phone)."""
    if not raw or not raw.strip():
        return None
    region = current_app.config.get("DEFAULT_PHONE_REGION", "RU") if has_app_context() else "RU"
    try:
        num = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(num):
        return None
    return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(raw: str | None) -> str | None:
    raw = (raw or "").strip().lower()
    return raw if re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", raw) else None


def match_responder(session: Session, name: str | None, email: str | None, phone: str | None,
                    company_name: str | None) -> tuple[int | None, int | None]:
    """Find the responder in the base: (company id, contact id), or (None, None) when nobody matches.

    An exact normalised email, then phone, names the person; failing that, the duplicate engine may name
    the company when the responder gave an email or phone to corroborate the name (a name alone never
    links: there are many «Ромашка»s) and the score reaches the review threshold.
    """
    email, phone = normalise_email(email), normalise_phone(phone)
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
        from app.services import dedup

        threshold = dedup.get_settings(session).review_threshold
        hits = dedup.likely_duplicates(session, "company", {"legal_name": company_name, "email": email or "",
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


def record_response(session: Session, data: ResponseInput) -> Response:
    """Count one response: match or create the client, flag a repeat, keep it visible either way."""
    email = normalise_email(data.email)
    if (data.email or "").strip() and email is None:
        raise PromotionError(N_("This email address does not look right."), "email")
    phone = normalise_phone(data.phone)
    if (data.phone or "").strip() and phone is None:
        raise PromotionError(N_("This phone number does not look right."), "phone")
    campaign = session.get(Campaign, data.campaign_id) if data.campaign_id else None
    if data.campaign_id and campaign is None:
        raise PromotionError(N_("No such campaign."), "campaign_id")
    received = data.received_at or datetime.now(timezone.utc)
    if received.tzinfo is None:
        received = received.replace(tzinfo=timezone.utc)
    company_id, contact_id, created = data.company_id, None, False
    if company_id is None:
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
                        created_prospect=created, handled_by_id=data.handled_by_id, status="new")
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
    text = raw.decode("utf-8-sig", errors="replace")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    header = [h.strip().lower() for h in next(reader, [])]
    columns = {}
    for key, names in IMPORT_COLUMNS.items():
        for i, h in enumerate(header):
            if h in names:
                columns[key] = i
                break
    if not {"name", "email", "phone", "company_name"} & columns.keys():
        raise PromotionError(N_("The file needs a header row with at least one of: name, email, phone, company."), "file")
    result = ImportResult()
    for line_no, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        get = lambda key: row[columns[key]].strip() if key in columns and columns[key] < len(row) else ""  # noqa: E731
        try:
            cid = campaign_id
            if get("campaign"):
                campaign = campaign_by_code(session, get("campaign"))
                if campaign is None:
                    raise PromotionError(gettext("unknown campaign code %(code)s", code=repr(get("campaign"))))
                cid = campaign.id
            with session.begin_nested():
                r = record_response(session, ResponseInput(
                    campaign_id=cid, name=get("name"), email=get("email"), phone=get("phone"),
                    company_name=get("company_name"), message=get("message"), received_at=_parse_when(get("received_at")),
                    source="import", handled_by_id=user_id))
        except PromotionError as exc:
            result.errors.append((line_no, str(exc)))
            continue
        result.recorded += 1
        result.repeats += r.is_repeat
        result.prospects += r.created_prospect
    return result


def _parse_when(raw: str) -> datetime | None:
    if not raw:
        return None
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%d", "%d.%m.%Y %H:%M", "%d.%m.%Y"):
        try:
            return datetime.strptime(raw, fmt).replace(tzinfo=timezone.utc)
        except ValueError:
            continue
    raise PromotionError(gettext("cannot read the date %(raw)s (use YYYY-MM-DD or DD.MM.YYYY)", raw=repr(raw)))


def responses(session: Session, campaign_id: int | None = None, unknown: bool = False, status: str | None = None,
              limit: int = 200) -> list[Response]:
    """Recent responses, newest first, for lists on the campaign and responses pages."""
    stmt = select(Response).order_by(Response.received_at.desc(), Response.id.desc()).limit(limit)
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

@dataclass
class Stats:
    """The results of a campaign, a channel or a seller over a period."""

    key: object
    label: str
    channel: str = ""
    responses: int = 0
    repeats: int = 0
    qualified: int = 0
    deals: int = 0
    won_deals: int = 0
    won_revenue: Decimal = Decimal(0)
    spend: Decimal = Decimal(0)
    contact_hours: list[float] = field(default_factory=list)
    campaign: Campaign | None = None

    @property
    def cost_per_response(self) -> Decimal | None:
        return (self.spend / self.responses).quantize(Decimal("0.01")) if self.responses and self.spend else None

    @property
    def cost_per_won_deal(self) -> Decimal | None:
        return (self.spend / self.won_deals).quantize(Decimal("0.01")) if self.won_deals and self.spend else None

    @property
    def return_on_spend(self) -> float | None:
        """Won revenue per unit of money spent (2.0: every rouble brought two)."""
        return round(float(self.won_revenue / self.spend), 2) if self.spend else None

    @property
    def hours_to_first_contact(self) -> float | None:
        return round(sum(self.contact_hours) / len(self.contact_hours), 1) if self.contact_hours else None

    @property
    def deals_per_response(self) -> float | None:
        return round(self.deals / self.responses, 3) if self.responses else None


@dataclass
class Analysis:
    """Per campaign, per channel and per seller, for one period."""

    start: date
    end: date
    campaigns: list[Stats]
    channels: list[Stats]
    sellers: list[Stats]
    unknown: Stats
    weeks: list[date]
    weekly: dict[int, list[int]]


SORT_KEYS = ("label", "channel", "responses", "qualified", "deals", "won_revenue", "spend", "cost_per_response",
             "cost_per_won_deal", "return_on_spend", "hours_to_first_contact")


def analyse(session: Session, start: date, end: date, locale: str = "ru", campaign_ids: list[int] | None = None,
            sort: str = "responses", descending: bool = True) -> Analysis:
    """Every campaign's results in a period: responses counted once, deals, won revenue, spend and their ratios."""
    t0, t1 = as_utc_start(start), as_utc_start(end + timedelta(days=1))
    campaign_stmt = select(Campaign).order_by(Campaign.id)
    if campaign_ids:
        campaign_stmt = campaign_stmt.where(Campaign.id.in_(campaign_ids))
    campaigns = list(session.scalars(campaign_stmt))
    by_campaign = {c.id: Stats(c.id, c.name, c.channel.name(locale), campaign=c) for c in campaigns}
    unknown = Stats(None, "unknown")
    sellers: dict[int | None, Stats] = {}
    rows = session.execute(
        select(Response.id, Response.campaign_id, Response.received_at, Response.status, Response.repeat_of_id,
               Response.company_id, Response.handled_by_id, Deal.id, Deal.stage, Deal.amount)
        .join(Deal, Deal.id == Response.deal_id, isouter=True)
        .where(Response.received_at >= t0, Response.received_at < t1))
    weeks = _weeks(start, end)
    weekly: dict[int, list[int]] = defaultdict(lambda: [0] * len(weeks))
    first_contact_targets: list[tuple[Stats, int, datetime]] = []
    for (rid, cid, at, status, repeat_of, company_id, seller_id, deal_id, stage, amount) in rows:
        stats = by_campaign.get(cid) if cid else unknown
        if stats is None:
            continue
        if repeat_of is not None:
            stats.repeats += 1
            continue
        seller = sellers.setdefault(seller_id, Stats(seller_id, ""))
        for s in (stats, seller):
            s.responses += 1
            s.qualified += status in ("qualified", "converted")
            if deal_id:
                s.deals += 1
                if stage == "won":
                    s.won_deals += 1
                    s.won_revenue += Decimal(amount or 0)
        if cid:
            weekly[cid][min((at.date() - weeks[0]).days // 7, len(weeks) - 1)] += 1
        if company_id:
            first_contact_targets.append((stats, company_id, at))
    _first_contacts(session, first_contact_targets)
    spend = session.execute(select(CampaignSpend.campaign_id, func.sum(CampaignSpend.amount))
                            .where(CampaignSpend.spent_on >= start, CampaignSpend.spent_on <= end)
                            .group_by(CampaignSpend.campaign_id))
    for cid, total in spend:
        if cid in by_campaign:
            by_campaign[cid].spend = Decimal(total or 0)
    for c in campaigns:  # results entered after the fact count on the campaign's end date
        when = c.ends_on or c.starts_on
        if when and start <= when <= end:
            s = by_campaign[c.id]
            s.responses += c.past_responses or 0
            s.deals += c.past_deals or 0
            s.won_deals += c.past_deals or 0
            s.won_revenue += c.past_won_revenue or Decimal(0)
    names = dict(session.execute(select(User.id, User.name).where(User.id.in_([k for k in sellers if k]))).all())
    for key, s in sellers.items():
        s.label = names.get(key, "") if key else ""
    return Analysis(start, end, sort_stats(list(by_campaign.values()), sort, descending),
                    _by_channel(by_campaign.values()), sorted(sellers.values(), key=lambda s: -s.responses),
                    unknown, weeks, dict(weekly))


def sort_stats(rows: list[Stats], key: str, descending: bool) -> list[Stats]:
    """Sort a comparison table by any column; unknown values go last."""
    key = key if key in SORT_KEYS else "responses"
    present = [r for r in rows if getattr(r, key) is not None]
    missing = [r for r in rows if getattr(r, key) is None]
    present.sort(key=lambda r: (getattr(r, key).lower() if isinstance(getattr(r, key), str) else getattr(r, key)),
                 reverse=descending)
    return present + missing


def _by_channel(rows) -> list[Stats]:
    out: dict[str, Stats] = {}
    for s in rows:
        c = out.setdefault(s.channel, Stats(s.channel, s.channel, s.channel))
        for name in ("responses", "repeats", "qualified", "deals", "won_deals", "won_revenue", "spend"):
            setattr(c, name, getattr(c, name) + getattr(s, name))
        c.contact_hours += s.contact_hours
    return sorted(out.values(), key=lambda s: -s.responses)


def _first_contacts(session: Session, targets: list[tuple[Stats, int, datetime]]) -> None:
    """Hours from each response to the first activity with its company after it."""
    if not targets:
        return
    company_ids = {cid for _s, cid, _at in targets}
    activities: dict[int, list[datetime]] = defaultdict(list)
    earliest = min(at for _s, _c, at in targets)
    for chunk in _chunks(sorted(company_ids), 500):
        for cid, at in session.execute(select(Activity.company_id, Activity.occurred_at)
                                       .where(Activity.company_id.in_(chunk), Activity.occurred_at >= earliest)
                                       .order_by(Activity.occurred_at)):
            activities[cid].append(at)
    for stats, cid, at in targets:
        nxt = next((a for a in activities.get(cid, ()) if a >= at), None)
        if nxt is not None:
            stats.contact_hours.append((nxt - at).total_seconds() / 3600)


def _chunks(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _weeks(start: date, end: date) -> list[date]:
    monday = start - timedelta(days=start.weekday())
    out = []
    while monday <= end:
        out.append(monday)
        monday += timedelta(days=7)
    return out


def campaign_summary(session: Session, campaign: Campaign, locale: str = "ru") -> Stats:
    """A campaign's results over its whole life."""
    first, last = session.execute(select(func.min(Response.received_at), func.max(Response.received_at))
                                  .where(Response.campaign_id == campaign.id)).one()
    days = [d for d in (campaign.starts_on, campaign.ends_on, first and first.date(), last and last.date()) if d]
    start, end = min(days + [date.today()]), max(days + [date.today()])
    return analyse(session, start, end, locale, campaign_ids=[campaign.id]).campaigns[0]


# ---------------------------------------------------------------- company timeline

def timeline_items(session: Session, company_id: int, before: datetime | None, limit: int):
    """Responses on the company page: which campaign brought the client, and when."""
    from flask import url_for
    from flask_babel import gettext as _

    from app.services.timeline import TimelineItem

    stmt = (select(Response).where(Response.company_id == company_id)
            .order_by(Response.received_at.desc()).limit(limit))
    if before is not None:
        stmt = stmt.where(Response.received_at < before)
    items = []
    for r in session.scalars(stmt):
        title = _("Response: %(campaign)s", campaign=r.campaign.name if r.campaign else _("unknown source"))
        items.append(TimelineItem(at=r.received_at, kind="response", title=title,
                                  body=" · ".join(x for x in (r.name, r.email, r.phone, label("response", r.status)) if x),
                                  url=url_for("promotion.response_detail", response_id=r.id),
                                  author=r.handled_by.name if r.handled_by else None))
    return items


def as_utc_start(d: date) -> datetime:
    """Midnight UTC at the start of a day, for comparing dates with stored instants."""
    return datetime.combine(d, time.min, tzinfo=timezone.utc)


def week_bounds(today: date) -> tuple[datetime, datetime]:
    monday = today - timedelta(days=today.weekday())
    return (datetime.combine(monday, time.min, tzinfo=timezone.utc),
            datetime.combine(monday + timedelta(days=7), time.min, tzinfo=timezone.utc))
