"""While a new company or contact is typed, the likely existing records show up; saving a twin needs care."""
import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Company, Contact, Email
from app.services import matching
from tests.duplicates_support import add_company


@pytest.fixture(autouse=True)
def _fresh_index():
    matching.forget_index()
    yield
    matching.forget_index()


def test_a_transliterated_name_with_another_legal_form_is_recognised(app):
    with app.app_context():
        existing = add_company("Ромашка")
        add_company("Вектор")
        hits = matching.likely_duplicates(db.session, "company", {"legal_name": "Romashka", "legal_form": "LLC"})
        assert [h.record.id for h in hits] == [existing]
        assert "name 100% similar" in hits[0].reasons


def test_a_record_saved_after_the_index_was_built_is_found_at_once(app):
    with app.app_context():
        add_company("Вектор")
        assert matching.likely_duplicates(db.session, "company", {"legal_name": "Гранит"}) == []
        newer = add_company("Гранит")
        hits = matching.likely_duplicates(db.session, "company", {"legal_name": "Granit", "legal_form": "ООО"})
        assert [h.record.id for h in hits] == [newer]


def test_an_identical_inn_is_refused_even_when_confirmed(app):
    with app.app_context():
        existing = add_company("Альфа", inn="7707083893")
        with pytest.raises(matching.DuplicateError) as err:
            matching.ensure_not_duplicate(db.session, "company", {"legal_name": "Совсем другая", "inn": "7707 083 893"},
                                       confirmed_different=True)
        assert err.value.refused and err.value.existing_id == existing
        assert "already exists" in str(err.value)


def test_a_likely_duplicate_needs_an_explicit_different_client(app):
    with app.app_context():
        add_company("Ромашка", phone="+74951234567")
        fields = {"legal_name": "Romashka", "legal_form": "LLC", "phone": "8 (495) 123-45-67"}
        with pytest.raises(matching.DuplicateError) as err:
            matching.ensure_not_duplicate(db.session, "company", fields, confirmed_different=False)
        assert not err.value.refused
        matching.ensure_not_duplicate(db.session, "company", fields, confirmed_different=True)
        created = matching.create_checked(db.session, "company", fields, confirmed_different=True)
        assert created.legal_name == "Romashka"
        assert matching.scan(db.session, "company") == []  # the confirmed pair is not proposed again


def test_contacts_with_the_same_email_are_flagged(app):
    with app.app_context():
        company = add_company("Ромашка")
        k = Contact(name="Иван Петров", company_id=company)
        db.session.add(k)
        db.session.flush()
        db.session.add(Email(contact_id=k.id, company_id=company, address="petrov@romashka.ru"))
        db.session.commit()
        hits = matching.likely_duplicates(db.session, "contact", {"name": "Ivan Petrov", "email": "Petrov@Romashka.ru"})
        assert [h.record.name for h in hits] == ["Иван Петров"]


def test_the_check_endpoint_renders_the_likely_records(app, auth, make_user):
    with app.app_context():
        existing = add_company("Ромашка", inn="7707083893")
    auth.login(make_user("staff", "sales"))
    html = auth.get("/data/duplicates/check/company?legal_name=Romashka&legal_form=LLC", htmx=True).get_data(as_text=True)
    assert 'id="likely-duplicates"' in html and "Ромашка" in html and f"#{existing}" in html
    html = auth.get("/data/duplicates/check/company?legal_name=Zzz&inn=7707083893", htmx=True).get_data(as_text=True)
    assert "same INN: cannot be saved again" in html
    html = auth.get("/data/duplicates/check/company?legal_name=Совсем+новое", htmx=True).get_data(as_text=True)
    assert "may already be in the base" not in html


def test_the_quick_add_form_refuses_a_twin_until_confirmed(app, auth, make_user):
    with app.app_context():
        add_company("Ромашка")
    auth.login(make_user("staff", "crm"))
    resp = auth.post("/data/duplicates/new/company", {"legal_name": "Romashka", "legal_form": "LLC"})
    assert resp.status_code == 422 and "confirm that this is a different client" in resp.get_data(as_text=True)
    resp = auth.post("/data/duplicates/new/company", {"legal_name": "Romashka", "legal_form": "LLC",
                                                       "confirmed_different": "1"})
    assert resp.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.count(Company.id))) == 2


def test_a_large_base_still_being_indexed_is_checked_by_exact_keys(app, monkeypatch):
    import threading

    monkeypatch.setattr(matching, "SYNC_BUILD_LIMIT", 0)
    with app.app_context():
        existing = add_company("Ромашка", phone="+74951234567")
        hits = matching.likely_duplicates(db.session, "company", {"legal_name": "Romashka", "phone": "84951234567"})
        assert [h.record.id for h in hits] == [existing] and "same phone" in hits[0].reasons
    for thread in threading.enumerate():
        if thread.name.startswith("dedup-index-"):
            thread.join(timeout=30)
    assert len(matching._CACHE) == 1  # the background build finished and serves the next check
