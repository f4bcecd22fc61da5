"""Contacts: several phones and emails, validation next to each row, do-not-contact, stale saves, the list."""
from sqlalchemy import func, select

from app.extensions import db
from app.models.contact_points import Phone
from app.models.contacts import Contact
from tests.companies_support import make_company, make_contact


def _contact_form(**overrides):
    data = {"name": "Петрова Анна", "position": "Закупки", "company_id": "", "phones-0": "", "emails-0": "",
            "do_not_contact_reason": "", "do_not_contact_at": "", "notes": ""}
    data.update(overrides)
    return data


def test_a_contact_with_two_phones_and_an_email_is_saved_normalised(app, auth, make_user):
    cid = make_company(app)
    auth.login(make_user("staff", "crm"))
    resp = auth.post("/crm/contacts/new", _contact_form(**{"company_id": str(cid), "phones-0": "8 (916) 123-45-67",
                                                           "phones-1": "+7 495 765 43 21",
                                                           "emails-0": "Anna.Petrova@Romashka.RU"}),
                     follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "+7 916 123-45-67" in html and "+7 495 765-43-21" in html and "anna.petrova@romashka.ru" in html
    with app.app_context():
        assert sorted(db.session.scalars(select(Phone.e164).where(Phone.contact_id.is_not(None)))) == \
            ["+74957654321", "+79161234567"]
    assert "Петрова Анна" in auth.get(f"/crm/companies/{cid}").get_data(as_text=True)


def test_bad_phone_email_long_name_or_future_date_saves_nothing(app, auth, make_user):
    auth.login(make_user("staff", "crm"))
    cases = [
        (_contact_form(**{"phones-0": "call me maybe"}), "not a phone number we can read"),
        (_contact_form(**{"emails-0": "anna@"}), "not a valid email address"),
        (_contact_form(name="Я" * 10_000), "at most 200 characters"),
        (_contact_form(do_not_contact="y", do_not_contact_reason="просил", do_not_contact_at="2099-01-01"),
         "in the future"),
        (_contact_form(do_not_contact="y"), "Say why"),
    ]
    for data, message in cases:
        resp = auth.post("/crm/contacts/new", data)
        html = resp.get_data(as_text=True)
        assert resp.status_code == 422, message
        assert message in html, message
        assert "has-error" in html
    with app.app_context():
        assert db.session.scalar(select(func.count(Contact.id))) == 0


def test_rows_are_added_and_removed_without_saving(app, auth, make_user):
    auth.login(make_user("staff", "crm"))
    html = auth.post("/crm/contacts/new", _contact_form(**{"phones-0": "+79161234567", "row_action": "add-phones"})
                     ).get_data(as_text=True)
    assert 'name="phones-1"' in html and 'value="+79161234567"' in html
    html = auth.post("/crm/contacts/new", _contact_form(**{"phones-0": "+79161234567", "phones-1": "+74951234567",
                                                           "row_action": "remove-phones-0"})).get_data(as_text=True)
    assert 'value="+74951234567"' in html and "+79161234567" not in html
    with app.app_context():
        assert db.session.scalar(select(func.count(Contact.id))) == 0


def test_do_not_contact_is_shown_with_date_and_reason(app, auth, make_user):
    cid = make_company(app)
    kid = make_contact(app, cid)
    auth.login(make_user("staff", "crm"))
    resp = auth.post(f"/crm/contacts/{kid}/edit", _contact_form(name="Иванов Иван", company_id=str(cid), version="1",
                                                                do_not_contact="y", do_not_contact_at="2026-01-15",
                                                                do_not_contact_reason="просил не звонить"),
                     follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert "do not contact" in html and "просил не звонить" in html and "2026" in html


def test_a_stale_contact_save_is_refused(app, auth, make_user):
    cid = make_company(app)
    kid = make_contact(app, cid)
    auth.login(make_user("staff", "crm"))
    assert auth.post(f"/crm/contacts/{kid}/edit", _contact_form(name="Иванов Иван", position="Директор",
                                                                company_id=str(cid), version="1")).status_code == 302
    resp = auth.post(f"/crm/contacts/{kid}/edit", _contact_form(name="Иванов И.", position="Инженер",
                                                                company_id=str(cid), version="1"))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 409
    assert "Директор" in html and 'value="Инженер"' in html
    with app.app_context():
        assert db.session.get(Contact, kid).position == "Директор"


def test_the_contacts_list_searches_by_phone_and_filters_do_not_contact(app, auth, make_user):
    cid = make_company(app)
    make_contact(app, cid, "Сидоров Пётр", phones=["+79161112233"])
    make_contact(app, cid, "Орлова Мария", phones=["+79164445566"])
    auth.login(make_user("staff", "sales"))
    html = auth.get("/crm/contacts?q=8 916 111-22-33", htmx=True).get_data(as_text=True)
    assert "Сидоров" in html and "Орлова" not in html
    html = auth.get("/crm/contacts?q=орлова", htmx=True).get_data(as_text=True)
    assert "Орлова" in html and "Сидоров" not in html
    assert "Сидоров" not in auth.get("/crm/contacts?dnc=yes", htmx=True).get_data(as_text=True)
