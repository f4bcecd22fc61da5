"""The public response form: a signed campaign token, a rate limit shared by every process, a honeypot."""
from sqlalchemy import func, select

from app.extensions import db
from app.models import Response
from app.services import responses
from tests.promotion_support import make_campaign


def _token(app, campaign_id):
    with app.test_request_context():
        return responses.form_token(campaign_id)


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Response.id)))


def test_a_visitor_sends_the_form_without_signing_in_and_sees_thanks(app, client):
    with app.app_context():
        campaign_id = make_campaign("Website offer", channel="website")
    token = _token(app, campaign_id)
    page = client.get(f"/promotion/r/{token}")
    assert page.status_code == 200 and "Website offer" in page.get_data(as_text=True)
    resp = client.post(f"/promotion/r/{token}", data={"name": "Ольга", "email": "olga@client.ru", "website": ""},
                       follow_redirects=True)
    assert "Thank you!" in resp.get_data(as_text=True)
    with app.app_context():
        r = db.session.scalars(select(Response)).one()
        assert r.campaign_id == campaign_id and r.source == "web" and r.created_prospect


def test_a_bad_token_is_refused_and_nothing_is_stored(app, client):
    with app.app_context():
        campaign_id = make_campaign()
    forged = _token(app, campaign_id)[:-2] + "xx"
    assert client.get(f"/promotion/r/{forged}").status_code == 404
    assert client.post(f"/promotion/r/{forged}", data={"email": "a@b.ru"}).status_code == 404
    assert _count(app) == 0


def test_a_filled_honeypot_looks_accepted_but_stores_nothing(app, client):
    with app.app_context():
        campaign_id = make_campaign()
    token = _token(app, campaign_id)
    resp = client.post(f"/promotion/r/{token}", data={"email": "bot@spam.ru", "website": "http://spam"},
                       follow_redirects=True)
    assert "Thank you!" in resp.get_data(as_text=True)
    assert _count(app) == 0


def test_a_flood_from_one_address_is_refused(app, client):
    app.config["PROMOTION_FORM_RATE_LIMIT"] = 3
    try:
        with app.app_context():
            campaign_id = make_campaign()
        token = _token(app, campaign_id)
        codes = [client.post(f"/promotion/r/{token}", data={"email": f"p{i}@x.ru"},
                             environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code for i in range(5)]
        assert codes == [302, 302, 302, 429, 429]
        assert _count(app) == 3
        other = client.post(f"/promotion/r/{token}", data={"email": "q@x.ru"}, environ_base={"REMOTE_ADDR": "198.51.100.1"})
        assert other.status_code == 302
    finally:
        app.config.pop("PROMOTION_FORM_RATE_LIMIT")


def test_the_form_asks_for_a_way_to_answer(app, client):
    with app.app_context():
        campaign_id = make_campaign()
    resp = client.post(f"/promotion/r/{_token(app, campaign_id)}", data={"name": "Без контактов"})
    assert resp.status_code == 422 and "Give an email or a phone" in resp.get_data(as_text=True)
    assert _count(app) == 0


def test_the_campaign_page_offers_the_hosted_form_and_an_embeddable_snippet(app, auth, make_user):
    with app.app_context():
        campaign_id = make_campaign()
    auth.login(make_user("staff", "promotion"))
    page = auth.get(f"/promotion/campaigns/{campaign_id}").get_data(as_text=True)
    assert "/promotion/r/" in page and "&lt;form method=&#34;post&#34;" in page and "website" in page
