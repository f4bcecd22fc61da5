"""Dept 6's week: a plan drafted from suggestions, tasks done by logging activities, the head's review."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select

from app.extensions import db
from app.models.activities import Activity
from app.models.week_plans import PlanTask, WeekPlan
from app.services import week_plans, weeks
from tests import sales_support

MONDAY = weeks.monday(date.today())


def _seller_with_clients(app, make_user):
    seller = make_user("staff", "sales", name="Sam Seller")
    with app.app_context():
        p = sales_support.product(db.session, "Pump X", "Pumps")
        silent = sales_support.company(db.session, "Silent Ltd", manager_id=seller.id)
        busy = sales_support.company(db.session, "Busy Ltd", manager_id=seller.id)
        db.session.add(Activity(kind="call", company_id=busy.id, author_id=seller.id, subject="hello",
                                occurred_at=datetime.now(timezone.utc)))
        open_deal = sales_support.deal(db.session, busy, seller.id, "proposal", lines=[(p, 900)], title="Pumps for Busy")
        db.session.commit()
        return seller, silent.id, busy.id, open_deal.id


def test_suggestions_name_stalled_deals_and_silent_clients(app, auth, make_user):
    seller, silent_id, busy_id, deal_id = _seller_with_clients(app, make_user)
    auth.login(seller)
    page = auth.get("/sales/plans").get_data(as_text=True)
    assert f'value="deal:{deal_id}"' in page and "Open deal with no step" in page
    assert f'value="client:{silent_id}"' in page and "Never contacted" in page
    assert f'value="client:{busy_id}"' not in page  # contacted today


def test_a_seller_drafts_completes_and_reviews_the_week(app, auth, make_user):
    seller, silent_id, busy_id, deal_id = _seller_with_clients(app, make_user)
    auth.login(seller)
    resp = auth.post("/sales/plans/draft", {"seller": seller.id, "week": MONDAY.isoformat(),
                                            "keys": [f"deal:{deal_id}", f"client:{silent_id}", "client:999999"]},
                     htmx=True)
    body = resp.get_data(as_text=True)
    assert "Silent Ltd" in body and "Pumps for Busy" in body
    with app.app_context():
        plan = db.session.scalar(select(WeekPlan))
        assert [t.source for t in plan.tasks] == ["deal", "client"]
        task_id = plan.tasks[1].id
        plan_id = plan.id

    done = auth.post(f"/sales/plans/tasks/{task_id}/complete", {"outcome": "They plan a tender"}, htmx=True)
    assert done.status_code == 200 and 'id="task-%d" class="task-done"' % task_id in done.get_data(as_text=True)
    with app.app_context():
        task = db.session.get(PlanTask, task_id)
        activity = db.session.get(Activity, task.activity_id)
        assert task.done and activity.kind == "call" and activity.company_id == silent_id
        assert activity.author_id == seller.id and activity.outcome == "They plan a tender"

    auth.post(f"/sales/plans/{plan_id}/status", {"status": "submitted"}, htmx=True)
    assert auth.post(f"/sales/plans/{plan_id}/status", {"status": "approved"}, htmx=True).status_code == 403

    sales_support.switch_user(auth, make_user("head", "sales"))
    team = auth.get(f"/sales/plans/team?week={MONDAY.isoformat()}").get_data(as_text=True)
    assert "Sam Seller" in team and "1 / 2" in team and "50%" in team
    auth.post(f"/sales/plans/{plan_id}/status", {"status": "approved", "back": "team"})
    with app.app_context():
        assert db.session.get(WeekPlan, plan_id).status == "approved"

    review = {"worked": "Calling silent clients", "not_worked": "Cold proposals",
              f"done_{task_id}": "1", f"successful_{task_id}": "yes", f"outcome_{task_id}": "Tender in May"}
    auth.post(f"/sales/plans/{plan_id}/review", review)
    with app.app_context():
        plan = db.session.get(WeekPlan, plan_id)
        assert plan.worked == "Calling silent clients" and plan.reviewed_at is not None
        assert plan.tasks[0].done is False and plan.tasks[1].successful is True


def test_next_weeks_draft_carries_undone_tasks_successes_and_the_review(app, auth, make_user):
    seller, silent_id, busy_id, deal_id = _seller_with_clients(app, make_user)
    last_monday = MONDAY - timedelta(days=7)
    with app.app_context():
        plan = WeekPlan(seller_id=seller.id, week_start=last_monday, worked="Demo days", not_worked="Price lists")
        plan.tasks = [PlanTask(company_id=silent_id, action="meeting", expected_result="Demo", done=True,
                               successful=True, outcome="Wants a trial"),
                      PlanTask(company_id=busy_id, action="proposal", expected_result="Send offer")]
        db.session.add(plan)
        db.session.commit()
        ids = [t.id for t in plan.tasks]
    auth.login(seller)
    page = auth.get("/sales/plans").get_data(as_text=True)
    assert f'value="success:{ids[0]}"' in page and "Follow up: Wants a trial" in page
    assert f'value="undone:{ids[1]}"' in page and "Not done last week" in page
    assert "Demo days" in page and "Price lists" in page
    auth.post("/sales/plans/draft", {"seller": seller.id, "week": MONDAY.isoformat(), "keys": [f"undone:{ids[1]}"]})
    again = auth.get("/sales/plans").get_data(as_text=True)
    assert f'value="undone:{ids[1]}"' not in again


def test_plan_vs_actual_counts_meetings_and_won_revenue(app, make_user):
    seller = make_user("staff", "sales")
    with app.app_context():
        p = sales_support.product(db.session, "Pump X", "Pumps")
        c = sales_support.company(db.session, "Vector", manager_id=seller.id)
        sales_support.deal(db.session, c, seller.id, "won", MONDAY, [(p, 1500)])
        db.session.add(Activity(kind="meeting", company_id=c.id, author_id=seller.id, subject="m",
                                occurred_at=datetime.combine(MONDAY, datetime.min.time(), tzinfo=timezone.utc)))
        plan = WeekPlan(seller_id=seller.id, week_start=MONDAY)
        plan.tasks = [PlanTask(company_id=c.id, action="meeting", expected_result="x", done=True),
                      PlanTask(company_id=c.id, action="proposal", expected_result="y")]
        db.session.add(plan)
        db.session.commit()
        user = db.session.get(week_plans.User, seller.id)
        pva = week_plans.plan_vs_actual(db.session, [user], MONDAY)
        row = pva["rows"][0]
        assert (row["tasks"], row["done"], row["meetings"], row["meetings_planned"]) == (2, 1, 1, 1)
        assert (row["proposals_planned"], row["proposals_sent"], row["deals_won"]) == (1, 0, 1)
        assert row["revenue"] == 1500 and row["realism"] == 0.5
        weeks = week_plans.history(db.session, [seller.id], MONDAY, weeks=2)
        assert weeks[-1]["realism"] == 0.5 and weeks[0]["realism"] is None


def test_a_seller_cannot_open_another_sellers_plan(auth, make_user):
    other = make_user("staff", "sales")
    auth.login(make_user("staff", "sales"))
    assert auth.get(f"/sales/plans?seller={other.id}").status_code == 403


def test_a_task_needs_a_client_and_an_expected_result(app, auth, make_user):
    seller = make_user("staff", "sales")
    auth.login(seller)
    resp = auth.post("/sales/plans/tasks", {"seller": seller.id, "week": MONDAY.isoformat(), "action": "call",
                                            "expected_result": "x"}, htmx=True)
    assert resp.status_code == 422 and "Choose the client." in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(PlanTask)) is None


def test_a_task_typed_in_for_a_deal_takes_its_client_and_contact(app, auth, make_user):
    seller, silent_id, busy_id, deal_id = _seller_with_clients(app, make_user)
    auth.login(seller)
    page = auth.get("/sales/plans").get_data(as_text=True)
    assert f'<option value="{deal_id}">Pumps for Busy' in page
    resp = auth.post("/sales/plans/tasks", {"seller": seller.id, "week": MONDAY.isoformat(), "deal_id": deal_id,
                                            "action": "meeting", "expected_result": "Sign the order"}, htmx=True)
    assert resp.status_code == 200 and "Sign the order" in resp.get_data(as_text=True)
    wrong = auth.post("/sales/plans/tasks", {"seller": seller.id, "week": MONDAY.isoformat(), "deal_id": deal_id,
                                             "company_id": silent_id, "action": "call", "expected_result": "x"},
                      htmx=True)
    assert wrong.status_code == 422 and "This deal belongs to another client." in wrong.get_data(as_text=True)
    with app.app_context():
        task = db.session.scalar(select(PlanTask))
        assert (task.company_id, task.deal_id) == (busy_id, deal_id)


def test_the_team_week_and_the_whole_teams_history_are_the_heads_not_each_sellers(app, auth, make_user):
    seller, *_ = _seller_with_clients(app, make_user)
    other = make_user("staff", "sales", name="Olga Other")
    with app.app_context():
        plan = WeekPlan(seller_id=other.id, week_start=MONDAY - timedelta(days=7), status="approved",
                        worked="My private lesson", reviewed_at=datetime.now(timezone.utc))
        db.session.add(plan)
        db.session.commit()
    auth.login(seller)
    assert auth.get(f"/sales/plans/team?week={MONDAY.isoformat()}").status_code == 403
    history = auth.get("/sales/plans/history").get_data(as_text=True)
    assert "My private lesson" not in history and "Olga Other" not in history and "Sam Seller" in history
    assert auth.get(f"/sales/plans/history?seller={other.id}").status_code == 403
    sales_support.switch_user(auth, make_user("head", "promotion"))
    assert auth.get(f"/sales/plans/team?week={MONDAY.isoformat()}").status_code == 403
    sales_support.switch_user(auth, make_user("head", "sales"))
    assert auth.get(f"/sales/plans/team?week={MONDAY.isoformat()}").status_code == 200
    assert "My private lesson" in auth.get("/sales/plans/history").get_data(as_text=True)
