"""Over random companies, contacts and everything attached to them: a merge loses nothing,
and undoing it gives back the database exactly as it was."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timezone
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.extensions import db
from app.models import Activity, Address, Company, Contact, Deal, Email, Phone, Tag, company_tags
from app.services import merges as merge_service
from app.services.org import seed_reference_data
from tests.conftest import _wipe

LOG_TABLES = {"audit_entries", "dedup_merges", "dedup_merged_records", "dedup_groups", "dedup_decisions",
              "search_tokens", "search_documents", "jobs"}
PHONES = ["+74951110001", "+74951110002", "+74951110003", "+78121110004"]
EMAILS = ["info@a.ru", "INFO@a.ru", "sales@b.ru", "boss@c.ru"]
STREETS = ["ул. Ленина, д. 5", "улица Ленина 5", "пр-т Мира, 1", "ш. Энтузиастов 3"]
WHEN = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)

company_st = st.fixed_dictionaries({
    "name": st.sampled_from(["Ромашка", "Romashka", "Вектор", "Alfa"]),
    "inn": st.one_of(st.none(), st.sampled_from(["7707083893", "4982597917"])),
    "city": st.one_of(st.none(), st.sampled_from(["Москва", "Казань"])),
    "phones": st.lists(st.sampled_from(PHONES), max_size=3),
    "emails": st.lists(st.sampled_from(EMAILS), max_size=2),
    "streets": st.lists(st.sampled_from(STREETS), max_size=2),
    "tags": st.lists(st.sampled_from([1, 2]), max_size=2, unique=True),
    "contacts": st.lists(st.fixed_dictionaries({
        "name": st.sampled_from(["Иван Петров", "Ivan Petrov", "Анна"]),
        "phones": st.lists(st.sampled_from(PHONES), max_size=2),
        "emails": st.lists(st.sampled_from(EMAILS), max_size=2)}), max_size=2),
    "deals": st.integers(0, 2),
    "activities": st.integers(0, 2),
})


def _create(session, specs: list[dict]) -> list[int]:
    session.execute(Tag.__table__.insert(), [{"id": 1, "name": "vip"}, {"id": 2, "name": "export"}])
    ids = []
    for n, spec in enumerate(specs, start=1):
        company = Company(legal_name=spec["name"], legal_form="ООО", name_sort=spec["name"].lower(), inn=spec["inn"],
                          city=spec["city"], external_id=f"ext-{n}")
        session.add(company)
        session.flush()
        ids.append(company.id)
        for e164 in spec["phones"]:
            session.add(Phone(company_id=company.id, e164=e164))
        for address in spec["emails"]:
            session.add(Email(company_id=company.id, address=address))
        for street in spec["streets"]:
            session.add(Address(company_id=company.id, street=street, city="Москва", kind="legal"))
        for tag in spec["tags"]:
            session.execute(company_tags.insert().values(company_id=company.id, tag_id=tag))
        contact_ids = []
        for k in spec["contacts"]:
            contact = Contact(company_id=company.id, name=k["name"])
            session.add(contact)
            session.flush()
            contact_ids.append(contact.id)
            for e164 in k["phones"]:
                session.add(Phone(company_id=company.id, contact_id=contact.id, e164=e164))
            for address in k["emails"]:
                session.add(Email(company_id=company.id, contact_id=contact.id, address=address))
        for d in range(spec["deals"]):
            session.add(Deal(title=f"Deal {d}", company_id=company.id, amount=Decimal("10.50"),
                             contact_id=contact_ids[0] if contact_ids else None))
        for a in range(spec["activities"]):
            session.add(Activity(kind="call", company_id=company.id, occurred_at=WHEN, subject=f"call {a}",
                                 contact_id=contact_ids[-1] if contact_ids else None))
    session.commit()
    return ids


@contextmanager
def scratch_base(app):
    """Each generated example starts from the seeded org board and leaves nothing behind."""
    with app.app_context():
        try:
            yield db.session
        finally:
            db.session.rollback()
            _wipe(app)
            seed_reference_data(db.session)
            db.session.commit()


def _dump(session) -> dict:
    out = {}
    for table in db.metadata.sorted_tables:
        if table.name in LOG_TABLES:
            continue
        cols = list(table.primary_key.columns) or list(table.columns)
        out[table.name] = [tuple(r) for r in session.execute(select(table).order_by(*cols))]
    return out


def _values(session, company_ids: list[int]) -> dict:
    """Every normalised phone, email and address, and every activity and deal, of these companies."""
    from app.matching.normalize import normalise_address

    return {
        "phones": {p for p, in session.execute(select(Phone.e164).where(Phone.company_id.in_(company_ids)))},
        "emails": {e.lower() for e, in session.execute(select(Email.address).where(Email.company_id.in_(company_ids)))},
        "addresses": {normalise_address(s) for s, in session.execute(
            select(Address.street).where(Address.company_id.in_(company_ids)))},
        "activities": set(session.scalars(select(Activity.id).where(Activity.company_id.in_(company_ids)))),
        "deals": set(session.scalars(select(Deal.id).where(Deal.company_id.in_(company_ids)))),
    }


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(specs=st.lists(company_st, min_size=2, max_size=4), pick=st.data())
def test_company_merge_loses_nothing_and_undo_restores_everything(app, specs, pick):
    with scratch_base(app) as session:
        ids = _create(session, specs)
        survivor = pick.draw(st.sampled_from(ids))
        merged = pick.draw(st.lists(st.sampled_from([i for i in ids if i != survivor]), min_size=1, unique=True))
        choices = {f: pick.draw(st.sampled_from([survivor, *merged]))
                   for f in ("legal_name", "inn", "city", "external_id")}
        before = _dump(session)
        owned_before = _values(session, [survivor, *merged])

        record = merge_service.merge(session, "company", survivor, merged, choices, user_id=None)
        session.commit()

        assert _values(session, [survivor]) == owned_before
        assert session.scalar(select(Company.deleted_at).where(Company.id == merged[0])) is not None
        assert merge_service.survivor_of(session, "company", merged[0]) == survivor

        merge_service.undo(session, record.id, user_id=None)
        session.commit()
        assert _dump(session) == before


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(specs=st.lists(company_st.filter(lambda s: len(s["contacts"]) == 2), min_size=1, max_size=2))
def test_contact_merge_loses_nothing_and_undo_restores_everything(app, specs):
    with scratch_base(app) as session:
        _create(session, specs)
        contact_ids = list(session.scalars(select(Contact.id).order_by(Contact.id)))
        survivor, merged = contact_ids[0], contact_ids[1:]
        before = _dump(session)
        phones = {p for p, in session.execute(select(Phone.e164).where(Phone.contact_id.in_(contact_ids)))}
        deals = set(session.scalars(select(Deal.id).where(Deal.contact_id.in_(contact_ids))))

        record = merge_service.merge(session, "contact", survivor, merged, {"name": merged[0]}, user_id=None)
        session.commit()

        assert {p for p, in session.execute(select(Phone.e164).where(Phone.contact_id == survivor))} == phones
        assert set(session.scalars(select(Deal.id).where(Deal.contact_id == survivor))) == deals
        merge_service.undo(session, record.id, user_id=None)
        session.commit()
        assert _dump(session) == before
