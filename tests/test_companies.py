"""Companies: creating with validation, editing, stale saves, click-to-edit, soft delete and restore, the list."""
from sqlalchemy import func, select

from app.extensions import db
from app.models.audit import AuditEntry
from app.models.companies import Company
from tests.companies_support import VALID_INN, company_form, make_company


def _count(app, model=Company):
    with app.app_context():
        return db.session.scalar(select(func.count(model.id)))


def test_a_person_creates_a_company_and_sees_its_page(app, auth, make_user):
    auth.login(make_user("staff", "crm"))
    resp = auth.post("/crm/companies/new", company_form(tags="key, export"), follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "ООО Ромашка" in html and VALID_INN in html
    assert "key" in html and "export" in html


def test_bad_input_is_shown_next_to_the_field_and_nothing_is_saved(app, auth, make_user):
    auth.login(make_user("staff", "crm"))
    cases = {
        "inn": (company_form(inn="7707083894"), "check digits"),
        "inn_length": (company_form(inn="12345"), "10 digits"),
        "legal_name": (company_form(legal_name="Я" * 10_000), "at most 300 characters"),
        "required": (company_form(legal_name=""), "required"),
    }
    for case, (data, message) in cases.items():
        resp = auth.post("/crm/companies/new", data)
        html = resp.get_data(as_text=True)
        assert resp.status_code == 422, case
        assert message in html, case
        assert 'class="field has-error"' in html, case
    assert _count(app) == 0


def test_a_foreign_tax_id_is_free_text(app, auth, make_user):
    auth.login(make_user("staff", "crm"))
    resp = auth.post("/crm/companies/new", company_form(inn="GB123456789", country="GB", legal_form="Ltd"))
    assert resp.status_code == 302
    assert _count(app) == 1


def test_editing_is_recorded_field_by_field_in_the_history(app, auth, make_user):
    user = make_user("staff", "crm")
    cid = make_company(app)
    auth.login(user)
    resp = auth.post(f"/crm/companies/{cid}/edit", company_form(city="Казань", version="1"))
    assert resp.status_code == 302
    html = auth.get(f"/crm/history/companies/{cid}").get_data(as_text=True)
    assert "city" in html and "Москва" in html and "Казань" in html
    assert user.name in html


def test_a_stale_save_is_refused_with_what_changed_and_keeps_the_input(app, auth, make_user):
    cid = make_company(app)
    auth.login(make_user("staff", "crm", name="Первый"))
    # Someone else saves first, from version 1.
    other = make_user("staff", "crm", name="Вторая")
    from app.services import companies
    from app.services.actor import acting_as

    with app.app_context(), acting_as(other.id):
        companies.update_company(db.session, cid, {"city": "Казань"}, version=1)
        db.session.commit()
    resp = auth.post(f"/crm/companies/{cid}/edit", company_form(city="Самара", industry="Насосы", version="1"))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 409
    assert "someone else changed this record" in html
    assert "Казань" in html and "Вторая" in html
    assert 'value="Самара"' in html and 'value="Насосы"' in html
    with app.app_context():
        company = db.session.get(Company, cid)
        assert company.city == "Казань" and company.industry is None


def test_sqlalchemys_own_version_check_also_becomes_a_conflict(app, make_user):
    from sqlalchemy import update

    from app.services import companies, errors

    cid = make_company(app)
    with app.app_context():
        company = db.session.get(Company, cid)
        assert company.version == 1
        # Another process saves the row behind this session's back.
        with db.engine.begin() as other:
            other.execute(update(Company.__table__).where(Company.id == cid).values(version=2, city="Казань"))
        try:
            companies.update_company(db.session, cid, {"city": "Самара"}, version=1)
        except errors.Conflict as exc:
            assert exc.current_version == 2
        else:
            raise AssertionError("the stale save went through")


def test_click_to_edit_saves_one_field_and_returns_the_fragment(app, auth, make_user):
    cid = make_company(app)
    auth.login(make_user("staff", "crm"))
    form = auth.get(f"/crm/companies/{cid}/field/city?edit=1", htmx=True).get_data(as_text=True)
    assert 'id="company-field-city"' in form and 'name="version" value="1"' in form
    resp = auth.post(f"/crm/companies/{cid}/field/city", {"city": "Тверь", "version": "1"}, htmx=True)
    assert resp.status_code == 200
    assert "Тверь" in resp.get_data(as_text=True)
    renamed = auth.post(f"/crm/companies/{cid}/field/legal_name", {"legal_name": "Лютик", "version": "2"}, htmx=True)
    assert 'id="company-title" hx-swap-oob="true">ООО Лютик' in renamed.get_data(as_text=True)
    stale = auth.post(f"/crm/companies/{cid}/field/city", {"city": "Омск", "version": "1"}, htmx=True)
    assert stale.status_code == 409
    assert "Тверь" in stale.get_data(as_text=True) and 'value="Омск"' in stale.get_data(as_text=True)


def test_inline_edit_refuses_a_bad_inn_next_to_the_field(app, auth, make_user):
    cid = make_company(app)
    auth.login(make_user("staff", "crm"))
    resp = auth.post(f"/crm/companies/{cid}/field/inn", {"inn": "1234567890", "version": "1"}, htmx=True)
    assert resp.status_code == 422
    assert "check digits" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Company, cid).inn == VALID_INN


