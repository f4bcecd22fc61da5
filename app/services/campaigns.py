"""Campaigns: channels, the campaign record and its code, spend, the analysed mark, the picker."""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.i18n import N_
from app.models.campaigns import CAMPAIGN_STATUSES, Campaign, CampaignSpend, Channel
from app.models.promotion_plan import PromotionPlan
from app.services import actor
from app.services.folding import folded_contains
from app.services.promotion import PromotionError


def channels(session: Session, active_only: bool = False) -> list[Channel]:
    """The editable list of channels (the usual ones are reference data, created with the org board)."""
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
    plan_year: int | None = None  # opened from a year's plan that does not exist yet: made on save
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
    from app.models.products import Product

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
    if data.plan_id is None and data.plan_year is not None and 2000 <= data.plan_year <= 2100:
        from app.services.promotion_plan import ensure_plan

        data.plan_id = ensure_plan(session, data.plan_year, actor.current_actor_id()).id
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
        stmt = stmt.where(or_(folded_contains(Campaign.name, q), folded_contains(Campaign.code, q)))
    running_first = (Campaign.status == "running").desc()
    return list(session.scalars(stmt.order_by(running_first, Campaign.starts_on.desc().nulls_last(), Campaign.id.desc())
                                .limit(limit)))


def campaign_by_code(session: Session, code: str) -> Campaign | None:
    return session.scalar(select(Campaign).where(Campaign.code == (code or "").strip().upper()))


# ---------------------------------------------------------------- the year's plan

