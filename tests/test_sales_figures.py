"""The sales figures for boards and dashboards: honest values, and None with a note when data is missing."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from app.extensions import db
from app.models.activities import Activity
from app.models.materials import Material
from app.models.week_plans import PlanTask, WeekPlan
from app.services import figures, weeks
from tests import sales_support

NAMES = ("materials_coverage_share", "materials_in_won_deals_share", "sellers_with_plan_share",
         "last_week_tasks_done_share", "plan_realism_trend", "top_combinations_revenue_share", "surveys_answered",
         "deals_with_recent_activity_share", "win_rate")


def test_every_sales_figure_is_registered_and_unknown_without_data(app):
    with app.test_request_context():
        assert set(NAMES) <= figures.names()
        shown = {n: figures.compute(db.session, n) for n in NAMES}
    assert shown["surveys_answered"].value == 0
    for name, f in shown.items():
        if name != "surveys_answered":
            assert f.value is None and f.note, name


def test_figures_follow_the_data(app, make_user):
    seller = make_user("staff", "sales")
    make_user("staff", "sales")
    today = date.today()
    with app.app_context():
        pump = sales_support.product(db.session, "Pump X", "Pumps")
        corp = sales_support.company(db.session, "Big Corp", "corporate", manager_id=seller.id)
        sales_support.deal(db.session, corp, seller.id, "won", today, [(pump, 9000)])
        sales_support.deal(db.session, corp, seller.id, "lost", today, [(pump, 100)])
        open_deal = sales_support.deal(db.session, corp, seller.id, "new", lines=[(pump, 50)])
        sales_support.deal(db.session, corp, seller.id, "proposal", lines=[(pump, 50)])
        db.session.add(Activity(kind="call", company_id=corp.id, deal_id=open_deal.id, author_id=seller.id,
                                occurred_at=datetime.now(timezone.utc)))
        m = Material(title="Sheet", kind="data_sheet", link="https://x.example", products=[pump],
                     client_types=[sales_support.client_type(db.session, "corporate")])
        db.session.add(m)
        week = weeks.monday(today)
        for i, (done_share, ws) in enumerate(((1, week - timedelta(days=14)), (0.5, week - timedelta(days=7)))):
            p = WeekPlan(seller_id=seller.id, week_start=ws)
            p.tasks = [PlanTask(company_id=corp.id, action="call", expected_result="x", done=True),
                       PlanTask(company_id=corp.id, action="call", expected_result="y", done=done_share == 1)]
            db.session.add(p)
        this = WeekPlan(seller_id=seller.id, week_start=week)
        this.tasks = [PlanTask(company_id=corp.id, action="call", expected_result="z")]
        db.session.add(this)
        db.session.commit()
    with app.test_request_context():
        f = {n: figures.compute(db.session, n, today) for n in NAMES}
    assert f["materials_coverage_share"].value == 1 / 5
    assert f["win_rate"].value == 0.5
    assert f["sellers_with_plan_share"].value == 0.5
    assert f["last_week_tasks_done_share"].value == 0.5
    assert f["plan_realism_trend"].value == -0.5
    assert f["top_combinations_revenue_share"].value == 1.0
    assert f["deals_with_recent_activity_share"].value == 0.5
    assert f["materials_in_won_deals_share"].value == 0.0


def test_custody_page_shows_each_sellers_logged_share_and_silent_deals(app, auth, make_user):
    seller = make_user("staff", "sales", name="Quiet Quinn")
    with app.app_context():
        pump = sales_support.product(db.session, "Pump X", "Pumps")
        corp = sales_support.company(db.session, "Big Corp", manager_id=seller.id)
        logged = sales_support.deal(db.session, corp, seller.id, "new", lines=[(pump, 10)], title="Logged deal")
        sales_support.deal(db.session, corp, seller.id, "proposal", lines=[(pump, 10)], title="Ghost deal")
        db.session.add(Activity(kind="call", company_id=corp.id, deal_id=logged.id, author_id=seller.id,
                                occurred_at=datetime.now(timezone.utc) - timedelta(days=30)))
        db.session.commit()
    auth.login(make_user("head", "sales"))
    page = auth.get("/sales/custody?days=60").get_data(as_text=True)
    assert "Quiet Quinn" in page and "50%" in page and "100%" in page and "Ghost deal" in page
    assert "Logged deal" not in page.split('id="silent-deals"')[1]
    short = auth.get("/sales/custody?days=7").get_data(as_text=True)
    assert "0%" in short
    overview = auth.get("/sales/").get_data(as_text=True)
    assert 'data-figure="win_rate"' in overview


def test_the_sales_area_speaks_russian(auth, make_user):
    auth.login(make_user("staff", "sales"))
    page = auth.get("/sales/materials/coverage", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert "Материалы по товарам и типам клиентов" in page and "Покрытие" in page
    revenue_page = auth.get("/sales/revenue", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert "Сочетания, дающие 80 % выручки" in revenue_page
