"""Small builders for the promotion tests: a campaign, a client with a contact."""
from __future__ import annotations

from datetime import date

from app.extensions import db
from app.models import Company, Contact, Email, Phone
from app.services import campaigns, search


def make_campaign(name="Spring mailing", channel="email", status="running", starts_on=None, ends_on=None,
                  budget=0, **extra) -> int:
    chan = next(c for c in campaigns.channels(db.session) if c.code == channel)
    campaign = campaigns.save_campaign(db.session, campaigns.CampaignInput(
        name=name, channel_id=chan.id, status=status, starts_on=starts_on or date.today().replace(day=1),
        ends_on=ends_on, planned_budget=budget, **extra))
    db.session.commit()
    return campaign.id


def make_client(name="Ромашка", person="Иванов Иван", email=None, phone=None, dnc=False, **company) -> tuple[int, int]:
    c = Company(legal_name=name, name_sort=name.lower(), status=company.pop("status", "client"), **company)
    db.session.add(c)
    db.session.flush()
    k = Contact(company_id=c.id, name=person, do_not_contact=dnc, position=company.get("position"))
    db.session.add(k)
    db.session.flush()
    if email:
        db.session.add(Email(company_id=c.id, contact_id=k.id, address=email))
    if phone:
        db.session.add(Phone(company_id=c.id, contact_id=k.id, e164=phone))
    db.session.flush()
    search.reindex(db.session, company_ids=[c.id], contact_ids=[k.id])
    db.session.commit()
    return c.id, k.id
