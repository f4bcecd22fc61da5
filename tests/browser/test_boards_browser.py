"""A real browser: a head starts "count responses" and assigns a card; the assignee finds it under My tasks,
drags it to In progress, ticks a step and comments; the head's overview shows the move; the board's live
figure changes once an activity is logged."""
import re

import pytest
from playwright.sync_api import expect

from app.extensions import db
from app.models import Activity, Company
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser
CARD = "Give every response channel a source"


def _drag(page, card, target):
    """Drag with real mouse moves, the way a person does (SortableJS in pointer mode)."""
    start, end = card.bounding_box(), target.bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + 10)
    page.mouse.down()
    for i in range(1, 16):
        page.mouse.move(start["x"] + start["width"] / 2 + (end["x"] + end["width"] / 2 - start["x"] - start["width"] / 2) * i / 15,
                        start["y"] + 10 + (end["y"] + 30 - start["y"] - 10) * i / 15)
        page.wait_for_timeout(20)
    page.mouse.up()


def test_head_assigns_staff_drags_ticks_comments_and_the_overview_shows_it(app, new_page, make_user):
    head = make_user("head", "promotion", name="Hanna Head")
    staff = make_user("staff", "promotion", name="Sam Seller")

    lead = new_page()
    sign_in(lead, head.email, PASSWORD)
    lead.goto("/workflows/")
    lead.locator("#workflow-count_responses").get_by_role("button", name="Start this workflow").click()
    expect(lead.locator("h1")).to_contain_text("Count every response to promotion")
    figure = lead.locator('[data-figure="activities_this_week"] .num')
    expect(figure).to_have_text("0")

    lead.get_by_role("link", name=CARD).click()
    lead.get_by_text("Edit the card").click()
    lead.get_by_label("Assignee").select_option(label="Sam Seller")
    lead.get_by_role("button", name="Save").click()
    expect(lead.locator(".facts")).to_contain_text("Sam Seller")
    board_url = lead.get_by_role("link", name="Count every response to promotion").get_attribute("href")

    person = new_page()
    sign_in(person, staff.email, PASSWORD)
    person.goto("/my-tasks")
    expect(person.locator(".card-panel")).to_contain_text(CARD)

    person.goto(board_url)
    card = person.locator(".kcard", has_text=CARD)
    doing = person.locator('.kcol[data-column="doing"] .kcards')
    _drag(person, card, doing)
    expect(person.locator('.kcol[data-column="doing"]')).to_contain_text(CARD)
    expect(person.locator('.kcol[data-column="doing"] .wip')).to_contain_text("1 / 2")

    person.goto("/my-tasks")
    panel = person.locator(".card-panel", has_text=CARD)
    expect(panel.locator(".status")).to_have_text("In progress")
    with person.expect_response(lambda r: "/checklist/" in r.url):
        panel.get_by_label("List every channel").check()
    expect(person.locator(".card-panel", has_text=CARD).get_by_label("List every channel")).to_be_checked()
    person.locator(".card-panel", has_text=CARD).get_by_label("Your comment").fill("Phone and web form counted")
    with person.expect_response(lambda r: r.url.endswith("/comments")):
        person.locator(".card-panel", has_text=CARD).get_by_role("button", name="Comment").click()
    expect(person.locator(".card-panel", has_text=CARD)).to_contain_text("Phone and web form counted")

    lead.goto("/overview")
    expect(lead.locator("#recent-moves")).to_contain_text(f"Sam Seller moved “{CARD}” from To do to In progress")

    with app.app_context():
        company = Company(legal_name="Ромашка")
        db.session.add(company)
        db.session.flush()
        db.session.add(Activity(kind="call", company_id=company.id, author_id=staff.id, subject="Asked for prices"))
        db.session.commit()
    lead.goto(board_url)
    expect(lead.locator('[data-figure="activities_this_week"] .num')).to_have_text("1")


def test_the_keyboard_move_menu_moves_a_card(app, new_page, make_user):
    head = make_user("head", "promotion")
    page = new_page()
    sign_in(page, head.email, PASSWORD)
    page.goto("/workflows/")
    page.locator("#workflow-count_responses").get_by_role("button", name="Start this workflow").click()
    card = page.locator(".kcard", has_text="Weekly report")
    card.locator("summary").focus()
    page.keyboard.press("Enter")
    card.get_by_role("button", name="Done").focus()
    page.keyboard.press("Enter")
    expect(page.locator('.kcol[data-column="done"]')).to_contain_text("Weekly report")
    expect(page).to_have_url(re.compile(r"/boards/\d+$"))
