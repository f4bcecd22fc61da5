"""The client-base journey in a real browser: find by phone, add a contact, log a call, edit, history, conflict."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.companies_support import make_company
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_find_by_phone_add_contact_log_call_edit_and_meet_a_conflict(app, new_page, make_user):
    me = make_user("staff", "crm", name="Анна Белова")
    colleague = make_user("staff", "crm", name="Игорь Крылов")
    cid = make_company(app, legal_name="Ромашка", phone="+7 495 123 45 67")

    page = new_page()
    sign_in(page, me.email, PASSWORD)
    page.fill("#global-search", "8 (495) 123-45-67")
    hit = page.locator("#search-results a.hit-link").first
    expect(hit).to_contain_text("Ромашка")
    expect(hit.locator("mark").last).to_have_text("+7 495 123-45-67")
    hit.click()
    expect(page.locator("h1")).to_have_text("ООО Ромашка")

    # A colleague opens the full edit form now, before my changes.
    other = new_page()
    sign_in(other, colleague.email, PASSWORD)
    other.goto(f"/crm/companies/{cid}/edit")

    page.get_by_role("link", name="Add contact").click()
    page.fill("#name", "Смирнова Ольга")
    page.fill("#position", "Закупки")
    page.fill("#phones-0", "8 916 123 45 67")
    page.get_by_role("button", name="Save", exact=True).last.click()
    expect(page.locator("h1")).to_have_text("Смирнова Ольга")
    expect(page.get_by_text("+7 916 123-45-67")).to_be_visible()
    page.get_by_role("link", name="ООО Ромашка").click()

    form = page.locator("#activity-form")
    form.locator("select[name=kind]").select_option("call")
    form.locator("select[name=contact_id]").select_option(label="Смирнова Ольга")
    form.locator("input[name=subject]").fill("Обсудили поставку насосов")
    form.get_by_role("button", name="Log it").click()
    expect(page.locator("#timeline")).to_contain_text("Обсудили поставку насосов")
    expect(page.locator("#activity-form")).to_contain_text("It is on the timeline")

    page.get_by_role("button", name="Edit: City").click()
    page.locator("#company-field-city input[name=city]").fill("Казань")
    page.locator("#company-field-city").get_by_role("button", name="Save").click()
    expect(page.locator("#company-field-city .v")).to_have_text("Казань")

    page.get_by_role("link", name="History").click()
    row = page.locator("table.history tr", has_text="city")
    expect(row).to_contain_text("Москва")
    expect(row).to_contain_text("Казань")
    expect(row).to_contain_text("Анна Белова")

    # The colleague changed the same field on the older copy: a clash, marked at the field, nothing saved.
    other.fill("#city", "Самара")
    other.fill("#industry", "Насосы")
    other.get_by_role("button", name="Save").click()
    expect(other.locator(".conflict")).to_contain_text("someone else changed the same fields")
    expect(other.locator(".conflict")).to_contain_text("Казань")
    expect(other.locator("#field-city .error")).to_contain_text("«Казань»")
    expect(other.locator("#city")).to_have_value("Самара")
    expect(other.locator("#industry")).to_have_value("Насосы")
    assert re.search(r"/crm/companies/\d+/edit", other.url)
    # Saving again keeps the colleague's decision on the city.
    other.get_by_role("button", name="Save").click()
    other.wait_for_url(re.compile(r"/crm/companies/\d+$"))
