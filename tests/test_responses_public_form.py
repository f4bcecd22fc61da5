"""The public response form: a signed campaign token, a rate limit shared by every process, a honeypot; an
anonymous response waits unconfirmed (nothing written into the client base), is bounded, needs consent to the
processing of personal data under the published policy (152-FZ), and a finished campaign's form is closed."""
import hashlib
from datetime import date, timedelta

from sqlalchemy import func, select

from app.extensions import db
from app.models import Company, Contact, Email, Phone, Response
from app.services import responses
from app.services import settings as portal_settings
from tests.promotion_support import make_campaign, make_client

OK = {"consent": "1", "website": ""}


def _base_counts() -> tuple[int, ...]:
    return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (Company, Contact, Email, Phone))


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
    resp = client.post(f"/promotion/r/{token}", data={"name": "Ольга", "email": "olga@client.ru", **OK},
                       follow_redirects=True)
    assert "Thank you!" in resp.get_data(as_text=True)
    with app.app_context():
        r = db.session.scalars(select(Response)).one()
        assert r.campaign_id == campaign_id and r.source == "web" and r.unconfirmed
        assert r.company_id is None and r.contact_id is None and not r.created_prospect
        assert _base_counts() == (0, 0, 0, 0)   # an anonymous visitor writes nothing into the client base


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
        codes = [client.post(f"/promotion/r/{token}", data={"email": f"p{i}@x.ru", **OK},
                             environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code for i in range(5)]
        assert codes == [302, 302, 302, 429, 429]
        assert _count(app) == 3
        other = client.post(f"/promotion/r/{token}", data={"email": "q@x.ru", **OK}, environ_base={"REMOTE_ADDR": "198.51.100.1"})
        assert other.status_code == 302
    finally:
        app.config.pop("PROMOTION_FORM_RATE_LIMIT")


def test_the_form_asks_for_a_way_to_answer(app, client):
    with app.app_context():
        campaign_id = make_campaign()
    resp = client.post(f"/promotion/r/{_token(app, campaign_id)}", data={"name": "Без контактов", **OK})
    assert resp.status_code == 422 and "Give an email or a phone" in resp.get_data(as_text=True)
    assert _count(app) == 0


def test_the_campaign_page_offers_the_hosted_form_and_an_embeddable_snippet(app, auth, make_user):
    with app.app_context():
        campaign_id = make_campaign()
    auth.login(make_user("staff", "promotion"))
    page = auth.get(f"/promotion/campaigns/{campaign_id}").get_data(as_text=True)
    assert "/promotion/r/" in page and "&lt;form method=&#34;post&#34;" in page and "website" in page


def test_a_sender_using_a_clients_email_is_not_attached_to_that_client(app, client):
    with app.app_context():
        campaign_id = make_campaign()
        company_id, _contact = make_client("Ромашка", email="boss@romashka.ru", phone="+74951234567")
        before = _base_counts()
    client.post(f"/promotion/r/{_token(app, campaign_id)}",
                data={"name": "Кто-то", "email": "boss@romashka.ru", "message": "Пришлите прайс", **OK})
    with app.app_context():
        r = db.session.scalars(select(Response)).one()
        assert r.unconfirmed and r.company_id is None and r.contact_id is None
        assert _base_counts() == before
        # nothing on the client's page either
        assert db.session.scalar(select(func.count(Response.id)).where(Response.company_id == company_id)) == 0


def test_the_unconfirmed_queue_shows_it_and_promotion_matches_it_to_the_client(app, client, auth, make_user):
    with app.app_context():
        campaign_id = make_campaign()
        company_id, contact_id = make_client("Ромашка", email="boss@romashka.ru")
    client.post(f"/promotion/r/{_token(app, campaign_id)}", data={"name": "Иван", "email": "boss@romashka.ru", **OK})
    with app.app_context():
        response_id = db.session.scalar(select(Response.id))
    auth.login(make_user("staff", "promotion"))
    queue = auth.get("/promotion/responses?unconfirmed=1").get_data(as_text=True)
    assert f"/promotion/responses/{response_id}" in queue and "unconfirmed" in queue
    page = auth.get(f"/promotion/responses/{response_id}").get_data(as_text=True)
    assert "nothing was added to the client base" in page and "Ромашка" in page   # the suggestion, not applied
    assert auth.post(f"/promotion/responses/{response_id}/status", {"status": "qualified"}, htmx=True).status_code == 422
    resp = auth.post(f"/promotion/responses/{response_id}/match", {"company_id": company_id})
    assert resp.status_code == 302
    with app.app_context():
        r = db.session.get(Response, response_id)
        assert not r.unconfirmed and r.company_id == company_id and r.contact_id == contact_id
        assert not r.created_prospect
    assert auth.post(f"/promotion/responses/{response_id}/match", {"company_id": company_id}).status_code == 422


def test_confirming_as_new_creates_the_prospect_only_then(app, client, auth, make_user):
    with app.app_context():
        campaign_id = make_campaign()
    client.post(f"/promotion/r/{_token(app, campaign_id)}",
                data={"name": "Ольга", "company_name": "Новая фирма", "phone": "+7 495 765-43-21", **OK})
    with app.app_context():
        response_id = db.session.scalar(select(Response.id))
        assert _base_counts() == (0, 0, 0, 0)
    auth.login(make_user("staff", "promotion"))
    assert auth.post(f"/promotion/responses/{response_id}/confirm").status_code == 302
    with app.app_context():
        r = db.session.get(Response, response_id)
        assert not r.unconfirmed and r.created_prospect and r.company.legal_name == "Новая фирма"
        assert r.contact.name == "Ольга" and _base_counts() == (1, 1, 0, 1)


def test_only_promotion_confirms_a_response(app, client, auth, make_user):
    with app.app_context():
        campaign_id = make_campaign()
    client.post(f"/promotion/r/{_token(app, campaign_id)}", data={"email": "a@b.ru", **OK})
    with app.app_context():
        response_id = db.session.scalar(select(Response.id))
    auth.login(make_user("staff", "sales"))
    assert auth.post(f"/promotion/responses/{response_id}/confirm").status_code == 403
    with app.app_context():
        assert db.session.get(Response, response_id).unconfirmed and _base_counts() == (0, 0, 0, 0)


def test_a_long_message_is_refused_next_to_it_and_nothing_is_saved(app, client):
    with app.app_context():
        campaign_id = make_campaign()
    token = _token(app, campaign_id)
    resp = client.post(f"/promotion/r/{token}", data={"email": "a@b.ru", "message": "x" * (5 * 1024 * 1024), **OK})
    text = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "At most 5000 characters" in text
    assert _count(app) == 0
    resp = client.post(f"/promotion/r/{token}", data={"email": "a@b.ru", "name": "Я" * 201, **OK})
    assert resp.status_code == 422 and "At most 200 characters" in resp.get_data(as_text=True)
    assert client.post(f"/promotion/r/{token}", data={"email": "a@b.ru", "message": "x" * 5000, **OK}).status_code == 302
    assert _count(app) == 1


def test_the_limit_reads_russian_for_a_russian_visitor(app, client):
    with app.app_context():
        campaign_id = make_campaign()
    resp = client.post(f"/promotion/r/{_token(app, campaign_id)}", data={"email": "a@b.ru", "message": "x" * 6000, **OK},
                       headers={"Accept-Language": "ru"})
    assert resp.status_code == 422 and "Не больше 5000 символов" in resp.get_data(as_text=True)


def test_without_consent_the_form_answers_422_next_to_the_checkbox_and_saves_nothing(app, client):
    with app.app_context():
        campaign_id = make_campaign()
    resp = client.post(f"/promotion/r/{_token(app, campaign_id)}", data={"email": "a@b.ru", "website": ""},
                       headers={"Accept-Language": "ru"})
    text = resp.get_data(as_text=True)
    assert resp.status_code == 422
    consent = text[text.index('id="field-consent"'):]
    assert "согласие на обработку персональных данных" in consent[:1500]
    assert _count(app) == 0


def test_the_form_links_the_published_policy_and_the_consent_records_its_version(app, client, auth, make_user):
    admin = make_user("admin", "crm")
    auth.login(admin)
    page = auth.get("/admin/settings")
    assert page.status_code == 200
    assert auth.post("/admin/settings", {"privacy_policy": "Политика v1"}).status_code == 302
    assert auth.post("/admin/settings", {"privacy_policy": "Политика обработки персональных данных v2"}).status_code == 302
    with app.app_context():
        campaign_id = make_campaign()
    token = _token(app, campaign_id)
    form = client.get(f"/promotion/r/{token}").get_data(as_text=True)
    assert 'href="/privacy"' in form and 'name="consent"' in form
    assert "Политика обработки персональных данных v2" in client.get("/privacy").get_data(as_text=True)
    client.post(f"/promotion/r/{token}", data={"email": "a@b.ru", **OK})
    with app.app_context():
        r = db.session.scalars(select(Response)).one()
        assert r.consent_at is not None and r.consent_policy_version == 2
        assert r.consent_policy_hash == hashlib.sha256("Политика обработки персональных данных v2".encode()).hexdigest()
        assert portal_settings.privacy_policy(db.session).version == 2


def test_only_an_admin_sets_the_policy(app, auth, make_user):
    auth.login(make_user("head", "promotion"))
    assert auth.post("/admin/settings", {"privacy_policy": "чужая"}).status_code == 403
    with app.app_context():
        assert portal_settings.privacy_policy(db.session) is None


def test_a_finished_campaigns_form_is_closed_and_writes_nothing(app, client):
    with app.app_context():
        finished = make_campaign("Осенняя выставка", status="finished")
        ended = make_campaign("Весенняя рассылка", starts_on=date.today() - timedelta(days=30),
                              ends_on=date.today() - timedelta(days=2))
    for campaign_id in (finished, ended):
        token = _token(app, campaign_id)
        page = client.get(f"/promotion/r/{token}", headers={"Accept-Language": "ru"})
        assert page.status_code == 410 and "Кампания завершена" in page.get_data(as_text=True)
        resp = client.post(f"/promotion/r/{token}", data={"email": "late@x.ru", **OK}, headers={"Accept-Language": "ru"})
        assert resp.status_code == 410 and "Кампания завершена" in resp.get_data(as_text=True)
    with app.app_context():
        assert _count(app) == 0 and db.session.scalar(select(func.count()).select_from(responses.PublicFormHit)) == 0


def test_a_campaign_on_its_last_day_still_takes_responses(app, client):
    with app.app_context():
        campaign_id = make_campaign(ends_on=date.today() + timedelta(days=1))
    assert client.post(f"/promotion/r/{_token(app, campaign_id)}", data={"email": "a@b.ru", **OK}).status_code == 302
