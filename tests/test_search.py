"""Search: phones in any format, emails, INN and city, kept current as records change, shown highlighted."""
from app.extensions import db
from app.services import companies
from tests.companies_support import VALID_INN, make_company, make_contact


def test_a_phone_typed_in_another_format_finds_the_company(app, auth, make_user):
    cid = make_company(app, phone="+7 495 123 45 67")
    auth.login(make_user("staff", "sales"))
    html = auth.get("/crm/search", query_string={"q": "8 (495) 123-45-67"}, htmx=True).get_data(as_text=True)
    assert f'href="/crm/companies/{cid}"' in html
    assert "<mark>+7 495 123-45-67</mark>" in html
    tail = auth.get("/crm/search", query_string={"q": "3-45-67"}, htmx=True).get_data(as_text=True)
    assert "+7 495 12<mark>3-45-67</mark>" in tail


def test_email_inn_and_city_hits_show_the_matching_value(app, auth, make_user):
    cid = make_company(app, city="Новосибирск")
    make_contact(app, cid, "Лебедева Анна", emails=["a.lebedeva@romashka.ru"])
    auth.login(make_user("staff", "sales"))
    html = auth.get("/crm/search", query_string={"q": "a.lebedeva@"}, htmx=True).get_data(as_text=True)
    assert "Лебедева Анна" in html and "<mark>a.lebedeva@</mark>romashka.ru" in html
    html = auth.get("/crm/search", query_string={"q": VALID_INN}, htmx=True).get_data(as_text=True)
    assert f"<mark>{VALID_INN}</mark>" in html
    html = auth.get("/crm/search", query_string={"q": "новосиб"}, htmx=True).get_data(as_text=True)
    assert "<mark>Новосиб</mark>ирск" in html


def test_the_index_follows_edits_and_deletes(app, auth, make_user):
    cid = make_company(app, legal_name="Вектор")
    auth.login(make_user("head", "crm"))
    assert "Вектор" in auth.get("/crm/search?q=вектор", htmx=True).get_data(as_text=True)
    with app.app_context():
        companies.update_company(db.session, cid, {"legal_name": "Меридиан"}, version=1)
        db.session.commit()
    assert "Nothing found" in auth.get("/crm/search?q=вектор", htmx=True).get_data(as_text=True)
    assert "<mark>Мерид</mark>иан" in auth.get("/crm/search?q=мерид", htmx=True).get_data(as_text=True)
    auth.post(f"/crm/companies/{cid}/delete")
    assert "Nothing found" in auth.get("/crm/search?q=мерид", htmx=True).get_data(as_text=True)


def test_a_new_contact_phone_is_searchable_at_once(app, auth, make_user):
    cid = make_company(app)
    kid = make_contact(app, cid, "Зайцев Павел", phones=["+79035556677"])
    auth.login(make_user("staff", "sales"))
    html = auth.get("/crm/search", query_string={"q": "8-903-555-66-77"}, htmx=True).get_data(as_text=True)
    assert f'href="/crm/contacts/{kid}"' in html and "Зайцев Павел" in html
