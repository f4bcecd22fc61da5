"""Bad values never break a page: ids beyond the columns, digits that are not ASCII, dates at the ends of the
calendar, huge ranges and bodies, forms with rows or fields missing, an import's pages after it ran and a zip that
is not a workbook. Each answers a clear message (422 next to the field, or 404, or 413) and saves nothing."""
from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models.companies import Company
from app.models.contact_points import Email, Phone
from app.models.contacts import Contact
from app.models.deals import Deal
from app.models.imports import ImportRun
from app.models.org import User
from app.services import contact_points, numbers
from tests.companies_support import company_form, make_company, make_contact

HUGE = [str(2**31), str(2**63 + 1), str(2**64), "9" * 30]


@pytest.fixture(autouse=True)
def _no_uploads_left_behind(app):
    """Uploads these tests leave waiting (an import never run) are removed, as the daily clean-up would."""
    folder = Path(app.config["UPLOAD_DIR"]) / "imports"
    before = set(folder.iterdir()) if folder.exists() else set()
    yield
    for path in (set(folder.iterdir()) if folder.exists() else set()) - before:
        path.unlink(missing_ok=True)


def _russian(app, user) -> None:
    with app.app_context():
        db.session.get(User, user.id).locale = "ru"
        db.session.commit()


def _admin(auth, make_user):
    admin = make_user("admin", "distribution")
    auth.login(admin)
    return admin


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


# ---------------------------------------------------------------- ids

def test_every_route_answers_404_for_an_id_beyond_the_columns(app, auth, make_user):
    _admin(auth, make_user)
    checked = 0
    for rule in app.url_map.iter_rules():
        if "<int" not in rule.rule:
            continue
        for huge in (str(2**31), str(2**63 + 1), "²", "٣"):
            url = re.sub(r"<int(?:\([^)]*\))?:\w+>", huge, rule.rule)
            url = re.sub(r"<(?:\w+:)?\w+>", "x", url)
            for method in rule.methods & {"GET", "POST"}:
                resp = auth.get(url) if method == "GET" else auth.post(url, {})
                assert resp.status_code in (404, 405), f"{method} {url} answered {resp.status_code}"
                checked += 1
    assert checked > 100


def test_the_plan_year_is_a_year_the_portal_can_plan(auth, make_user):
    _admin(auth, make_user)
    assert auth.get("/promotion/plan/99999").status_code == 404
    assert auth.post("/promotion/plan/1999/copy").status_code == 404
    assert auth.get("/promotion/campaigns/new?year=99999").status_code == 200


def test_list_filters_with_ids_that_are_no_records_show_the_list(app, auth, make_user):
    make_company(app)
    _admin(auth, make_user)
    for value in HUGE + ["²", "-1", "1e3"]:
        for query in ("client_type", "manager", "tag", "page"):
            assert auth.get(f"/crm/companies?{query}={value}").status_code == 200, (query, value)
        assert auth.get(f"/crm/contacts?company={value}&page={value}").status_code == 200, value


QUERIES = ["/data/duplicates/compare?kind=company&ids={v},{v}", "/data/duplicates?page={v}", "/data/verify?page={v}",
           "/accounts/inbox?unit={v}", "/sales/plans?seller={v}", "/sales/plans/history?seller={v}&weeks={v}",
           "/sales/custody?days={v}&seller={v}", "/sales/materials/effective?min_closed={v}",
           "/accounts/key-accounts?manager={v}", "/accounts/requests/new?company_id={v}",
           "/crm/contacts/new?company_id={v}", "/data/duplicates/check/contact?company_id={v}&name=x",
           "/promotion/campaigns/new?year={v}", "/data/import/1/mapping?use={v}"]


def test_query_parameters_beyond_the_columns_never_answer_500(auth, make_user):
    _admin(auth, make_user)
    for path in QUERIES:
        for value in (str(2**63 + 1), "²", "-1"):
            assert auth.get(path.format(v=value)).status_code in (200, 404), path.format(v=value)


@pytest.mark.parametrize("value", HUGE + ["²"])
def test_a_contact_form_with_a_company_id_beyond_the_columns_is_refused(app, auth, make_user, value):
    _admin(auth, make_user)
    resp = auth.post("/crm/contacts/new", {"name": "Пётр", "company_id": value, "phones-0": "", "emails-0": ""})
    assert resp.status_code == 422
    assert _count(app, Contact) == 0


