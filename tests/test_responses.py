"""Every response counted: staff entry, matching to the base, new prospects, repeats, statuses, CSV import."""
import io
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from app.extensions import db
from app.models import Company, Deal, Response
from app.services import responses
from tests.promotion_support import make_campaign, make_client


def test_staff_records_a_response_in_the_dialog_and_it_is_matched_to_the_known_contact(app, auth, make_user):
    with app.app_context():
        campaign_id = make_campaign()
        company_id, contact_id = make_client(email="ivanov@romashka.ru")
    auth.login(make_user("staff", "sales"))
    dialog = auth.get("/promotion/responses/new", htmx=True).get_data(as_text=True)
    assert "Spring mailing" in dialog and "Unknown source" in dialog
    resp = auth.post("/promotion/responses", {"campaign_id": campaign_id, "email": "IVANOV@romashka.ru"}, htmx=True)
    assert resp.status_code == 200
    assert "Response counted: Spring mailing" in resp.get_data(as_text=True)
    with app.app_context():
        r = db.session.scalars(select(Response)).one()
        assert (r.company_id, r.contact_id, r.created_prospect) == (company_id, contact_id, False)
        assert r.channel.code == "email" and r.source == "staff"


def test_unknown_is_a_valid_answer_and_is_counted_as_unknown(app, auth, make_user):
    auth.login(make_user("staff", "sales"))
    resp = auth.post("/promotion/responses", {"campaign_id": "unknown", "name": "Пётр", "phone": "8 (495) 123-45-67"},
                     htmx=True)
    assert "Response counted: unknown source" in resp.get_data(as_text=True)
    page = auth.get("/promotion/responses?unknown=1").get_data(as_text=True)
    assert "+74951234567" in page and "Unknown source" in page


def test_a_responder_nobody_knows_becomes_a_prospect(app):
    with app.app_context():
        campaign_id = make_campaign()
        r = responses.record_response(db.session, responses.ResponseInput(
            campaign_id=campaign_id, name="Анна Смирнова", email="anna@new-client.ru", company_name="Новый Клиент"))
        db.session.commit()
        company = db.session.get(Company, r.company_id)
        assert r.created_prospect and company.status == "prospect" and company.legal_name == "Новый Клиент"
        again, contact = responses.match_responder(db.session, None, "anna@new-client.ru", None, None)
        assert again == company.id and contact == r.contact_id


def test_the_picker_finds_campaigns_by_name_or_code(app, auth, make_user):
    with app.app_context():
        make_campaign("Exhibition Moscow", channel="exhibition")
        make_campaign("Autumn calls", channel="calls", code="CALL-24")
    auth.login(make_user("staff", "sales"))
    found = auth.get("/promotion/responses/picker?q=call-2", htmx=True).get_data(as_text=True)
    assert "Autumn calls" in found and "Exhibition Moscow" not in found


def test_a_second_response_within_the_window_is_a_repeat_counted_once_but_visible(app, auth, make_user):
    with app.app_context():
        campaign_id = make_campaign()
        now = datetime.now(timezone.utc)
        for days_ago in (10, 3):
            responses.record_response(db.session, responses.ResponseInput(
                campaign_id=campaign_id, email="same@person.ru", received_at=now - timedelta(days=days_ago)))
        late = responses.record_response(db.session, responses.ResponseInput(
            campaign_id=campaign_id, email="same@person.ru", received_at=now + timedelta(days=40)))
        db.session.commit()
        assert not late.is_repeat
        assert db.session.scalar(select(func.count(Response.id)).where(Response.repeat_of_id.is_not(None))) == 1
    auth.login(make_user("staff", "promotion"))
    page = auth.get(f"/promotion/campaigns/{campaign_id}").get_data(as_text=True)
    assert 'data-figure="responses">2<' in page and "+1 repeats" in page and "repeat</span>" in page


def test_statuses_move_on_and_converting_opens_a_deal(app, auth, make_user):
    seller = make_user("staff", "sales")
    with app.app_context():
        campaign_id = make_campaign()
        r = responses.record_response(db.session, responses.ResponseInput(campaign_id=campaign_id, name="Олег",
                                                                          email="oleg@x.ru", handled_by_id=seller.id))
        db.session.commit()
        rid = r.id
    auth.login(seller)   # Promotion gave the response to this seller
    refused = auth.post(f"/promotion/responses/{rid}/status", {"status": "disqualified", "reason": ""}, htmx=True)
    assert refused.status_code == 422 and "Say why it is disqualified." in refused.get_data(as_text=True)
    ok = auth.post(f"/promotion/responses/{rid}/status", {"status": "converted"}, htmx=True)
    assert ok.status_code == 200 and 'data-status="converted"' in ok.get_data(as_text=True)
    with app.app_context():
        r = db.session.get(Response, rid)
        deal = db.session.get(Deal, r.deal_id)
        assert deal.company_id == r.company_id and deal.owner_id == seller.id