def test_a_head_deletes_and_an_admin_restores_both_in_history(app, auth, make_user):
    cid = make_company(app)
    auth.login(make_user("head", "crm"))
    assert auth.post(f"/crm/companies/{cid}/delete").status_code == 302
    assert "Ромашка" not in auth.get("/crm/companies", htmx=True).get_data(as_text=True)
    assert auth.get(f"/crm/companies/{cid}").status_code == 404
    auth.post("/logout")
    auth.login(make_user("admin", "distribution"))
    assert "Ромашка" in auth.get("/crm/companies/deleted").get_data(as_text=True)
    assert auth.post(f"/crm/companies/{cid}/restore").status_code == 302
    assert "Ромашка" in auth.get("/crm/companies", htmx=True).get_data(as_text=True)
    with app.app_context():
        actions = set(db.session.scalars(select(AuditEntry.action).where(AuditEntry.entity_id == cid,
                                                                          AuditEntry.entity_type == "companies")))
    assert {"create", "soft_delete", "restore"} <= actions


def test_the_list_filters_sorts_and_keeps_filters_in_links(app, auth, make_user):
    make_company(app, legal_name="Альфа", city="Казань", status="client")
    make_company(app, legal_name="Бета", city="Москва", status="prospect")
    make_company(app, legal_name="Гамма", city="Казань", status="prospect")
    auth.login(make_user("staff", "sales"))
    html = auth.get("/crm/companies?city=Казань&status=prospect", htmx=True).get_data(as_text=True)
    assert 'id="companies-table"' in html and "<html" not in html
    assert "Гамма" in html and "Альфа" not in html and "Бета" not in html
    page = auth.get("/crm/companies?sort=created").get_data(as_text=True)
    assert page.index("Гамма") < page.index("Бета") < page.index("Альфа")
    assert "hx-push-url" in page


def test_tags_filter_the_list(app, auth, make_user):
    auth.login(make_user("staff", "crm"))
    auth.post("/crm/companies/new", company_form(legal_name="Тегнутая", tags="ключевой"))
    auth.post("/crm/companies/new", company_form(legal_name="Простая"))
    from app.models.companies import Tag

    with app.app_context():
        tag_id = db.session.scalar(select(Tag.id).where(Tag.name == "ключевой"))
    html = auth.get(f"/crm/companies?tag={tag_id}", htmx=True).get_data(as_text=True)
    assert "Тегнутая" in html and "Простая" not in html


def test_company_phones_are_stored_e164_shown_formatted_and_verified(app, auth, make_user):
    cid = make_company(app)
    user = make_user("staff", "crm")
    auth.login(user)
    resp = auth.post(f"/crm/companies/{cid}/points/phone", {"value": "8 (495) 123-45-67"}, htmx=True)
    assert "+7 495 123-45-67" in resp.get_data(as_text=True)
    bad = auth.post(f"/crm/companies/{cid}/points/phone", {"value": "12"}, htmx=True)
    assert bad.status_code == 422 and "not a phone number we can read" in bad.get_data(as_text=True)
    bad = auth.post(f"/crm/companies/{cid}/points/email", {"value": "not-an-email"}, htmx=True)
    assert bad.status_code == 422 and "not a valid email address" in bad.get_data(as_text=True)
    from app.models.contact_points import Phone

    with app.app_context():
        phones = db.session.scalars(select(Phone).where(Phone.company_id == cid)).all()
        assert [p.e164 for p in phones] == ["+74951234567"]
        phone_id = phones[0].id
    resp = auth.post(f"/crm/points/phone/{phone_id}/verify", htmx=True)
    assert f"by {user.name}" in resp.get_data(as_text=True)


