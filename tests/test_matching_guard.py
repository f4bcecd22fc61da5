"""Creating a company in the real form: an identical INN is refused, a likely twin needs a confirmation."""
from sqlalchemy import func, select

from app.demo import make_inn
from app.extensions import db
from app.models import Company


def _form(**over):
    data = {"legal_name": "", "legal_form": "", "inn": "", "country": "RU", "client_type_id": "", "status": "prospect",
            "industry": "", "region": "", "city": "", "account_manager_id": "", "source": "", "external_id": "",
            "website": "", "notes": "", "tags": "", "version": ""}
    data.update(over)
    return data


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Company.id)))


def test_identical_inn_is_refused_with_a_link_and_a_twin_needs_confirmation(app, auth, make_user):
    import random

    inn = make_inn(random.Random(3))
    auth.login(make_user("staff", "crm"))
    assert auth.post("/crm/companies/new", _form(legal_name="Ромашка", legal_form="ООО", inn=inn,
                                                 city="Москва")).status_code == 302
    resp = auth.post("/crm/companies/new", _form(legal_name="Romashka", legal_form="LLC", inn=inn))
    body = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "same INN" in body and "This is a different client" not in body
    assert _count(app) == 1

    hint = auth.get("/data/duplicates/check/company", query_string={"legal_name": "Romashka", "legal_form": "LLC"},
                    htmx=True).get_data(as_text=True)
    assert "Ромашка" in hint

    resp = auth.post("/crm/companies/new", _form(legal_name="Romashka", legal_form="LLC", city="Москва"))
    assert resp.status_code == 422 and "different client" in resp.get_data(as_text=True)
    assert _count(app) == 1
    resp = auth.post("/crm/companies/new", _form(legal_name="Romashka", legal_form="LLC", city="Москва",
                                                 confirmed_different="y"))
    assert resp.status_code == 302 and _count(app) == 2