def test_csv_import_counts_good_rows_and_reports_bad_ones(app, auth, make_user):
    with app.app_context():
        make_campaign("Expo", channel="exhibition", code="EXPO-26")
    auth.login(make_user("staff", "promotion"))
    csv_text = ("Name;Email;Phone;Company;Campaign;Date\n"
                "Иван;ivan@a.ru;;А-Трейд;EXPO-26;2026-03-01\n"
                "Мария;not-an-email;;Б;EXPO-26;2026-03-01\n"
                "Пётр;petr@c.ru;;;NOPE;2026-03-01\n"
                "Иван;ivan@a.ru;;А-Трейд;EXPO-26;2026-03-02\n")
    import io
    resp = auth.post("/promotion/responses/import", {"file": (io.BytesIO(csv_text.encode("utf-8-sig")), "expo.csv")},
                     content_type="multipart/form-data")
    body = resp.get_data(as_text=True)
    assert "2 responses recorded, 1 of them repeats, 1 new prospects." in body
    assert "line 3" in body and "line 4" in body and "unknown campaign code" in body
    with app.app_context():
        assert db.session.scalar(select(func.count(Response.id))) == 2


def test_responses_show_on_the_company_timeline(app):
    with app.app_context():
        campaign_id = make_campaign("Webinar", channel="seminar")
        company_id, _ = make_client(email="x@y.ru")
        responses.record_response(db.session, responses.ResponseInput(campaign_id=campaign_id, email="x@y.ru"))
        db.session.commit()
        from app.services.timeline import company_timeline

        with app.test_request_context():
            items = company_timeline(db.session, company_id)
        assert [i.title for i in items if i.kind == "response"] == ["Response: Webinar"]


def test_a_responder_from_a_known_company_written_another_way_is_matched_to_it(app):
    """«ООО Ромашка» with info@romashka-pumps.ru in the base; the form says "Romashka LLC" and a colleague's
    address at the same domain: the response goes to that company, not to a new prospect. A name alone does not."""
    from app.models import Company, Email

    with app.app_context():
        known = Company(legal_name="Ромашка", legal_form="ООО", name_sort="ромашка", city="Москва")
        db.session.add(known)
        db.session.flush()
        db.session.add(Email(company_id=known.id, address="info@romashka-pumps.ru"))
        db.session.commit()
        company_id, contact_id = responses.match_responder(db.session, "Anna", "anna@romashka-pumps.ru", None,
                                                           "Romashka LLC")
        assert (company_id, contact_id) == (known.id, None)
        assert responses.match_responder(db.session, "Anna", None, None, "Romashka LLC") == (None, None)
        assert responses.match_responder(db.session, "Bob", "bob@other.example", None,
                                         "Totally Unrelated Trading") == (None, None)


def test_only_promotion_and_the_seller_given_a_response_may_move_it_and_only_promotion_imports(app, auth, make_user):
    from tests.conftest import Auth

    with app.app_context():
        campaign_id = make_campaign()
        rid = responses.record_response(db.session, responses.ResponseInput(campaign_id=campaign_id, name="Олег",
                                                                            email="oleg@x.ru")).id
        db.session.commit()
    outsider = Auth(app.test_client())
    outsider.login(make_user("staff", "logistics"))
    for status in ("qualified", "converted"):
        assert outsider.post(f"/promotion/responses/{rid}/status", {"status": status}, htmx=True).status_code == 403
    assert outsider.post(f"/promotion/responses/{rid}/status",
                         {"status": "new", "handled_by_id": str(make_user("staff", "sales").id)}).status_code == 403
    upload = {"file": (io.BytesIO("name;email\nИван;ivan@x.ru\n".encode()), "r.csv")}
    assert outsider.post("/promotion/responses/import", upload, content_type="multipart/form-data").status_code == 403
    with app.app_context():
        r = db.session.get(Response, rid)
        assert r.status == "new" and r.deal_id is None and r.handled_by_id is None
        assert db.session.scalar(select(func.count(Response.id))) == 1
        assert db.session.scalar(select(func.count(Deal.id))) == 0
    auth.login(make_user("staff", "promotion"))
    assert auth.post(f"/promotion/responses/{rid}/status", {"status": "qualified"}, htmx=True).status_code == 200
