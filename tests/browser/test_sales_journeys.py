"""Real-browser journeys of the sales area: library coverage, a week planned and reviewed, a survey answered."""
from __future__ import annotations

from datetime import date

import pytest

from app.extensions import db
from app.models.activities import Activity
from tests import sales_support
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_uploading_a_material_fills_its_coverage_cell(app, new_page, make_user, tmp_path):
    author = make_user("staff", "publications")
    with app.app_context():
        pump = sales_support.product(db.session, "Pump X", "Pumps")
        ct = sales_support.client_type(db.session, "government")
        pump_id, ct_id = pump.id, ct.id
    sheet = tmp_path / "pump-sheet.pdf"
    sheet.write_bytes(b"%PDF-1.4\n%%EOF\n")
    page = new_page()
    sign_in(page, author.email, PASSWORD)
    page.goto("/sales/materials/coverage")
    cell = page.locator(f'td[data-product="{pump_id}"][data-client-type="{ct_id}"]')
    assert "empty" in cell.get_attribute("class")

    page.goto("/sales/materials/new")
    page.fill("#title", "Pump X for ministries")
    page.select_option("#kind", "data_sheet")
    page.select_option("#product_ids", str(pump_id))
    page.select_option("#client_type_ids", str(ct_id))
    page.set_input_files("#file", str(sheet))
    page.click("text=Save the material")
    page.wait_for_url("**/sales/materials")
    assert page.locator("#materials").inner_text().count("Pump X for ministries") == 1

    page.goto("/sales/materials/coverage")
    assert "filled" in cell.get_attribute("class") and cell.inner_text().strip() == "1"


def test_a_seller_plans_the_week_logs_a_call_and_the_head_sees_plan_vs_actual(app, new_page, make_user):
    seller = make_user("staff", "sales", name="Sasha Seller")
    head = make_user("head", "sales")
    with app.app_context():
        pump = sales_support.product(db.session, "Pump X", "Pumps")
        quiet = sales_support.company(db.session, "Quiet Client", manager_id=seller.id)
        sales_support.company(db.session, "Other Client", manager_id=seller.id)
        sales_support.deal(db.session, quiet, seller.id, "proposal", lines=[(pump, 1200)], title="Pumps for Quiet")

    page = new_page()
    sign_in(page, seller.email, PASSWORD)
    page.goto("/sales/plans")
    suggestions = page.locator("#suggestions")
    assert "Pumps for Quiet" in suggestions.inner_text() and "Never contacted" in suggestions.inner_text()
    page.click("text=Add the chosen to the plan")
    tasks = page.locator("#plan-tasks tbody tr")
    tasks.first.wait_for()
    assert tasks.count() == 3
    first = tasks.nth(0)
    first.locator("input[name=outcome]").fill("Agreed a site visit")
    first.locator("button", has_text="Log the call").click()
    page.locator("#plan-tasks tr.task-done").wait_for()
    assert page.locator("#plan-tasks tr.task-done").count() == 1
    page.click("text=Submit to the head")
    page.locator("#plan-status", has_text="Submitted for approval").wait_for()
    with app.app_context():
        call = db.session.query(Activity).one()
        assert call.kind == "call" and call.outcome == "Agreed a site visit"

    head_page = new_page()
    sign_in(head_page, head.email, PASSWORD)
    head_page.goto("/sales/plans/team")
    row = head_page.locator(f'#plan-vs-actual tr[data-seller="{seller.id}"]')
    assert "1 / 3" in row.inner_text() and "33%" in row.inner_text()
    row.locator("button", has_text="Approve").click()
    head_page.wait_for_url("**/sales/plans/team**")
    row.locator("a", has_text="Review").click()
    head_page.locator("#review-form").wait_for()
    head_page.fill("#worked", "Calls to quiet clients")
    head_page.fill("#not_worked", "Proposals without a call first")
    head_page.click("text=Save the review")
    head_page.locator(".flash", has_text="The week's review is saved.").wait_for()
    head_page.goto("/sales/plans/team")
    assert "Approved" in head_page.locator(f'#plan-vs-actual tr[data-seller="{seller.id}"]').inner_text()
    head_page.goto("/sales/plans/history")
    assert "Calls to quiet clients" in head_page.locator("main").inner_text()


def test_a_survey_for_the_top_combination_is_answered_through_its_link(app, new_page, make_user):
    staff = make_user("staff", "promotion")
    with app.app_context():
        pump = sales_support.product(db.session, "Pump X", "Pumps")
        corp = sales_support.company(db.session, "Top Corp", "corporate")
        sales_support.deal(db.session, corp, staff.id, "won", date.today(), [(pump, 50000)])

    page = new_page()
    sign_in(page, staff.email, PASSWORD)
    page.goto("/sales/surveys")
    assert "Pumps × Corporate" in page.locator("#new-survey").inner_text()
    page.fill("#title", "What sells pumps")
    page.click("text=Create the survey")
    page.locator("#survey").wait_for()
    page.fill("#q-text", "How did you find us?")
    page.select_option("#q-kind", "choice")
    page.fill("#q-choices", "Exhibition\nColleague")
    page.click("text=Add the question")
    page.locator("#survey-summary", has_text="How did you find us?").wait_for()
    page.click("text=Make one-time links")
    link = page.locator("input.invite-link")
    link.wait_for()
    url = link.input_value()

    visitor = new_page()
    visitor.goto(url)
    visitor.check("text=Exhibition")
    visitor.click("text=Send the answers")
    visitor.locator("#survey-done", has_text="Thank you").wait_for()
    visitor.goto(url)
    assert "already been used" in visitor.locator("#survey-done").inner_text()

    page.reload()
    summary = page.locator("#survey-summary").inner_text()
    assert "1 responses" in summary and "Exhibition: 1" in summary
