"""In a real browser: an admin starts a background job and watches its progress bar reach the end."""
import re

from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD


def test_admin_generates_demo_data_and_watches_progress(new_page, make_user):
    admin = make_user("admin", "distribution")
    page = new_page()
    sign_in(page, admin.email, PASSWORD)
    page.goto("/jobs/")
    page.fill("#demo-companies", "40")
    page.click("text=Generate demo data")
    bar = page.locator("#new-job .job-progress")
    expect(bar).to_be_visible()
    expect(bar).to_have_attribute("data-status", "finished", timeout=30_000)
    expect(bar).to_contain_text(re.compile(r"Done · \d+ companies"))
    page.goto("/crm/companies")
    expect(page.locator("#companies-table tbody tr").first).to_be_visible()


def test_sign_in_page_explains_a_wrong_password_in_russian(new_page, make_user):
    user = make_user()
    page = new_page(locale="ru-RU")
    page.goto("/login")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", "wrong-password")
    page.click("button[type=submit]")
    expect(page.locator(".error")).to_have_text("Неверная почта или пароль.")
