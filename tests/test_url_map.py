"""Walk every route: anonymous visitors are sent to sign-in, writes without CSRF are refused."""
import re

import pytest

from app.web import is_public_endpoint


def _concrete(rule) -> str:
    """Fill each URL variable with a plausible value so the rule can be requested."""
    def value(m) -> str:
        if m.group(2) == "year":
            return "2026"
        return "1" if (m.group(1) or "") in ("int", "") else "x"

    return re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>", value, rule.rule)


def _rules(app):
    return [r for r in app.url_map.iter_rules() if not is_public_endpoint(app, r.endpoint)]


def test_every_page_but_the_public_ones_needs_sign_in(app, client):
    checked = 0
    for rule in _rules(app):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            resp = client.open(_concrete(rule), method=method)
            assert resp.status_code in (302, 400), f"{method} {rule.rule} answered {resp.status_code}"
            if resp.status_code == 302:
                assert "/login" in resp.location, f"{method} {rule.rule} redirected to {resp.location}"
            checked += 1
    assert checked > 5


def test_every_write_without_a_csrf_token_is_refused(app, auth, make_user):
    auth.login(make_user("admin", "distribution"))
    checked = 0
    for rule in _rules(app):
        for method in rule.methods & {"POST", "PUT", "PATCH", "DELETE"}:
            resp = auth.client.open(_concrete(rule), method=method)
            assert resp.status_code == 400, f"{method} {rule.rule} answered {resp.status_code} without CSRF"
            checked += 1
    assert checked >= 2


@pytest.mark.parametrize("path", ["/admin/users"])
def test_staff_cannot_open_admin_pages(auth, make_user, path):
    auth.login(make_user("staff", "sales"))
    assert auth.get(path).status_code == 403


def test_staff_cannot_start_admin_jobs(auth, make_user):
    auth.login(make_user("staff", "sales"))
    assert auth.post("/jobs/demo", {"companies": 5}).status_code == 403


def test_the_menu_offers_only_what_the_person_may_open(auth, make_user, app):
    from tests.conftest import Auth

    auth.login(make_user("staff", "sales"))
    page = auth.get("/").get_data(as_text=True)
    assert "/data/duplicates" not in page and "/admin/users" not in page
    crm = Auth(app.test_client())
    crm.login(make_user("staff", "crm"))
    assert "/data/duplicates" in crm.get("/").get_data(as_text=True)


def test_a_list_links_each_row_as_url_for_would(app):
    """`links()` builds a row's link by joining strings around one url_for: for every rule taking one id, and
    under a mount point, it gives what url_for gives."""
    from flask import url_for

    from app.web import links

    rules = [r for r in app.url_map.iter_rules() if len(r.arguments) == 1 and "int" in r.rule]
    assert len(rules) > 20
    for root in ("", "/portal"):
        with app.test_request_context("/", base_url="http://portal.local" + root):
            for rule in rules:
                (arg,) = rule.arguments
                row_link = links(rule.endpoint, arg)
                for value in (1, 7, 918273645, 2_147_483_647):
                    assert row_link(value) == url_for(rule.endpoint, **{arg: value}), rule.rule