def test_addresses_are_added_edited_and_removed(app, auth, make_user):
    cid = make_company(app)
    auth.login(make_user("staff", "crm"))
    resp = auth.post(f"/crm/companies/{cid}/points/address",
                     {"kind": "delivery", "postcode": "420000", "city": "Казань", "street": "ул. Баумана, 1",
                      "country": "RU"}, htmx=True)
    assert "ул. Баумана, 1" in resp.get_data(as_text=True)
    missing = auth.post(f"/crm/companies/{cid}/points/address", {"kind": "postal", "street": ""}, htmx=True)
    assert missing.status_code == 422 and "required" in missing.get_data(as_text=True)
    from app.models.contact_points import Address

    with app.app_context():
        address_id = db.session.scalar(select(Address.id).where(Address.company_id == cid))
    resp = auth.post(f"/crm/addresses/{address_id}", {"kind": "legal", "street": "ул. Кремлёвская, 2",
                                                      "city": "Казань", "country": "RU"}, htmx=True)
    assert "ул. Кремлёвская, 2" in resp.get_data(as_text=True)
    resp = auth.post(f"/crm/points/address/{address_id}/remove", htmx=True)
    assert "ул. Кремлёвская" not in resp.get_data(as_text=True)


def test_a_russian_reader_gets_the_message_in_russian(app, auth, make_user):
    auth.login(make_user("staff", "crm"))
    auth.post("/language", {"lang": "ru", "next": "/crm/companies"})
    resp = auth.post("/crm/companies/new", company_form(inn="7707083894"))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "Контрольные цифры ИНН не сходятся" in html and "Юридическое название" in html


def test_a_verification_cannot_be_dated_in_the_future(app, make_user):
    from datetime import datetime, timedelta, timezone

    import pytest

    from app.models.contact_points import Phone
    from app.services import contact_points, errors

    user = make_user("staff", "crm")
    cid = make_company(app, phone="+74951234567")
    with app.app_context():
        phone_id = db.session.scalar(select(Phone.id).where(Phone.company_id == cid))
        with pytest.raises(errors.FieldErrors) as exc:
            contact_points.verify_point(db.session, "phone", phone_id, user.id, datetime.now(timezone.utc) + timedelta(days=1))
        assert "in the future" in exc.value.errors["verified_at"]
        assert db.session.get(Phone, phone_id).verified_at is None


def test_on_sqlite_each_list_order_reads_its_page_from_its_partial_index_without_sorting(app):
    """SQLite without ANALYZE figures would take the deleted_at index and sort the whole base per page."""
    import pytest
    from sqlalchemy import event

    from app.services import companies, contacts

    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("the hint is SQLite's; PostgreSQL's own figures choose the index")
        for n in range(3):
            make_company(app, legal_name=f"Ромашка {n}", inn=None)
        sent = []
        grab = lambda conn, cur, statement, params, ctx, many: sent.append((statement, params))  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", grab)
        try:
            for sort in ("name", "city", "created"):
                assert len(companies.company_list(db.session, {}, sort=sort).items) == 3
            companies.company_list(db.session, {"tag": 1})
            assert len(contacts.contact_list(db.session, {}).items) >= 0
        finally:
            event.remove(db.engine, "before_cursor_execute", grab)
        # the page of ids: ordered and limited (the rows and their collections come by id, in no page order)
        pages = [(s, p) for s, p in sent if "ORDER BY" in s and "LIMIT" in s and "count(" not in s and " IN (" not in s]
        hinted = [s for s, _ in pages if "INDEXED BY" in s]
        assert len(hinted) == 4, pages   # three company orders and the contact list; the tag filter goes by id
        for statement, params in pages[:3]:
            plan = " ".join(str(r[-1]) for r in
                            db.session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params))
            assert "ix_companies_live_" in plan and "TEMP B-TREE" not in plan, plan
