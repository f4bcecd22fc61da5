"""Client requests: registered by the account manager, answered by departments, relayed, closed, reopened."""
from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update

from app.extensions import db
from app.models.client_requests import ClientRequest, RequestRoute
from app.models.notifications import Notification
from tests.key_accounts_support import key_account, login_as, unit_id


def _register(auth, ids, units, subject="Price list for 2027", due=None, **extra):
    data = {"company_id": ids["company_id"], "subject": subject, "details": "They need it for a tender",
            "contact_id": ids["contact_id"], "channel": "email", "unit_ids": units,
            "due_on": (due or date.today() + timedelta(days=5)).isoformat(), **extra}
    return auth.post("/accounts/requests/new", data=data, content_type="multipart/form-data")


def _only_request(app) -> ClientRequest:
    with app.app_context():
        return db.session.scalars(select(ClientRequest)).one()


def _route_id(app, request_id, code):
    uid = unit_id(app, code)
    with app.app_context():
        return db.session.scalar(select(RequestRoute.id).where(RequestRoute.request_id == request_id,
                                                               RequestRoute.unit_id == uid))


def test_a_request_goes_to_each_chosen_department_and_its_members_are_told(app, auth, make_user):
    manager = make_user("staff", "accounts")
    lawyer = make_user("staff", "legal")
    ids = key_account(app, manager.id)
    login_as(auth, manager)
    resp = _register(auth, ids, [unit_id(app, "legal"), unit_id(app, "logistics")],
                     files=(io.BytesIO(b"%PDF-1.4 spec"), "spec.pdf"))
    assert resp.status_code == 302
    req = _only_request(app)
    page = auth.get(f"/accounts/requests/{req.id}").get_data(as_text=True)
    assert "Price list for 2027" in page and "Irina Petrova" in page and "spec.pdf" in page
    assert page.count('data-route-status="new"') == 2
    with app.app_context():
        texts = db.session.scalars(select(Notification.text).where(Notification.user_id == lawyer.id)).all()
    assert any("Price list for 2027" in t for t in texts)
    login_as(auth, lawyer)
    inbox = auth.get("/accounts/inbox").get_data(as_text=True)
    assert "Price list for 2027" in inbox
    download = auth.get(f"/accounts/attachments/{_attachment_id(app)}")
    assert download.status_code == 200 and download.data == b"%PDF-1.4 spec"


def _registered(app, auth, ids, manager, unit_code: str) -> ClientRequest:
    """The manager signs in and registers the request for one department."""
    login_as(auth, manager)
    _register(auth, ids, [unit_id(app, unit_code)])
    return _only_request(app)


def _answered_by_legal(app, auth, ids, manager, lawyer) -> ClientRequest:
    """The manager registers a request for Legal, and Legal answers it."""
    from app.services import client_requests

    req = _registered(app, auth, ids, manager, "legal")
    with app.app_context():
        client_requests.answer(db.session, _route_id(app, req.id, "legal"), "done", lawyer.id)
        db.session.commit()
    return req


def _attachment_id(app):
    from app.models.client_requests import RequestAttachment

    with app.app_context():
        return db.session.scalar(select(RequestAttachment.id))


def test_the_answer_is_relayed_and_the_request_closed_with_the_clients_confirmation(app, auth, make_user):
    manager = make_user("staff", "accounts")
    lawyer = make_user("staff", "legal")
    ids = key_account(app, manager.id)
    login_as(auth, manager)
    _register(auth, ids, [unit_id(app, "legal"), unit_id(app, "logistics")])
    req = _only_request(app)
    route = _route_id(app, req.id, "legal")
    login_as(auth, lawyer)
    assert auth.post(f"/accounts/requests/{req.id}/routes/{route}/accept", htmx=True).status_code == 200
    page = auth.post(f"/accounts/requests/{req.id}/routes/{route}/answer", {"text": "Contract clause 4 allows it"},
                     htmx=True).get_data(as_text=True)
    assert "Contract clause 4 allows it" in page
    login_as(auth, manager)
    page = auth.get(f"/accounts/requests/{req.id}").get_data(as_text=True)
    assert "Contract clause 4 allows it" in page and 'data-route-status="answered"' in page
    page = auth.post(f"/accounts/requests/{req.id}/routes/{route}/relay", {"text": "by phone"},
                     htmx=True).get_data(as_text=True)
    assert "relayed to the client" in page
    page = auth.post(f"/accounts/requests/{req.id}/close", {"confirmation": "Irina confirmed by email"},
                     htmx=True).get_data(as_text=True)
    assert "Irina confirmed by email" in page and 'data-step="closed"' in page
    with app.app_context():
        closed = db.session.get(ClientRequest, req.id)
        assert closed.status == "closed" and closed.closed_on_time is True
        assert closed.first_answer_secs is not None and closed.close_secs >= closed.first_answer_secs
        kinds = [s.kind for s in closed.steps]
    assert kinds[:1] == ["registered"] and {"sent", "accepted", "answered", "relayed", "closed"} <= set(kinds)


