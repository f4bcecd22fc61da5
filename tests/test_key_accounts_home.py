"""Key accounts: one manager and a deputy, recorded hand-overs, the manager's home page, units of the org board."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import select

from app.extensions import db
from app.models.activities import Activity
from app.models.client_requests import ClientRequest
from app.models.companies import Company
from app.models.deals import Deal
from app.models.key_accounts import AccountHandover
from app.models.org import Unit
from app.services import client_requests, key_accounts
from tests.key_accounts_support import key_account, login_as, unit_id


def test_the_managers_home_lists_accounts_with_revenue_requests_deals_and_last_contact(app, auth, make_user):
    manager, colleague = make_user("staff", "accounts"), make_user("staff", "accounts")
    ids = key_account(app, manager.id, name="Romashka")
    key_account(app, colleague.id, deputy_id=manager.id, name="Vasilek")
    today = date.today()
    with app.app_context():
        cid = ids["company_id"]
        db.session.add_all([
            Deal(title="a", company_id=cid, stage="won", amount=Decimal("1000"), closed_on=date(today.year, 1, 1)),
            Deal(title="b", company_id=cid, stage="won", amount=Decimal("700"), closed_on=date(today.year - 1, 6, 1)),
            Deal(title="c", company_id=cid, stage="lost", amount=Decimal("999"), closed_on=date(today.year, 1, 1)),
            Deal(title="d", company_id=cid, stage="proposal", amount=Decimal("5")),
            Activity(kind="call", company_id=cid, subject="hello",
                     occurred_at=datetime(today.year, 1, 2, 10, 0, tzinfo=timezone.utc)),
        ])
        db.session.commit()
        data = client_requests.NewRequest(company_id=cid, subject="x", unit_ids=[unit_id(app, "legal")],
                                   due_on=today + timedelta(days=1))
        client_requests.register_request(db.session, data, manager.id, app.config["UPLOAD_DIR"])
        db.session.commit()
        rows = {r.company.legal_name: r for r in key_accounts.manager_home(db.session, manager.id, today)}
    assert set(rows) == {"Romashka", "Vasilek"} and rows["Vasilek"].role == "deputy"
    r = rows["Romashka"]
    assert (r.revenue_this_year, r.revenue_last_year) == (1000, 700)
    assert (r.open_requests, r.overdue_requests, r.deals_in_progress) == (1, 0, 1)
    assert r.last_contact.date() == date(today.year, 1, 2)
    login_as(auth, manager)
    page = auth.get("/accounts/").get_data(as_text=True)
    assert "Romashka" in page and "Vasilek" in page and "1,000" in page


def test_reassigning_a_key_account_needs_a_hand_over_note_and_moves_open_requests(app, auth, make_user):
    head = make_user("head", "accounts")
    old, new, deputy = make_user("staff", "accounts"), make_user("staff", "accounts"), make_user("staff", "sales")
    ids = key_account(app, old.id)
    with app.app_context():
        data = client_requests.NewRequest(company_id=ids["company_id"], subject="x", unit_ids=[unit_id(app, "legal")])
        rid = client_requests.register_request(db.session, data, old.id, app.config["UPLOAD_DIR"]).id
        db.session.commit()
    login_as(auth, head)
    url = f"/accounts/key-accounts/{ids['company_id']}"
    resp = auth.post(url, {"manager_id": new.id, "deputy_id": deputy.id, "note": ""})
    assert resp.status_code == 422 and "Write a hand-over note" in resp.get_data(as_text=True)
    resp = auth.post(url, {"manager_id": new.id, "deputy_id": deputy.id, "note": "Call Irina on Mondays"})
    assert resp.status_code == 302
    page = auth.get(url).get_data(as_text=True)
    assert "Call Irina on Mondays" in page
    with app.app_context():
        assert db.session.get(Company, ids["company_id"]).account_manager_id == new.id
        assert db.session.get(ClientRequest, rid).account_manager_id == new.id
        last = db.session.scalars(select(AccountHandover).order_by(AccountHandover.id.desc())).first()
        assert (last.from_manager_id, last.to_manager_id, last.deputy_id) == (old.id, new.id, deputy.id)


def test_a_key_account_has_one_manager_and_a_different_deputy(app, auth, make_user):
    head, manager = make_user("head", "accounts"), make_user("staff", "accounts")
    with app.app_context():
        company = Company(legal_name="Lyutik", name_sort="lyutik", inn="7701000001")
        db.session.add(company)
        db.session.commit()
    login_as(auth, head)
    resp = auth.post("/accounts/key-accounts", {"company": "7701000001", "manager_id": 0, "deputy_id": 0})
    assert resp.status_code == 422 and "exactly one account manager" in resp.get_data(as_text=True)
    resp = auth.post("/accounts/key-accounts", {"company": "7701000001", "manager_id": manager.id,
                                                "deputy_id": manager.id})
    assert resp.status_code == 422 and "someone other than the account manager" in resp.get_data(as_text=True)
    resp = auth.post("/accounts/key-accounts", {"company": "7701000001", "manager_id": manager.id, "deputy_id": 0})
    assert resp.status_code == 302
    assert "Lyutik" in auth.get("/accounts/key-accounts").get_data(as_text=True)


def test_only_admins_and_the_head_of_account_management_assign_accounts(app, auth, make_user):
    login_as(auth, make_user("staff", "accounts"))
    assert auth.get("/accounts/key-accounts").status_code == 403


def test_admins_add_a_department_that_requests_can_then_go_to(app, auth, make_user):
    admin, manager = make_user("admin", "crm"), make_user("staff", "accounts")
    login_as(auth, admin)
    resp = auth.post("/accounts/units", {"code": "Bad Code", "name_ru": "x", "name_en": "x", "parent_id": 0})
    assert resp.status_code == 422 and "lower-case" in resp.get_data(as_text=True)
    resp = auth.post("/accounts/units", {"code": "service", "name_ru": "Сервисный центр", "name_en": "Service centre",
                                         "parent_id": 0})
    assert resp.status_code == 302
    assert "Service centre" in auth.get("/accounts/units").get_data(as_text=True)
    with app.app_context():
        service = db.session.scalar(select(Unit).where(Unit.code == "service"))
        assert service.in_distribution is False
    resp = auth.post(f"/accounts/units/{service.id}", {"code": "service", "name_ru": "Сервис", "name_en": "Service",
                                                       "parent_id": service.id})
    assert resp.status_code == 422
    ids = key_account(app, manager.id)
    login_as(auth, manager)
    form = auth.get(f"/accounts/requests/new?company_id={ids['company_id']}").get_data(as_text=True)
    assert "Service centre" in form and "Irina Petrova" in form
    login_as(auth, manager)
    assert auth.get("/accounts/units").status_code == 403


def test_the_pages_speak_russian(app, auth, make_user):
    manager = make_user("staff", "accounts")
    key_account(app, manager.id)
    login_as(auth, manager)
    auth.post("/language", {"lang": "ru", "next": "/accounts/"})
    assert "Ключевые клиенты" in auth.get("/accounts/").get_data(as_text=True)
    assert "Зарегистрировать и передать" in auth.get("/accounts/requests/new").get_data(as_text=True)
    assert "Первый ответ, 90%" in auth.get("/accounts/figures").get_data(as_text=True)