def test_an_id_typed_in_digits_that_are_not_ascii_is_no_id():
    assert "²".isdigit() and numbers.id_or_none("²") is None
    assert numbers.id_or_none("٣") is None and numbers.id_or_none(str(2**31)) is None
    assert numbers.id_or_none(" 42 ") == 42 and numbers.ids(["1", "²", "x", str(2**64), "7"]) == [1, 7]


# ---------------------------------------------------------------- dates and ranges

@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1899-12-31", "2101-01-01"])
def test_a_deal_closing_at_the_ends_of_the_calendar_is_refused_next_to_the_field(app, auth, make_user, day):
    cid = make_company(app)
    _admin(auth, make_user)
    resp = auth.post(f"/crm/companies/{cid}/deals/new", {"title": "Сделка", "stage": "new", "owner_id": "",
                                                         "contact_id": "", "expected_close": day})
    assert resp.status_code == 422 and "Give a date between 1900-01-01 and 2100-12-31" in resp.get_data(as_text=True)
    assert _count(app, Deal) == 0


@pytest.mark.parametrize("when", ["0001-01-01T00:00", "9999-12-31T23:59"])
def test_an_activity_at_the_ends_of_the_calendar_is_refused(app, auth, make_user, when):
    cid = make_company(app)
    _admin(auth, make_user)
    resp = auth.post(f"/crm/companies/{cid}/activities", {"kind": "call", "occurred_at": when, "subject": "x"})
    assert resp.status_code == 422


@pytest.mark.parametrize("path", [
    "/promotion/analysis?start=0002-01-01&end=9999-12-31", "/promotion/analysis?start=0001-01-01",
    "/sales/revenue?start=0002-01-01&end=9999-12-31", "/sales/revenue.xlsx?start=0001-01-01&end=9999-12-31",
    "/sales/plans?week=9999-12-31", "/sales/plans?week=9999-W52", "/sales/plans/team?week=0001-01-01",
    "/sales/plans/history?weeks=100000000000000000000", "/sales/custody?days=100000000000000000000"])
def test_dates_and_ranges_in_queries_are_bounded(auth, make_user, path):
    _admin(auth, make_user)
    assert auth.get(path).status_code == 200


def test_an_analysis_range_is_at_most_ten_years_long():
    from datetime import date

    start, end = numbers.bounded_range(date(1900, 1, 1), date(2100, 1, 1))
    assert end == date(2100, 1, 1) and (end - start).days == numbers.MAX_RANGE_DAYS
    assert numbers.bounded_range(date(2026, 3, 1), date(2026, 1, 1)) == (date(2026, 1, 1), date(2026, 3, 1))
    assert numbers.date_or_none("9999-12-31") is None and numbers.date_or_none("2026-02-30") is None


def test_a_segment_with_dates_that_are_not_dates_is_refused_and_not_saved(app, auth, make_user):
    from app.models.address_lists import Segment

    _admin(auth, make_user)
    for after in ("É", "9999-12-31", "2026-13-01"):
        resp = auth.post("/promotion/segments/new", {"name": "Сегмент", "active_after": after})
        assert resp.status_code == 422, after
    assert auth.post("/promotion/segments/count", {"active_after": "É"}).status_code == 200
    assert _count(app, Segment) == 0
    assert auth.post("/promotion/segments/new", {"name": "Сегмент", "active_after": "2026-01-01"}).status_code == 302


# ---------------------------------------------------------------- request size

def test_a_body_above_the_global_limit_is_refused_in_russian_before_it_is_read(app, auth, make_user):
    admin = make_user("admin", "distribution")
    _russian(app, admin)
    auth.login(admin)
    big = io.BytesIO(b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1))
    resp = auth.post("/crm/companies/new", {**company_form(), "notes": "", "file": (big, "big.bin")},
                     content_type="multipart/form-data")
    assert resp.status_code == 413
    assert "Слишком большой запрос: за один раз можно отправить не больше 25 МБ" in resp.get_data(as_text=True)
    assert _count(app, Company) == 0


def test_an_attachment_above_the_limit_is_refused_before_it_is_stored(app, auth, make_user):
    _admin(auth, make_user)
    big = io.BytesIO(b"%PDF" + b"0" * (app.config["MAX_CONTENT_LENGTH"] + 10))
    resp = auth.post("/accounts/requests/new", {"subject": "Чертёж", "files": (big, "drawing.pdf")},
                     content_type="multipart/form-data")
    assert resp.status_code == 413
    assert not (Path(app.config["UPLOAD_DIR"]) / "requests").exists() or not any(
        (Path(app.config["UPLOAD_DIR"]) / "requests").rglob("*.pdf"))


