"""Request figures per manager, department and client; the registered live figures; reminders."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select, update

from app.extensions import db
from app.models.client_requests import ClientRequest, RequestRoute
from app.models.notifications import Notification
from app.services import client_requests, figures
from app.services.client_request_figures import request_figures
from tests.key_accounts_support import key_account, login_as, unit_id


def _request(app, ids, manager_id, units, due=None, subject="Samples"):
    with app.app_context():
        data = client_requests.NewRequest(company_id=ids["company_id"], subject=subject, unit_ids=units,
                                   due_on=due or date.today() + timedelta(days=3))
        request_id = client_requests.register_request(db.session, data, manager_id, app.config["UPLOAD_DIR"]).id
        db.session.commit()
        return request_id


def test_median_and_90th_percentile_are_nearest_rank_over_the_durations(app, make_user):
    manager, lawyer = make_user("staff", "accounts"), make_user("staff", "legal")
    ids = key_account(app, manager.id)
    legal = unit_id(app, "legal")
    hours = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    for h in hours:
        rid = _request(app, ids, manager.id, [legal])
        with app.app_context():
            route = db.session.scalar(select(RequestRoute).where(RequestRoute.request_id == rid))
            client_requests.answer(db.session, route.id, "ok", lawyer.id)
            db.session.execute(update(RequestRoute).where(RequestRoute.id == route.id)
                               .values(first_answer_secs=h * 3600))
            db.session.execute(update(ClientRequest).where(ClientRequest.id == rid)
                               .values(first_answer_secs=h * 3600))
            db.session.commit()
    with app.test_request_context():
        data = request_figures(db.session, date.today())
    (dept,) = data["departments"]
    (mgr,) = data["managers"]
    assert (dept.requests, dept.p50_answer, dept.p90_answer) == (10, 5 * 3600, 9 * 3600)
    assert (mgr.requests, mgr.p50_answer, mgr.p90_answer) == (10, 5 * 3600, 9 * 3600)
    assert mgr.p50_close is None and data["clients"][0].requests == 10


def test_closing_late_and_reopening_show_in_the_figures_and_the_live_figures(app, make_user):
    manager, lawyer = make_user("staff", "accounts"), make_user("staff", "legal")
    ids = key_account(app, manager.id)
    legal = unit_id(app, "legal")
    with app.test_request_context():
        assert figures.compute(db.session, "requests_overdue").value is None
        assert figures.compute(db.session, "requests_closed_on_time_share").value is None
    on_time, late, waiting = (_request(app, ids, manager.id, [legal], subject=s) for s in ("A", "B", "C"))
    with app.app_context():
        for rid in (on_time, late):
            route_id = db.session.scalar(select(RequestRoute.id).where(RequestRoute.request_id == rid))
            client_requests.answer(db.session, route_id, "done", lawyer.id)
        client_requests.close(db.session, on_time, "confirmed", manager.id)
        db.session.execute(update(ClientRequest).where(ClientRequest.id.in_([late, waiting]))
                           .values(due_on=date.today() - timedelta(days=1)))
        db.session.commit()
        client_requests.close(db.session, late, "confirmed", manager.id)
        client_requests.reopen(db.session, on_time, "one more question", manager.id)
        route_id = db.session.scalar(select(RequestRoute.id).where(RequestRoute.request_id == on_time))
        client_requests.answer(db.session, route_id, "more detail", lawyer.id)
        client_requests.close(db.session, on_time, "confirmed again", manager.id)
        db.session.commit()
    with app.test_request_context():
        overdue = figures.compute(db.session, "requests_overdue")
        share = figures.compute(db.session, "requests_closed_on_time_share")
    assert (overdue.value, overdue.status) == (1, "bad")
    assert (share.value, share.status) == (0.5, "bad")
    with app.test_request_context():
        (mgr,) = request_figures(db.session, date.today())["managers"]
    assert (mgr.requests, mgr.closed_with_date, mgr.closed_on_time, mgr.reopened, mgr.overdue_open) == (3, 2, 1, 1, 1)
    assert mgr.on_time_share == 0.5 and mgr.keeps_waiting


def test_the_figures_page_shows_managers_departments_and_clients(app, auth, make_user):
    manager = make_user("staff", "accounts")
    ids = key_account(app, manager.id, name="Vasilek")
    _request(app, ids, manager.id, [unit_id(app, "production")])
    login_as(auth, manager)
    page = auth.get("/accounts/figures?period=90").get_data(as_text=True)
    assert manager.name in page and "Vasilek" in page and "Production" in page


def test_reminders_reach_the_department_and_the_manager_once_with_a_link(app, make_user):
    manager, clerk = make_user("staff", "accounts"), make_user("staff", "logistics")
    ids = key_account(app, manager.id)
    soon = _request(app, ids, manager.id, [unit_id(app, "logistics")], due=date.today() + timedelta(days=1),
                    subject="Soon")
    late = _request(app, ids, manager.id, [unit_id(app, "logistics")], subject="Late")
    with app.app_context():
        db.session.execute(update(ClientRequest).where(ClientRequest.id == late)
                           .values(due_on=date.today() - timedelta(days=1)))
        db.session.commit()
        from app.key_accounts.jobs import send_request_reminders

        first = send_request_reminders()
        assert "2 due-soon and 2 overdue" in first["text"]
        assert client_requests.send_reminders(db.session, date.today()) == {"due_soon": 0, "overdue": 0}
        rows = db.session.execute(select(Notification.user_id, Notification.kind, Notification.url)
                                  .where(Notification.kind.like("request_%due%") | (Notification.kind ==
                                                                                     "request_overdue"))).all()
    assert {(u, k) for u, k, _ in rows} == {(manager.id, "request_due_soon"), (clerk.id, "request_due_soon"),
                                           (manager.id, "request_overdue"), (clerk.id, "request_overdue")}
    assert {url for _, _, url in rows} == {f"/accounts/requests/{soon}", f"/accounts/requests/{late}"}


def test_the_reminder_job_is_scheduled():
    from app.schedule import SCHEDULE

    assert "app.key_accounts.jobs.send_request_reminders" in [s.func for s in SCHEDULE]


def test_the_company_timeline_shows_requests_and_their_steps(app, make_user):
    manager, lawyer = make_user("staff", "accounts"), make_user("staff", "legal")
    ids = key_account(app, manager.id)
    rid = _request(app, ids, manager.id, [unit_id(app, "legal")], subject="Warranty terms")
    with app.app_context():
        route_id = db.session.scalar(select(RequestRoute.id).where(RequestRoute.request_id == rid))
        client_requests.answer(db.session, route_id, "24 months", lawyer.id)
        db.session.commit()
    with app.test_request_context():
        from app.services.timeline import company_timeline

        items = company_timeline(db.session, ids["company_id"])
    titles = [i.title for i in items if i.kind == "request"]
    assert titles[0] == "Answered: Warranty terms" and "Registered: Warranty terms" in titles
    assert items[0].url == f"/accounts/requests/{rid}"
    with app.test_request_context():
        older = company_timeline(db.session, ids["company_id"], before=datetime.now(timezone.utc) - timedelta(days=1))
    assert older == []
