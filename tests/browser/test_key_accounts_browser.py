"""In a real browser: a client's request carried from the account manager to two departments and back."""
from __future__ import annotations

import re
from datetime import date, timedelta

from playwright.sync_api import expect
from sqlalchemy import update

from app.extensions import db
from app.models.client_requests import ClientRequest
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD
from tests.key_accounts_support import key_account


def _register_for_two_departments(page, company_id: int) -> str:
    page.goto("/accounts/requests/new")
    page.select_option("#company_id", str(company_id))
    expect(page.locator("#contact_id option", has_text="Irina Petrova")).to_have_count(1)
    page.select_option("#contact_id", label="Irina Petrova")
    page.fill("#subject", "Certificates for the March delivery")
    page.fill("#details", "The client's auditor needs them")
    page.select_option("#channel", "email")
    page.fill("#due_on", (date.today() + timedelta(days=4)).isoformat())
    page.get_by_label("Legal", exact=True).check()
    page.get_by_label("Logistics", exact=True).check()
    page.click("text=Register and send")
    page.wait_for_url(re.compile(r"/accounts/requests/\d+$"))
    return page.url


def test_a_request_goes_to_two_departments_is_answered_relayed_and_closed(app, new_page, make_user):
    manager = make_user("staff", "accounts", name="Anna Manager")
    lawyer = make_user("staff", "legal", name="Lev Lawyer")
    outsider = make_user("staff", "promotion", name="Pavel Promo")
    ids = key_account(app, manager.id)

    am = new_page()
    sign_in(am, manager.email, PASSWORD)
    request_url = _register_for_two_departments(am, ids["company_id"])
    expect(am.locator("#routes [data-route-status=new]")).to_have_count(2)

    dept = new_page()
    sign_in(dept, lawyer.email, PASSWORD)
    dept.goto("/accounts/inbox")
    dept.click("text=Certificates for the March delivery")
    dept.locator("#routes tr[data-unit=legal]").get_by_role("button", name="Accept").click()
    row = dept.locator("#routes tr[data-unit=legal]")
    expect(row.locator("[data-route-status=accepted]")).to_be_visible()
    row.get_by_label("Answer").fill("Certificates attached to the contract, pages 4-6")
    row.get_by_role("button", name="Send answer").click()
    expect(row.locator("[data-route-status=answered]")).to_be_visible()

    am.goto(request_url)
    legal = am.locator("#routes tr[data-unit=legal]")
    expect(legal).to_contain_text("Certificates attached to the contract, pages 4-6")
    expect(am.locator("#routes tr[data-unit=logistics] [data-route-status=new]")).to_be_visible()
    legal.get_by_role("button", name="Relayed to the client").click()
    expect(am.locator("#routes tr[data-unit=legal] .relayed")).to_be_visible()
    am.get_by_label("Client's confirmation (who confirmed and how)").fill("Irina confirmed by email")
    am.get_by_role("button", name="Close the request").click()
    expect(am.locator("#request-status")).to_have_text("closed")
    expect(am.locator("#steps")).to_contain_text("Closed with the client's confirmation")

    am.goto("/accounts/figures?period=90")
    legal_row = am.locator("#fig-departments tr", has_text="Legal")
    expect(legal_row.locator("[data-col=requests]")).to_have_text("1")
    expect(legal_row.locator("[data-col=on-time]")).to_have_text("100%")
    expect(am.locator("#fig-managers tr", has_text="Anna Manager").locator("[data-col=requests]")).to_have_text("1")

    other = new_page()
    sign_in(other, outsider.email, PASSWORD)
    response = other.goto(request_url)
    assert response.status == 404
    expect(other.locator("body")).not_to_contain_text("Certificates for the March delivery")


def test_a_request_past_its_date_is_overdue_for_both_sides_and_in_the_figures(app, new_page, make_user):
    manager = make_user("staff", "accounts", name="Olga Manager")
    clerk = make_user("staff", "logistics", name="Luka Logistics")
    ids = key_account(app, manager.id)
    am = new_page()
    sign_in(am, manager.email, PASSWORD)
    _register_for_two_departments(am, ids["company_id"])
    with app.app_context():
        db.session.execute(update(ClientRequest).values(due_on=date.today() - timedelta(days=1)))
        db.session.commit()
    am.goto("/accounts/requests")
    expect(am.locator("#requests-table .overdue")).to_have_count(1)
    am.goto("/accounts/")
    expect(am.locator("#my-accounts .badge.bad")).to_have_text("1")

    dept = new_page()
    sign_in(dept, clerk.email, PASSWORD)
    dept.goto("/accounts/inbox")
    expect(dept.locator("#inbox .overdue")).to_have_count(1)
    expect(dept.locator("[data-count=overdue]")).to_have_text("1")
    dept.goto("/accounts/figures")
    logistics = dept.locator("#fig-departments tr", has_text="Logistics")
    expect(logistics).to_contain_text("keeps clients waiting")
    expect(logistics.locator("[data-col=overdue]")).to_have_text("1")