def test_an_import_may_be_larger_than_the_global_limit_up_to_its_own(app, auth, make_user):
    _admin(auth, make_user)
    rows = "Наименование;ИНН\r\n" + "Ромашка;7707083893\r\n" * ((app.config["MAX_CONTENT_LENGTH"] // 20) + 10)
    data = rows.encode("utf-8")
    assert app.config["MAX_CONTENT_LENGTH"] < len(data) < app.config["IMPORT_MAX_BYTES"]
    resp = auth.post("/data/import", {"kind": "company", "file": (io.BytesIO(data), "big.csv")},
                     content_type="multipart/form-data")
    assert resp.status_code == 303


# ---------------------------------------------------------------- forms with parts missing or forged

def _contact(app):
    cid = make_company(app)
    return cid, make_contact(app, cid, phones=["+7 495 123-45-67"], emails=["ivan@romashka.ru"])


def test_a_contact_edit_without_its_phone_and_email_rows_is_refused_and_keeps_them(app, auth, make_user):
    cid, kid = _contact(app)
    _admin(auth, make_user)
    resp = auth.post(f"/crm/contacts/{kid}/edit", {"name": "Иванов Иван", "company_id": str(cid), "version": "1"})
    assert resp.status_code == 422 and "phone and email rows are missing" in resp.get_data(as_text=True)
    resp = auth.post(f"/crm/contacts/{kid}/edit", {"name": "Иванов Иван", "company_id": str(cid), "version": "1",
                                                   "phones-0": "+7 495 123-45-67"})
    assert resp.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count(Phone.id))) == 1
        assert db.session.scalar(select(func.count(Email.id))) == 1


@pytest.mark.parametrize("action", ["remove-x", "remove-phones-²", "remove-name-0", "remove-phones-1-2",
                                    "add-version", "remove-phones-99999999999999999999", "x"])
def test_a_forged_row_button_is_refused_and_saves_nothing(app, auth, make_user, action):
    cid, kid = _contact(app)
    _admin(auth, make_user)
    resp = auth.post(f"/crm/contacts/{kid}/edit", {"name": "Другое имя", "company_id": str(cid), "version": "1",
                                                   "phones-0": "", "emails-0": "", "row_action": action})
    assert resp.status_code == 422 and "This button is not on the form" in resp.get_data(as_text=True)
    resp = auth.post("/crm/contacts/new", {"name": "Новый", "phones-0": "", "emails-0": "", "row_action": action})
    assert resp.status_code == 422
    with app.app_context():
        assert db.session.get(Contact, kid).name == "Иванов Иван" and db.session.scalar(
            select(func.count(Contact.id))) == 1


def test_the_real_row_buttons_still_add_and_remove_rows(app, auth, make_user):
    cid, kid = _contact(app)
    _admin(auth, make_user)
    page = auth.post(f"/crm/contacts/{kid}/edit", {"name": "Иванов Иван", "phones-0": "+7 495 123-45-67",
                                                   "emails-0": "", "row_action": "add-phones"})
    assert page.status_code == 200 and 'name="phones-1"' in page.get_data(as_text=True)
    page = auth.post(f"/crm/contacts/{kid}/edit", {"name": "Иванов Иван", "phones-0": "+7 495 123-45-67",
                                                   "phones-1": "", "emails-0": "", "row_action": "remove-phones-0"})
    assert page.status_code == 200 and 'name="phones-1"' not in page.get_data(as_text=True)


def test_a_company_edit_without_its_tags_field_is_refused_and_keeps_the_tags(app, auth, make_user):
    from app.services import companies

    cid = make_company(app)
    with app.app_context():
        companies.set_tags(db.session, db.session.get(Company, cid), ["VIP"])
        db.session.commit()
    _admin(auth, make_user)
    form = company_form(legal_name="Ромашка-2", version="1")
    del form["tags"]
    resp = auth.post(f"/crm/companies/{cid}/edit", form)
    assert resp.status_code == 422 and "tags field is missing" in resp.get_data(as_text=True)
    with app.app_context():
        company = db.session.get(Company, cid)
        assert company.legal_name == "Ромашка" and [t.name for t in company.tags] == ["VIP"]


