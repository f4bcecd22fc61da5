"""Real-browser journeys of the CRM section: the warning while typing, a scan with its progress,
a merge with chosen values and its undo, and a Russian Excel import with its report."""
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.models import Company
from app.services import matching
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD
from tests.duplicates_support import add_company

pytestmark = pytest.mark.browser


@pytest.fixture
def crm_page(new_page, make_user):
    matching.forget_index()
    user = make_user("staff", "crm")
    page = new_page()
    sign_in(page, user.email, PASSWORD)
    return page


def _company(app, name, form, **fields) -> int:
    with app.app_context():
        return add_company(name, form, **fields)


def test_typing_a_known_company_in_another_script_and_legal_form_shows_a_warning(app, crm_page):
    existing = _company(app, "Северный Альянс", "ООО")
    page = crm_page
    page.goto("/data/duplicates/new/company")
    page.fill("#legal_form", "LLC")
    page.locator("#legal_name").press_sequentially("Severnyy Alyans", delay=20)
    warning = page.locator("#likely-duplicates")
    expect(warning).to_contain_text("This may already be in the base")
    expect(warning).to_contain_text("Северный Альянс")
    expect(warning.locator(f"text=#{existing}")).to_be_visible()
    page.click("text=Save")
    expect(page.locator(".flash.error")).to_contain_text("confirm that this is a different client")


def test_a_scan_shows_its_progress_and_fills_the_queue(app, crm_page):
    _company(app, "Ромашка", "ООО", phone="+74951234567")
    _company(app, "Romashka", "LLC", phone="+74951234567")
    page = crm_page
    page.goto("/data/duplicates?kind=company")
    page.click("#start-scan")
    expect(page.locator("#scan-progress [role=progressbar]")).to_be_visible()
    expect(page.locator("#scan-progress .job-progress")).to_have_attribute("data-status", "finished", timeout=20_000)
    page.click("#scan-progress >> text=Open the result")
    group = page.locator(".dedup-group").first
    expect(group).to_contain_text("Ромашка")
    expect(group).to_contain_text("same phone")


def test_merge_a_group_choosing_values_then_undo_it(app, crm_page):
    a = _company(app, "Вектор", "ООО", city="Самара", phone="+78461234567")
    b = _company(app, "Vektor", "LLC", city="Samara", phone="+78467654321", website="vektor.ru")
    c = _company(app, "ВЕКТОР", "ООО", city="Самара")
    page = crm_page
    page.goto(f"/data/duplicates/compare?kind=company&ids={a},{b},{c}")
    page.check(f"input[name=survivor][value='{a}']")
    page.check(f"tr[data-field=website] input[value='{b}']")
    page.check(f"tr[data-field=legal_form] input[value='{b}']")
    page.click("#merge-button")
    expect(page.locator(".merge-card")).to_contain_text("were merged into")
    with app.app_context():
        survivor = db.session.get(Company, a)
        assert (survivor.website, survivor.legal_form, survivor.legal_name) == ("vektor.ru", "LLC", "Вектор")
        assert sorted(p.e164 for p in survivor.phones) == ["+78461234567", "+78467654321"]
    page.goto(f"/data/records/company/{b}")
    expect(page.locator("h1")).to_contain_text("Вектор")  # the old address leads to the survivor
    page.click("text=Details and undo")
    page.once("dialog", lambda d: d.accept())
    page.click("text=Undo merge")
    expect(page.locator(".merge-card")).to_contain_text("This merge was undone")
    with app.app_context():
        db.session.expire_all()
        assert db.session.get(Company, b).deleted_at is None and db.session.get(Company, c).deleted_at is None
        assert db.session.get(Company, a).website is None
        assert [p.e164 for p in db.session.get(Company, b).phones] == ["+78467654321"]


def test_import_a_windows_1251_semicolon_csv_with_a_bad_row_and_download_the_report(app, crm_page, tmp_path):
    csv_file = tmp_path / "clients.csv"
    csv_file.write_bytes(("Наименование;ИНН;Телефон;Город\r\n"
                          "Ромашка;7707083893;8 (495) 123-45-67;Москва\r\n"
                          "Гранит;12345;+7 843 000-00-00;Казань\r\n"
                          "Вектор;;;Самара\r\n").encode("cp1251"))
    page = crm_page
    page.goto("/data/import")
    page.select_option("#kind", "company")
    page.set_input_files("#file", str(csv_file))
    page.click("text=Upload")
    expect(page.locator("#file-info")).to_contain_text("Windows-1251")
    expect(page.get_by_role("combobox", name="Наименование", exact=True)).to_have_value("legal_name")
    page.click("#to-preview")
    expect(page.locator("#preview-row-3")).to_contain_text("The INN 12345 is not valid.")
    page.click("#run-import")
    expect(page.locator(".job-progress")).to_have_attribute("data-status", "finished", timeout=20_000)
    page.click("text=Open the result")
    expect(page.locator("#import-summary")).to_contain_text("2")
    with page.expect_download() as info:
        page.click("#download-report")
    report = Path(info.value.path()).read_text(encoding="utf-8")
    assert "3,failed,,The INN 12345 is not valid." in report
    with app.app_context():
        assert sorted(db.session.scalars(select(Company.legal_name))) == ["Вектор", "Ромашка"]


def test_the_review_queue_shows_the_band_and_reasons_in_russian(app, new_page, make_user):
    """A name-only pair is "possible", a pair sharing phone and address is "likely", both explained in Russian."""
    matching.forget_index()
    _company(app, "Кафе «Лето»", "ООО")
    _company(app, "Лето", "ООО")
    with app.app_context():
        from app.models.contact_points import Address

        ids = [_company(app, name, "ООО", phone="+74957654321") for name in ("Вектор", "Вектор Логистика")]
        for cid in ids:
            db.session.add(Address(company_id=cid, city="Москва", street="ул. Ленина, 5"))
        db.session.commit()
    user = make_user("staff", "crm")
    page = new_page(locale="ru-RU")
    sign_in(page, user.email, PASSWORD)
    page.goto("/data/duplicates?kind=company")
    page.click("#start-scan")
    expect(page.locator("#scan-progress .job-progress")).to_have_attribute("data-status", "finished", timeout=20_000)
    page.goto("/data/duplicates?kind=company")
    possible = page.locator(".dedup-group[data-band=possible]")
    expect(possible).to_contain_text("Лето")
    expect(possible).to_contain_text("возможный")
    expect(possible).to_contain_text("то же название, если не считать описательных слов или уточнения")
    likely = page.locator(".dedup-group[data-band=likely]")
    expect(likely).to_contain_text("Вектор Логистика")
    expect(likely).to_contain_text("вероятный")
    expect(likely).to_contain_text("тот же телефон и адрес")