def test_closing_needs_the_clients_confirmation(app, auth, make_user):
    manager, lawyer = make_user("staff", "accounts"), make_user("staff", "legal")
    ids = key_account(app, manager.id)
    req = _answered_by_legal(app, auth, ids, manager, lawyer)
    resp = auth.post(f"/accounts/requests/{req.id}/close", {"confirmation": "  "}, htmx=True)
    assert resp.status_code == 422 and "Write who confirmed and how." in resp.get_data(as_text=True)
    assert _only_request(app).status == "answered"


def test_a_department_asks_back_and_the_manager_brings_the_clients_reply(app, auth, make_user):
    manager, clerk = make_user("staff", "accounts"), make_user("staff", "logistics")
    ids = key_account(app, manager.id)
    req = _registered(app, auth, ids, manager, "logistics")
    route = _route_id(app, req.id, "logistics")
    login_as(auth, clerk)
    page = auth.post(f"/accounts/requests/{req.id}/routes/{route}/ask", {"text": "Which warehouse?"},
                     htmx=True).get_data(as_text=True)
    assert "Which warehouse?" in page and 'data-route-status="asked"' in page
    login_as(auth, manager)
    page = auth.post(f"/accounts/requests/{req.id}/routes/{route}/clarify", {"text": "Kazan"},
                     htmx=True).get_data(as_text=True)
    assert 'data-route-status="accepted"' in page and "Kazan" in page


def test_a_request_can_be_reopened_and_the_departments_get_it_again(app, auth, make_user):
    manager, lawyer = make_user("staff", "accounts"), make_user("staff", "legal")
    ids = key_account(app, manager.id)
    req = _answered_by_legal(app, auth, ids, manager, lawyer)
    with app.app_context():
        from app.services import client_requests

        client_requests.close(db.session, req.id, "ok by phone", manager.id)
        db.session.commit()
    page = auth.post(f"/accounts/requests/{req.id}/reopen", {"reason": "The client found a mistake"},
                     htmx=True).get_data(as_text=True)
    assert "The client found a mistake" in page and 'data-route-status="new"' in page
    assert _only_request(app).reopened_count == 1
    login_as(auth, lawyer)
    assert "Price list for 2027" in auth.get("/accounts/inbox").get_data(as_text=True)


def test_a_request_splits_into_sub_requests_per_department(app, auth, make_user):
    manager = make_user("staff", "accounts")
    ids = key_account(app, manager.id)
    req = _registered(app, auth, ids, manager, "sales")
    page = auth.post(f"/accounts/requests/{req.id}/split",
                     {"unit_id": [unit_id(app, "accounting"), unit_id(app, "production")],
                      "subject": ["Invoice copy", "Delivery slot"], "details": ["", ""]},
                     htmx=True).get_data(as_text=True)
    assert "Invoice copy" in page and "Delivery slot" in page
    with app.app_context():
        children = db.session.scalars(select(ClientRequest).where(ClientRequest.parent_id == req.id)).all()
        assert sorted(c.routes[0].unit.code for c in children) == ["accounting", "production"]


def test_only_the_people_carrying_it_and_its_departments_open_a_request(app, auth, make_user):
    head = make_user("head", "accounts")
    manager, deputy = make_user("staff", "accounts"), make_user("staff", "sales")
    lawyer, seller, admin = make_user("staff", "legal"), make_user("staff", "promotion"), make_user("admin", "crm")
    ids = key_account(app, manager.id, deputy.id)
    login_as(auth, manager)
    _register(auth, ids, [unit_id(app, "legal")], files=(io.BytesIO(b"secret"), "terms.docx"))
    req = _only_request(app)
    att = _attachment_id(app)
    for person in (manager, deputy, head, lawyer, admin):
        login_as(auth, person)
        assert auth.get(f"/accounts/requests/{req.id}").status_code == 200, person.email
        assert auth.get(f"/accounts/attachments/{att}").status_code == 200, person.email
    login_as(auth, seller)
    assert auth.get(f"/accounts/requests/{req.id}").status_code == 404
    assert auth.get(f"/accounts/attachments/{att}").status_code == 404
    assert auth.post(f"/accounts/requests/{req.id}/close", {"confirmation": "x"}).status_code == 404
    assert "Price list for 2027" not in auth.get("/accounts/inbox").get_data(as_text=True)