@pytest.mark.parametrize("key", ["b-1", "b-x-1", "b-13-{ch}", "b-0-{ch}", "b-1-999999", "b-1-²",
                                 "b-1-" + "9" * 30, "b-1-{ch}-2"])
def test_a_budget_grid_cell_that_is_not_on_the_grid_is_refused_and_nothing_is_saved(app, auth, make_user, key):
    from app.models.campaigns import Channel
    from app.models.promotion_plan import PlanBudgetLine

    _admin(auth, make_user)
    with app.app_context():
        channel_id = db.session.scalar(select(Channel.id))
    resp = auth.post("/promotion/plan/2026/budget", {f"b-2-{channel_id}": "1000", key.format(ch=channel_id): "500"})
    assert resp.status_code == 422
    assert _count(app, PlanBudgetLine) == 0


# ---------------------------------------------------------------- imports

def _upload(auth, data: bytes, name: str):
    return auth.post("/data/import", {"kind": "company", "file": (io.BytesIO(data), name)},
                     content_type="multipart/form-data")


def test_a_zip_that_is_not_a_workbook_is_refused_with_a_message_and_nothing_is_kept(app, auth, make_user):
    _admin(auth, make_user)
    imports_dir = Path(app.config["UPLOAD_DIR"]) / "imports"
    before = set(imports_dir.iterdir()) if imports_dir.exists() else set()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("readme.txt", "not a workbook")
    for data in (buf.getvalue(), b"PK\x03\x04 broken"):
        resp = _upload(auth, data, "companies.xlsx")
        assert resp.status_code == 422
        assert "Excel workbook (.xlsx)" in resp.get_data(as_text=True)   # the reader says why, in words
    assert _count(app, ImportRun) == 0
    assert (set(imports_dir.iterdir()) if imports_dir.exists() else set()) == before


def test_an_imports_mapping_and_preview_pages_after_it_ran_say_so(app, auth, make_user):
    from app.services import imports

    _admin(auth, make_user)
    resp = _upload(auth, "Наименование;ИНН\r\nРомашка;7707083893\r\n".encode("utf-8"), "c.csv")
    assert resp.status_code == 303
    run_id = int(re.search(r"/import/(\d+)/mapping", resp.location)[1])
    assert auth.post(resp.location, {"col_0": "legal_name", "col_1": "inn", "on_duplicate": "skip"}).status_code == 303
    with app.app_context():
        imports.run_import(db.session, run_id)
    for url in (f"/data/import/{run_id}/mapping", f"/data/import/{run_id}/preview"):
        page = auth.get(url)
        assert page.status_code == 404 and "This import has already run" in page.get_data(as_text=True)
        assert auth.post(url, {"on_duplicate": "skip"}).status_code == 404
    assert auth.get(f"/data/import/{run_id}").status_code == 200
    assert _count(app, Company) == 1


def test_a_phone_row_that_is_checked_by_the_rule_still_saves(app, auth, make_user):
    cid, kid = _contact(app)
    _admin(auth, make_user)
    resp = auth.post(f"/crm/contacts/{kid}/edit", {"name": "Иванов Иван", "company_id": str(cid), "version": "1",
                                                   "phones-0": "+7 495 765-43-21", "emails-0": "ivan@romashka.ru"})
    assert resp.status_code == 302
    with app.app_context():
        assert [contact_points.format_phone(p.e164) for p in db.session.scalars(select(Phone))] == [
            contact_points.format_phone("+74957654321")]


@pytest.mark.parametrize("inn", ["77070838²3", "7707083８93", "٧707083893", "77070838931²"])
def test_an_inn_with_digits_that_are_not_ascii_is_refused_next_to_the_field(app, auth, make_user, inn):
    _admin(auth, make_user)
    resp = auth.post("/crm/companies/new", company_form(inn=inn))
    assert resp.status_code == 422
    assert _count(app, Company) == 0


def test_an_import_above_its_own_limit_is_refused_too(app, auth, make_user):
    _admin(auth, make_user)
    limit = app.config["IMPORT_MAX_BYTES"]
    app.config["IMPORT_MAX_BYTES"] = 1024
    try:
        resp = _upload(auth, b"x" * 4096, "big.csv")
    finally:
        app.config["IMPORT_MAX_BYTES"] = limit
    assert resp.status_code == 413 and "at most 1 kB" in resp.get_data(as_text=True)
    assert _count(app, ImportRun) == 0
