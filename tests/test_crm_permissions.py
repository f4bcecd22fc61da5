"""Who may write what: a company managed in another unit is out of reach for staff of a different unit."""
import pytest

from app.extensions import db
from app.models.companies import Company
from tests.companies_support import company_form, make_company, make_contact


@pytest.fixture
def foreign_company(app, make_user):
    """A company whose account manager sits in Account management."""
    manager = make_user("staff", "accounts")
    return make_company(app, manager_id=manager.id)


def test_staff_of_another_unit_cannot_edit_delete_or_restore(app, auth, make_user, foreign_company):
    cid = foreign_company
    kid = make_contact(app, cid)
    auth.login(make_user("staff", "sales"))
    assert auth.get(f"/crm/companies/{cid}").status_code == 200
    assert auth.post(f"/crm/companies/{cid}/edit", company_form(city="Казань", version="1")).status_code == 403
    assert auth.post(f"/crm/companies/{cid}/field/city", {"city": "Казань", "version": "1"}, htmx=True).status_code == 403
    assert auth.post(f"/crm/companies/{cid}/points/phone", {"value": "+74951234567"}, htmx=True).status_code == 403
    assert auth.post(f"/crm/contacts/{kid}/edit", {"name": "X", "version": "1"}).status_code == 403
    assert auth.post(f"/crm/companies/{cid}/delete").status_code == 403
    with app.app_context():
        company = db.session.get(Company, cid)
        assert company.city == "Москва" and company.deleted_at is None


def test_a_head_of_another_unit_cannot_delete_and_staff_cannot_restore(app, auth, make_user, foreign_company):
    cid = foreign_company
    auth.login(make_user("head", "sales"))
    assert auth.post(f"/crm/companies/{cid}/delete").status_code == 403
    auth.post("/logout")
    auth.login(make_user("head", "accounts"))
    assert auth.post(f"/crm/companies/{cid}/delete").status_code == 302
    auth.post("/logout")
    auth.login(make_user("staff", "accounts"))
    assert auth.post(f"/crm/companies/{cid}/restore").status_code == 403
    assert auth.get("/crm/companies/deleted").status_code == 403


def test_the_account_managers_unit_and_the_crm_section_may_edit(app, auth, make_user, foreign_company):
    cid = foreign_company
    auth.login(make_user("staff", "accounts"))
    assert auth.post(f"/crm/companies/{cid}/field/city", {"city": "Казань", "version": "1"}, htmx=True).status_code == 200
    auth.post("/logout")
    auth.login(make_user("staff", "crm"))
    assert auth.post(f"/crm/companies/{cid}/field/city", {"city": "Тверь", "version": "2"}, htmx=True).status_code == 200


def test_anyone_may_log_a_call_but_not_edit_someone_elses_company(app, auth, make_user, foreign_company):
    auth.login(make_user("staff", "sales"))
    resp = auth.post(f"/crm/companies/{foreign_company}/activities",
                     {"kind": "call", "occurred_at": "2026-01-10T10:30", "contact_id": "", "deal_id": "",
                      "subject": "Звонок"}, htmx=True)
    assert resp.status_code == 200


def test_a_contact_cannot_be_planted_into_another_units_client_through_the_url(app, auth, make_user, foreign_company):
    from sqlalchemy import func, select

    from app.models.contacts import Contact

    seller = make_user("staff", "sales")
    own = make_company(app, manager_id=seller.id)
    auth.login(seller)
    form = {"name": "Planted Person", "company_id": str(foreign_company), "phones-0": "", "emails-0": ""}
    assert auth.post(f"/crm/contacts/new?company_id={own}", form).status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count(Contact.id)).where(Contact.name == "Planted Person")) == 0
    form["company_id"] = str(own)
    assert auth.post(f"/crm/contacts/new?company_id={foreign_company}", form).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Contact.company_id).where(Contact.name == "Planted Person")) == own
