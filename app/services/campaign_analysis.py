"""Campaign analysis: responses, deals, revenue and cost per campaign and channel over any period."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models.activities import Activity
from app.models.campaigns import Campaign, CampaignSpend
from app.models.deals import Deal
from app.models.org import User
from app.models.responses import Response
from app.services.weeks import day_start, mondays


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
    t0, t1 = day_start(start), day_start(end + timedelta(days=1))
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
    weeks = mondays(start, end)
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




def campaign_summary(session: Session, campaign: Campaign, locale: str = "ru") -> Stats:
    """A campaign's results over its whole life."""
    first, last = session.execute(select(func.min(Response.received_at), func.max(Response.received_at))
                                  .where(Response.campaign_id == campaign.id)).one()
    days = [d for d in (campaign.starts_on, campaign.ends_on, first and first.date(), last and last.date()) if d]
    start, end = min(days + [date.today()]), max(days + [date.today()])
    return analyse(session, start, end, locale, campaign_ids=[campaign.id]).campaigns[0]


# ---------------------------------------------------------------- company timeline



