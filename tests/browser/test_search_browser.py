"""The search box in a real browser: a company's name typed in capitals with a typo is found and opened."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.companies_support import make_company
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_a_name_in_capitals_with_a_typo_is_found_and_opened(app, new_page, make_user):
    me = make_user("staff", "crm", name="Анна Белова")
    make_company(app, legal_name="Ромашка", inn=None)
    cid = make_company(app, legal_name="Василёк", city="Тверь", inn=None)

    page = new_page()
    sign_in(page, me.email, PASSWORD)
    page.fill("#global-search", "ВАСИЛАК")
    hit = page.locator("#search-results a.hit-link").first
    expect(hit).to_contain_text("Василёк")
    expect(page.locator("#search-results a.hit-link")).to_have_count(1)
    hit.click()
    page.wait_for_url(f"**/crm/companies/{cid}")
    expect(page.locator("h1")).to_have_text("ООО Василёк")
