"""Campaigns, the year's plan and the analysis of every campaign, with the promotion figures."""
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import select

from app.extensions import db
from app.models import Activity, Campaign, Deal, PromotionPlan
from app.services import campaign_analysis, campaigns, figures, promotion_plan
from app.services import responses as responses_service
from tests.promotion_support import make_campaign, make_client


def _channel_id(app, code="email"):
    with app.app_context():
        channel_id = next(c.id for c in campaigns.channels(db.session) if c.code == code)
        db.session.commit()
        return channel_id


def test_promotion_staff_create_a_campaign_in_the_years_plan(app, auth, make_user):
    year = date.today().year
    auth.login(make_user("staff", "promotion"))
    form = auth.get(f"/promotion/campaigns/new?year={year}").get_data(as_text=True)
    assert "New campaign" in form and f'name="plan_year" value="{year}"' in form
    with app.app_context():  # opening the form writes nothing: the plan is made when the campaign is saved
        assert db.session.scalar(select(PromotionPlan.id).where(PromotionPlan.year == year)) is None
    resp = auth.post("/promotion/campaigns/new", {
        "name": "Насосы для ЖКХ", "channel_id": _channel_id(app, "postal"), "status": "planned", "plan_year": year,
        "starts_on": f"{year}-03-01", "ends_on": f"{year}-03-31", "planned_budget": "150,000.50",
        "materials": "Буклет НП-100\nСхема подключения"})
    assert resp.status_code == 302
    page = auth.get(resp.location).get_data(as_text=True)
    assert "Насосы для ЖКХ" in page and "Схема подключения" in page
    plan = auth.get(f"/promotion/plan/{year}").get_data(as_text=True)
    assert "Насосы для ЖКХ" in plan and "timeline-bar" in plan


def test_bad_campaign_input_is_shown_next_to_the_field_and_nothing_is_saved(app, auth, make_user):
    auth.login(make_user("staff", "promotion"))
    resp = auth.post("/promotion/campaigns/new", {"name": "X", "channel_id": _channel_id(app),
                                                  "starts_on": "2026-05-10", "ends_on": "2026-05-01"})
    assert resp.status_code == 422 and "The end is before the start." in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Campaign.id)) is None


def test_a_stale_campaign_save_is_refused_and_shows_what_changed(app, auth, make_user):
    with app.app_context():
        cid = make_campaign("Original")
        campaign = db.session.get(Campaign, cid)
        campaign.name = "Changed by a colleague"
        db.session.commit()
    auth.login(make_user("staff", "promotion"))
    resp = auth.post(f"/promotion/campaigns/{cid}/edit", {"name": "Mine", "channel_id": _channel_id(app),
                                                          "version": 1})
    assert resp.status_code == 409 and "Changed by a colleague" in resp.get_data(as_text=True)


def test_other_units_can_read_campaigns_but_not_change_them(app, auth, make_user):
    with app.app_context():
        cid = make_campaign()
    auth.login(make_user("staff", "sales"))
    assert auth.get(f"/promotion/campaigns/{cid}").status_code == 200
    assert auth.post(f"/promotion/campaigns/{cid}/spend", {"amount": "1"}).status_code == 403


def test_plan_budget_planned_vs_actual_and_copy_from_last_year(app, auth, make_user):
    year = date.today().year
    auth.login(make_user("head", "promotion"))
    email = _channel_id(app, "email")
    saved = auth.post(f"/promotion/plan/{year - 1}/budget", {f"b-3-{email}": "10000", f"b-4-{email}": "5000"},
                      htmx=True)
    assert saved.status_code == 200
    with app.app_context():
        cid = make_campaign("Last year's mailing", starts_on=date(year - 1, 3, 1), ends_on=date(year - 1, 3, 20))
        campaigns.add_spend(db.session, cid, date(year - 1, 3, 5), Decimal("12000"), "printing", None)
        db.session.commit()
    view = auth.get(f"/promotion/plan/{year - 1}").get_data(as_text=True)
    assert "Last year&#39;s mailing" in view and 'class="num over"' in view
    copied = auth.post(f"/promotion/plan/{year}/copy", htmx=True)
    assert copied.status_code == 200 and "Last year&#39;s mailing" in copied.get_data(as_text=True)
    with app.app_context():
        plan = db.session.scalar(select(PromotionPlan).where(PromotionPlan.year == year))
        assert plan.status == "draft" and sum(b.amount for b in plan.budget_lines) == Decimal("15000")
        new = db.session.scalars(select(Campaign).where(Campaign.plan_id == plan.id)).one()
        assert new.starts_on == date(year, 3, 1) and new.status == "planned" and not new.spend
    again = auth.post(f"/promotion/plan/{year}/copy", htmx=True)
    assert again.status_code == 422 and "already has content" in again.get_data(as_text=True)


