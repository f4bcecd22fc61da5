"""In a real browser, after a first-start demo: each role's menus open on populated pages that fit 390 and 1,400 px."""
from __future__ import annotations

import pytest
from sqlalchemy import update
from werkzeug.security import generate_password_hash

from app.demo import seed_demo
from app.extensions import db
from app.models import User
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD

ROLES = ["admin@demo.local", "head.sales@demo.local", "sales1@demo.local", "head.promotion@demo.local",
         "promotion1@demo.local", "accounts1@demo.local", "head.crm@demo.local", "logistics1@demo.local"]
# What a page says when its area is empty; none of them may show on a page the demo covers.
EMPTY = ["No workflow has been started yet.", "No surveys yet.", "No responses yet.", "No key accounts yet.",
         "No key accounts are assigned to you.", "No deals yet.", "Nothing waits for you today.", "No merges yet.",
         "No open tasks. Well done.", "No notifications."]


@pytest.fixture
def demo_base(app):
    with app.app_context():
        seed_demo(db.session, companies=150, seed=1)
        db.session.execute(update(User).values(password_hash=generate_password_hash(PASSWORD)))
        db.session.commit()
    with app.test_request_context(headers={"Accept-Language": "ru"}):
        from flask_babel import gettext, refresh

        refresh()
        return [gettext(m) for m in EMPTY]


def _menu_links(page) -> list[str]:
    return page.eval_on_selector_all(".mainnav a, .admin-menu .menu a",
                                     "els => els.map(e => e.getAttribute('href'))")


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1")


@pytest.mark.browser
@pytest.mark.parametrize("width", [1400, 390])
def test_each_demo_role_finds_every_menu_entry_populated_and_fitting(app, new_page, demo_base, width):
    problems = []
    for email in ROLES:
        page = new_page(locale="ru-RU")
        page.set_viewport_size({"width": width, "height": 900})
        sign_in(page, email, PASSWORD)
        for href in ["/"] + [h for h in _menu_links(page) if h != "/"]:
            response = page.goto(href)
            if response.status != 200:
                problems.append(f"{email} {href}: {response.status}")
                continue
            text = page.inner_text("main")
            problems += [f"{email} {href}: says “{e}”" for e in demo_base if e in text]
            if not _fits(page):
                wide = page.evaluate("document.documentElement.scrollWidth")
                problems.append(f"{email} {href}: the page is {wide} px wide at {width} px")
        page.context.close()
    assert not problems, "\n".join(problems)


@pytest.mark.browser
def test_on_a_phone_the_menu_folds_behind_a_button(app, new_page, demo_base):
    page = new_page(locale="ru-RU")
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "sales1@demo.local", PASSWORD)
    header = page.locator(".topbar").bounding_box()["height"]
    assert header < 130, header
    assert not page.locator(".mainnav").is_visible()
    page.click(".menu-toggle")
    assert page.locator(".mainnav a", has_text="Продажи").is_visible()


@pytest.mark.browser
@pytest.mark.parametrize("width", [1400, 390])
def test_every_area_page_fits_the_screen(app, new_page, demo_base, width):
    """Every sub-menu entry of every area, opened by the admin (who may open them all)."""
    from flask import url_for

    from app.navigation import SUBNAV

    with app.test_request_context():
        urls = sorted({url_for(e[0], **(e[4] if len(e) > 4 else {})) for entries in SUBNAV.values() for e in entries})
    page = new_page(locale="ru-RU")
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, "admin@demo.local", PASSWORD)
    problems = []
    for href in urls:
        response = page.goto(href)
        if response.status != 200:
            problems.append(f"{href}: {response.status}")
        elif not _fits(page):
            problems.append(f"{href}: {page.evaluate('document.documentElement.scrollWidth')} px wide")
    assert not problems, "\n".join(problems)
