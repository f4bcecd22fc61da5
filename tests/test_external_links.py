"""Absolute links handed outside (the public form, its snippet, the policy, survey links) come from BASE_URL,
never from the Host header a visitor sends; without it only the embedded default uses the request's host."""
import re

import pytest

from app.extensions import db
from app.services import links, responses
from tests.conftest import PASSWORD, csrf_token_from
from tests.promotion_support import make_campaign


@pytest.fixture
def base_url(app):
    app.config["BASE_URL"] = "https://crm.example.ru/portal/"
    yield "https://crm.example.ru/portal"
    app.config["BASE_URL"] = None


def _campaign_page(app, make_user, host: str) -> tuple[str, str]:
    with app.app_context():
        campaign_id = make_campaign("Выставка")
    with app.test_request_context():
        token = responses.form_token(campaign_id)
    client, on_host = app.test_client(), {"Host": host}   # a browser that reaches the portal under that host
    login = client.get("/login", headers=on_host).get_data(as_text=True)
    client.post("/login", headers=on_host, data={"email": make_user("staff", "promotion").email,
                                                 "password": PASSWORD, "csrf_token": csrf_token_from(login)})
    page = client.get(f"/promotion/campaigns/{campaign_id}", headers=on_host).get_data(as_text=True)
    assert 'id="public-form-link"' in page
    return page, token


def test_with_base_url_every_outside_link_uses_it_whatever_the_host_header(app, auth, make_user, base_url):
    page, token = _campaign_page(app, make_user, "evil.example")
    assert f'href="{base_url}/promotion/r/{token}" id="public-form-link"' in page
    assert f"action=&#34;{base_url}/promotion/r/{token}&#34;" in page          # the embeddable snippet
    assert f"{base_url}/privacy" in page
    assert "evil.example" not in page and "BASE_URL is not set" not in page


def test_a_job_builds_the_same_absolute_link_outside_any_request(app, base_url):
    with app.app_context():
        assert links.external_url("main.privacy_policy") == f"{base_url}/privacy"


def test_without_base_url_only_the_embedded_default_uses_the_requests_host(app, auth, make_user):
    page, token = _campaign_page(app, make_user, "laptop.local:5000")
    link = re.search(r'href="([^"]+)" id="public-form-link"', page).group(1)
    with app.app_context():
        embedded = db.engine.dialect.name == "sqlite"
    if embedded:                                     # the embedded default, as `make run` starts it
        assert link == f"http://laptop.local:5000/promotion/r/{token}"
        assert "BASE_URL is not set" not in page
    else:                                            # production: a path, and the page says what to set
        assert link == f"/promotion/r/{token}"
        assert "BASE_URL is not set" in page