def test_analysis_compares_campaigns_channels_and_sellers(app, auth, make_user):
    seller = make_user("staff", "sales")
    today = date.today()
    with app.app_context():
        mail = make_campaign("Mailing A", channel="email")
        expo = make_campaign("Expo B", channel="exhibition")
        campaigns.add_spend(db.session, mail, today, Decimal("1000"), "send", None)
        campaigns.add_spend(db.session, expo, today, Decimal("9000"), "stand", None)
        company_id, _ = make_client(email="buyer@a.ru")
        now = datetime.now(timezone.utc) - timedelta(hours=30)
        r = responses_service.record_response(db.session, responses_service.ResponseInput(campaign_id=mail, email="buyer@a.ru",
                                                                          received_at=now, handled_by_id=seller.id))
        responses_service.record_response(db.session, responses_service.ResponseInput(campaign_id=mail, email="other@b.ru",
                                                                      received_at=now, handled_by_id=seller.id))
        responses_service.record_response(db.session, responses_service.ResponseInput(campaign_id=None, email="who@c.ru",
                                                                      received_at=now))
        db.session.add(Activity(kind="call", company_id=company_id, occurred_at=now + timedelta(hours=6), subject="call"))
        responses_service.set_status(db.session, r.id, "converted", user_id=seller.id)
        deal = db.session.get(Deal, r.deal_id)
        deal.stage, deal.amount, deal.closed_on = "won", Decimal("5000"), today
        db.session.commit()
        a = campaign_analysis.analyse(db.session, today - timedelta(days=7), today, "en")
        stats = {s.label: s for s in a.campaigns}
        m = stats["Mailing A"]
        assert (m.responses, m.qualified, m.deals, m.won_revenue) == (2, 1, 1, Decimal("5000"))
        assert m.cost_per_response == Decimal("500.00") and m.cost_per_won_deal == Decimal("1000.00")
        assert m.return_on_spend == 5.0 and m.hours_to_first_contact == 6.0
        assert a.unknown.responses == 1
        assert [(s.label, s.responses, s.deals) for s in a.sellers if s.key] == [(seller.name, 2, 1)]
    auth.login(make_user("staff", "promotion"))
    page = auth.get("/promotion/analysis?sort=spend&dir=desc", htmx=True).get_data(as_text=True)
    assert page.index("Expo B") < page.index("Mailing A")
    assert "Responses per week" in page and 'class="bar"' in page
    asc = auth.get("/promotion/analysis?sort=spend&dir=asc", htmx=True).get_data(as_text=True)
    assert asc.index("Mailing A") < asc.index("Expo B")


def test_an_old_campaign_entered_after_the_fact_counts_in_the_analysis(app):
    with app.app_context():
        cid = make_campaign("Expo 2019", channel="exhibition", status="finished", starts_on=date(2019, 4, 1),
                            ends_on=date(2019, 4, 5), past_responses=40, past_deals=4,
                            past_won_revenue=Decimal("800000"))
        campaigns.add_spend(db.session, cid, date(2019, 3, 20), Decimal("200000"), "stand", None)
        db.session.commit()
        s = campaign_analysis.analyse(db.session, date(2019, 1, 1), date(2019, 12, 31), "en").campaigns[0]
        assert (s.responses, s.won_deals, s.return_on_spend, s.cost_per_response) == (40, 4, 4.0, Decimal("5000.00"))


def test_promotion_figures(app):
    today = date.today()
    with app.test_request_context():
        assert figures.compute(db.session, "responses_known_source_share", today).value is None
        assert figures.compute(db.session, "promotion_plan_exists", today).value == 0
        running = make_campaign("Now", status="running")
        finished = make_campaign("Done", status="finished")
        make_campaign("Done too", status="finished")
        campaigns.mark_analysed(db.session, finished, "Calls converted better than mail.")
        responses_service.record_response(db.session, responses_service.ResponseInput(campaign_id=running, email="a@a.ru"))
        responses_service.record_response(db.session, responses_service.ResponseInput(campaign_id=running, email="a@a.ru"))
        responses_service.record_response(db.session, responses_service.ResponseInput(campaign_id=None, email="b@b.ru"))
        plan = promotion_plan.ensure_plan(db.session, today.year, None)
        promotion_plan.save_budget(db.session, plan.id, {(1, campaigns.channels(db.session)[0].id): Decimal("1000")})
        campaigns.add_spend(db.session, running, today, Decimal("500"), "ads", None)
        db.session.commit()
        value = lambda name: figures.compute(db.session, name, today).value  # noqa: E731
        assert value("responses_this_week") == 2
        assert value("responses_known_source_share") == 0.5
        assert value("unknown_source_responses") == 1
        assert value("campaigns_analysed_share") == 0.5
        assert value("campaigns_running") == 1
        assert value("promotion_plan_exists") == 1
        assert value("plan_spend_share") == 0.5
        assert value("responses_to_deals_ratio") == 0.0
        assert figures.compute(db.session, "clients_from_promotion_share", today).value is None


def test_promotion_pages_speak_russian(app, auth, make_user):
    with app.app_context():
        cid = make_campaign("Рассылка")
    auth.login(make_user("staff", "promotion"))
    auth.post("/language", {"lang": "ru", "next": "/"})
    assert f"План продвижения на {date.today().year}" in auth.get(f"/promotion/plan/{date.today().year}").get_data(as_text=True)
    page = auth.get(f"/promotion/campaigns/{cid}").get_data(as_text=True)
    assert "Публичная форма отклика" in page and "идёт" in page
    assert "Какая кампания привела к нам?" in auth.get("/promotion/responses/new", htmx=True).get_data(as_text=True)