def test_a_department_member_cannot_close_for_the_manager(app, auth, make_user):
    manager, lawyer = make_user("staff", "accounts"), make_user("staff", "legal")
    ids = key_account(app, manager.id)
    req = _registered(app, auth, ids, manager, "legal")
    login_as(auth, lawyer)
    assert auth.post(f"/accounts/requests/{req.id}/close", {"confirmation": "x"}).status_code == 403


def test_bad_input_is_refused_next_to_the_field_and_nothing_is_saved(app, auth, make_user):
    manager = make_user("staff", "accounts")
    ids = key_account(app, manager.id)
    login_as(auth, manager)
    resp = auth.post(
        "/accounts/requests/new", data={"company_id": ids["company_id"], "subject": "Samples", "channel": "email",
                                         "due_on": (date.today() - timedelta(days=1)).isoformat(),
                                         "unit_ids": [unit_id(app, "legal")]}, htmx=True)
    assert resp.status_code == 422 and "The agreed date has already passed." in resp.get_data(as_text=True)
    resp = auth.post("/accounts/requests/new", data={"company_id": ids["company_id"], "subject": "Samples",
                                                     "channel": "email"}, htmx=True)
    assert resp.status_code == 422 and "Choose at least one department." in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(ClientRequest.id)) is None


def test_a_request_past_its_date_is_overdue_for_both_sides(app, auth, make_user):
    manager, lawyer = make_user("staff", "accounts"), make_user("staff", "legal")
    ids = key_account(app, manager.id)
    req = _registered(app, auth, ids, manager, "legal")
    with app.app_context():
        db.session.execute(update(ClientRequest).values(due_on=date.today() - timedelta(days=2)))
        db.session.commit()
    assert "overdue" in auth.get("/accounts/requests?tab=overdue").get_data(as_text=True)
    home = auth.get("/accounts/").get_data(as_text=True)
    assert '<span class="badge bad">1</span>' in home
    login_as(auth, lawyer)
    inbox = auth.get("/accounts/inbox?tab=overdue").get_data(as_text=True)
    assert "Price list for 2027" in inbox and "overdue" in inbox
    figures = auth.get("/accounts/figures").get_data(as_text=True)
    assert "keeps clients waiting" in figures
    assert f"/accounts/requests/{req.id}" in inbox


def test_choosing_the_client_reloads_its_contacts_and_keeps_what_was_typed(app, auth, make_user):
    manager = make_user("staff", "accounts")
    ids = key_account(app, manager.id)
    login_as(auth, manager)
    resp = auth.get(f"/accounts/requests/new?company_id={ids['company_id']}&subject=Samples+for+Kazan", htmx=True,
                    headers={"HX-Trigger-Name": "company_id"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and html.lstrip().startswith('<form id="request-form"')
    assert "Irina Petrova" in html and 'value="Samples for Kazan"' in html


@pytest.mark.parametrize("name", ["page.html", "logo.svg", "run.exe", "noextension"])
def test_a_request_refuses_files_a_browser_would_run_and_saves_nothing(app, auth, make_user, name):
    manager = make_user("staff", "accounts")
    ids = key_account(app, manager.id)
    login_as(auth, manager)
    resp = _register(auth, ids, [unit_id(app, "legal")], files=(io.BytesIO(b"<script>alert(1)</script>"), name))
    assert resp.status_code == 422 and "Attach documents" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(ClientRequest.id))) == 0


def test_an_attachment_is_always_a_download_with_its_allowed_type(app, auth, make_user):
    manager = make_user("staff", "accounts")
    ids = key_account(app, manager.id)
    login_as(auth, manager)
    _register(auth, ids, [unit_id(app, "legal")], files=(io.BytesIO(b"a;b\n1;2\n"), "prices.csv"))
    download = auth.get(f"/accounts/attachments/{_attachment_id(app)}")
    assert download.mimetype == "text/csv" and download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
