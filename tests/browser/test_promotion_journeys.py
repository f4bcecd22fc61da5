"""Promotion in a real browser: a campaign in the year's plan, responses from the public form and the
top-bar picker counted in its figures, and an address list generated, downloaded and checked."""
import csv
import io
from datetime import date

import pytest

from app.extensions import db
from app.models import Address
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD
from tests.promotion_support import make_client

pytestmark = pytest.mark.browser


def test_campaign_in_the_plan_counts_a_web_response_and_a_staff_response(app, new_page, make_user):
    promo = make_user("staff", "promotion")
    page = new_page()
    sign_in(page, promo.email, PASSWORD)
    page.goto(f"/promotion/plan/{date.today().year}")
    page.click("#plan-new-campaign")
    page.fill("#name", "Насосы весной")
    page.select_option("#channel_id", label="Email")
    page.select_option("#status", "running")
    page.click("button:has-text('Save campaign')")
    page.wait_for_selector("h1:has-text('Насосы весной')")
    campaign_url = page.url
    form_url = page.get_attribute("#public-form-link", "href")

    visitor = new_page()
    visitor.goto(form_url)
    visitor.fill("#pf-name", "Ольга Клиентова")
    visitor.fill("#pf-email", "olga@client-web.ru")
    visitor.check("#pf-consent")                       # the consent to the processing of personal data
    visitor.click("button:has-text('Send')")
    visitor.wait_for_selector("h1:has-text('Thank you!')")

    page.goto("/promotion/responses?unconfirmed=1")    # it waits, unconfirmed, until Promotion confirms it
    page.click("table.responses a")
    page.wait_for_selector("#response-confirm")
    page.click("#response-confirm button:has-text('Confirm as a new prospect')")
    page.wait_for_selector("text=new prospect")
    assert not page.is_visible("#response-confirm")

    page.goto("/")
    page.click("#response-button")
    page.wait_for_selector("#response-dialog[open] #campaign-search")
    page.fill("#resp-phone", "+7 495 765-43-21")
    page.fill("#campaign-search", "весной")
    page.wait_for_selector("#campaign-picker button:has-text('Насосы весной')")
    page.click("#campaign-picker button:has-text('Насосы весной')")
    page.wait_for_selector("#response-saved:has-text('Response counted: Насосы весной')")

    page.goto(campaign_url)
    assert page.inner_text("[data-figure=responses]") == "2"
    table = page.inner_text("table.responses")
    assert "olga@client-web.ru" in table and "+74957654321" in table
    page.goto(f"/promotion/plan/{date.today().year}")
    assert page.is_visible(".timeline-bar")


def test_a_segment_list_is_generated_with_progress_downloaded_and_checked(app, new_page, make_user):
    promo = make_user("staff", "promotion")
    with app.app_context():
        make_client("Альфа", "Анна Альфина", email="anna@alfa-b.ru", city="Казань")
        make_client("Бета", "Борис Бетов", email="boris@beta-b.ru", city="Казань", dnc=True)
        cid, _ = make_client("Формула", "=1+2", email="formula@f-b.ru", city="Казань")
        make_client("Вне", "Виктор", email="v@other-b.ru", city="Самара")
        db.session.add(Address(company_id=cid, kind="postal", street="ул. Ленина, 1", city="Казань"))
        db.session.commit()
    page = new_page()
    sign_in(page, promo.email, PASSWORD)
    page.goto("/promotion/segments/new")
    page.fill("#seg-name", "Казань")
    page.select_option("#seg-cities", ["Казань"])
    page.wait_for_selector("#segment-count [data-companies='3']")
    page.click("button:has-text('Save segment')")
    page.wait_for_selector("text=Segment saved.")
    page.select_option("#fmt", "email")
    page.click("#generate-list")
    page.wait_for_selector("#list-job [data-status=finished], #list-job [data-status=failed]", timeout=90_000)
    assert page.get_attribute("#list-job [role=progressbar]", "aria-valuenow") == "100", page.inner_text("#list-job")
    with page.expect_download() as info:
        page.click("#list-job a:has-text('Open the result')")
    content = open(info.value.path(), encoding="utf-8").read()
    rows = list(csv.reader(io.StringIO(content)))
    emails = [r[0] for r in rows[1:]]
    assert sorted(emails) == ["anna@alfa-b.ru", "formula@f-b.ru"]
    assert "boris@beta-b.ru" not in content
    assert next(r for r in rows if r[0] == "formula@f-b.ru")[1] == "'=1+2"
    page.goto("/promotion/lists")
    assert "do not contact: 1" in page.inner_text("#address-lists")  # the exclusion by its label, not its code
