"""The company page asks the database a fixed number of questions, whatever the number of its contacts, deals and
client requests: it is the page people open most, and under load each extra query per contact was paid on
every view."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import event, select
from sqlalchemy.orm import lazyload

from app.extensions import db
from app.models.contact_points import Phone
from app.models.contacts import Contact
from app.models.deals import Deal
from tests.key_accounts_support import key_account, login_as, unit_id


def _statements(app, auth, url) -> tuple[int, str]:
    seen: list[str] = []

    def grab(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", grab)
    try:
        page = auth.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", grab)
    assert page.status_code == 200
    return len(seen), page.get_data(as_text=True)


def _grow(app, auth, ids, manager, n: int, units) -> None:
    """n more contacts with a phone each, n deals of two owners, and n requests to two departments."""
    with app.app_context():
        for i in range(n):
            contact = Contact(name=f"Контакт {ids['company_id']}-{i}-{n}", company_id=ids["company_id"])
            db.session.add(contact)
            db.session.flush()
            db.session.add(Phone(e164=f"+7495{n:03d}{i:04d}", company_id=ids["company_id"], contact_id=contact.id))
            db.session.add(Deal(title=f"Сделка {i}-{n}", company_id=ids["company_id"], owner_id=manager.id,
                                stage="lead"))
        db.session.commit()
    for i in range(n):
        auth.post("/accounts/requests/new", data={
            "company_id": ids["company_id"], "subject": f"Вопрос {i}-{n}", "details": "Нужно к тендеру",
            "contact_id": ids["contact_id"], "channel": "email", "unit_ids": units,
            "due_on": (date.today() + timedelta(days=5)).isoformat()}, content_type="multipart/form-data")


def test_the_company_page_asks_as_many_questions_for_twelve_contacts_as_for_two(app, auth, make_user):
    manager = make_user("staff", "accounts")
    ids = key_account(app, manager.id)
    login_as(auth, manager)
    units = [unit_id(app, "legal"), unit_id(app, "logistics")]
    url = f"/crm/companies/{ids['company_id']}"
    _grow(app, auth, ids, manager, 2, units)
    auth.get(url)  # what a first view of a process loads once (the catalogue, settings) is not counted
    small, small_page = _statements(app, auth, url)
    _grow(app, auth, ids, manager, 10, units)
    large, large_page = _statements(app, auth, url)
    assert "Вопрос 1-2" in small_page and "Вопрос 9-10" in large_page and "Контакт" in large_page
    assert large_page.count("+7 495 010") == 10  # every contact's phone is shown
    assert large == small, f"{small} statements for 2 contacts and requests, {large} for 12"


def test_the_page_loads_each_collection_as_its_relationship_would_and_nothing_more_on_access(app):
    """The company's own phones, its current contacts (by name) with theirs, its emails and addresses; a removed
    contact and its phone stay out; reading them afterwards asks the database nothing."""
    from datetime import datetime, timezone

    from app.models.companies import Company
    from app.models.contact_points import Address, Email
    from app.services.companies import get_company

    with app.app_context():
        company = Company(legal_name="Альфа Строй")
        db.session.add(company)
        db.session.flush()
        boris, anna, gone = (Contact(name=n, company_id=company.id) for n in ("Борис", "Анна", "Ушедший"))
        db.session.add_all([boris, anna, gone])
        db.session.flush()
        gone.deleted_at = datetime.now(timezone.utc)
        db.session.add_all([Phone(e164="+74950000001", company_id=company.id),
                            Phone(e164="+74950000002", company_id=company.id, contact_id=anna.id),
                            Phone(e164="+74950000003", company_id=company.id, contact_id=gone.id),
                            Phone(e164="+74950000004", company_id=None, contact_id=boris.id),
                            Email(address="info@alfa.ru", company_id=company.id),
                            Email(address="anna@alfa.ru", company_id=company.id, contact_id=anna.id),
                            Address(company_id=company.id, kind="legal", city="Москва", street="Тверская, 1")])
        db.session.commit()
        cid = company.id
        db.session.expunge_all()
        loaded = get_company(db.session, cid, page=True)
        seen: list[str] = []

        def grab(conn, cursor, statement, *rest):
            seen.append(statement)

        event.listen(db.engine, "before_cursor_execute", grab)
        try:
            shown = ([p.e164 for p in loaded.phones], [(c.name, [p.e164 for p in c.phones]) for c in loaded.contacts],
                     [e.address for e in loaded.emails], [a.city for a in loaded.addresses])
        finally:
            event.remove(db.engine, "before_cursor_execute", grab)
    assert shown == (["+74950000001"], [("Анна", ["+74950000002"]), ("Борис", ["+74950000004"])], ["info@alfa.ru"],
                     ["Москва"])
    assert seen == []


def test_filled_collections_are_what_the_relationships_load_and_a_custom_join_is_refused(app):
    """fill_collections gives each parent the rows and order its relationship would (a one-to-many by key, a
    many-to-many through its link table, an empty one for a parent with none), in one query per collection."""
    import pytest

    from app.models.companies import Company, Tag
    from app.services.records import fill_collections

    with app.app_context():
        companies = [Company(legal_name=f"Фирма {i}") for i in range(3)]
        red, blue = Tag(name="красный"), Tag(name="синий")
        companies[0].tags = [blue, red]
        companies[1].tags = [red]
        db.session.add_all(companies)
        db.session.flush()
        people = [Contact(name=f"Контакт {i}", company_id=companies[0].id) for i in range(3)]
        db.session.add_all(people)
        db.session.flush()
        db.session.add_all([Phone(e164=f"+7495000000{i}", company_id=companies[0].id, contact_id=people[i % 2].id)
                            for i in range(5)])
        db.session.commit()
        ids = [c.id for c in companies]
        contact_ids = [p.id for p in people]
        db.session.expunge_all()
        wanted_tags = {c.id: [t.name for t in c.tags]
                       for c in db.session.scalars(select(Company).where(Company.id.in_(ids)))}
        wanted_phones = {k.id: [p.e164 for p in k.phones]
                         for k in db.session.scalars(select(Contact).where(Contact.id.in_(contact_ids)))}
        db.session.expunge_all()
        parents = list(db.session.scalars(select(Company).where(Company.id.in_(ids)).options(lazyload(Company.tags))))
        contacts = list(db.session.scalars(select(Contact).where(Contact.id.in_(contact_ids))))
        seen: list[str] = []

        def grab(conn, cursor, statement, *rest):
            seen.append(statement)

        event.listen(db.engine, "before_cursor_execute", grab)
        try:
            fill_collections(db.session, parents, Company.tags)
            fill_collections(db.session, contacts, Contact.phones)
            got_tags = {c.id: [t.name for t in c.tags] for c in parents}
            got_phones = {k.id: [p.e164 for p in k.phones] for k in contacts}
        finally:
            event.remove(db.engine, "before_cursor_execute", grab)
        assert len(seen) == 2
        assert got_tags == wanted_tags
        assert sorted(map(sorted, got_tags.values())) == [[], ["красный"], ["красный", "синий"]]
        assert got_phones == wanted_phones and [len(v) for v in got_phones.values()] == [3, 2, 0]
        with pytest.raises(ValueError):
            fill_collections(db.session, parents, Company.phones)   # its own join: only contact_id IS NULL
