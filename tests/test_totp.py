"""Two-step sign-in with real TOTP codes (pyotp): enrolment, the code after the password, recovery codes that work
once, the same throttle as passwords, and administrators and heads sent to enrol before anything else."""
import re
import time

import pyotp
import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import LoginAttempt, RecoveryCode, User
from tests.conftest import PASSWORD, Auth, csrf_token_from


@pytest.fixture
def production_roles(app):
    """The production rule: administrators and heads must use two-step sign-in."""
    app.config["TWO_STEP_ROLES"] = ("admin", "head")
    yield
    app.config["TWO_STEP_ROLES"] = ()


def _next_code(secret: str) -> str:
    """A code of the next time step: valid now (the window allows a step of drift) and newer than one just used."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def enrol(auth: Auth) -> tuple[str, list[str]]:
    """Turn two-step sign-in on through the pages, as a person does: returns the secret and the recovery codes."""
    auth.post("/account/two-step/start")
    page = auth.get("/account/two-step").get_data(as_text=True)
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    uri = re.search(r'id="totp-uri"[^>]*>([^<]+)<', page).group(1)
    assert uri.startswith("otpauth://totp/") and f"secret={secret}" in uri
    resp = auth.post("/account/two-step/confirm", {"code": pyotp.TOTP(secret).now()})
    assert resp.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", resp.get_data(as_text=True))
    return secret, codes


def password_step(client, email: str, password: str = PASSWORD):
    page = client.get("/login")
    return client.post("/login", data={"email": email, "password": password,
                                       "csrf_token": csrf_token_from(page.get_data(as_text=True))})


def code_step(client, code: str, **kwargs):
    page = client.get("/login/code", **kwargs)
    return client.post("/login/code", data={"code": code, "csrf_token": csrf_token_from(page.get_data(as_text=True))},
                       **kwargs)


def signed_in(client) -> bool:
    return client.get("/").status_code == 200


def test_a_person_enrols_and_then_signs_in_with_the_code_after_the_password(app, auth, make_user):
    user = make_user("staff", "sales")
    auth.login(user)
    secret, codes = enrol(auth)
    assert len(codes) == 10 and len(set(codes)) == 10
    with app.app_context():
        stored = db.session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)).all()
        assert len(stored) == 10 and not any(c.replace("-", "") in h for c in codes for h in stored)   # hashed
    assert "Recovery codes left: 10" in auth.get("/account/two-step").get_data(as_text=True)   # shown once only
    auth.post("/logout")

    client = app.test_client()
    resp = password_step(client, user.email)
    assert resp.status_code == 302 and resp.location.endswith("/login/code")
    assert not signed_in(client)                       # the password alone lets nobody in
    resp = code_step(client, _next_code(secret))
    assert resp.status_code == 302 and signed_in(client)


def test_a_wrong_code_is_refused_and_counts_against_the_sign_in_throttle(app, auth, make_user):
    user = make_user("staff", "sales")
    auth.login(user)
    secret, _codes = enrol(auth)
    thief = app.test_client()                          # knows the password, never signed in from here
    assert password_step(thief, user.email).status_code == 302
    for _ in range(app.config["LOGIN_MAX_ATTEMPTS"]):
        assert code_step(thief, "000000").status_code == 401
    with app.app_context():
        assert db.session.scalar(select(func.count(LoginAttempt.id)).where(LoginAttempt.email == user.email)) == 5
    resp = code_step(thief, _next_code(secret))
    assert resp.status_code == 429 and "Too many failed attempts" in resp.get_data(as_text=True)
    assert not signed_in(thief)
    # the owner's device, where they signed in before, is not locked out
    owner = app.test_client()
    owner.set_cookie(*_known_device(auth.client))
    assert password_step(owner, user.email).status_code == 302
    assert code_step(owner, _next_code(secret)).status_code == 302 and signed_in(owner)


def _known_device(client):
    cookie = client.get_cookie("known_device")
    return "known_device", cookie.value


def test_a_recovery_code_works_once(app, auth, make_user):
    user = make_user("staff", "sales")
    auth.login(user)
    _secret, codes = enrol(auth)
    first = app.test_client()
    password_step(first, user.email)
    assert code_step(first, codes[3].upper()).status_code == 302 and signed_in(first)
    second = app.test_client()
    password_step(second, user.email)
    assert code_step(second, codes[3]).status_code == 401 and not signed_in(second)
    assert "Recovery codes left: 9" in auth.get("/account/two-step").get_data(as_text=True)


def test_a_code_seen_once_cannot_be_replayed(app, auth, make_user):
    user = make_user("staff", "sales")
    auth.login(user)
    secret, _codes = enrol(auth)
    code = _next_code(secret)
    first, second = app.test_client(), app.test_client()
    password_step(first, user.email)
    assert code_step(first, code).status_code == 302
    password_step(second, user.email)
    assert code_step(second, code).status_code == 401 and not signed_in(second)


def test_confirming_needs_a_right_code(app, auth, make_user):
    user = make_user("staff", "sales")
    auth.login(user)
    auth.post("/account/two-step/start")
    resp = auth.post("/account/two-step/confirm", {"code": "123"})
    assert resp.status_code == 422 and "This code is not right" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, user.id).totp_enabled_at is None


def test_administrators_and_heads_are_sent_to_enrol_before_anything_else(app, auth, make_user, production_roles):
    for role, unit in (("admin", "crm"), ("head", "sales")):
        person = Auth(app.test_client())
        user = make_user(role, unit)
        resp = person.login(user)
        assert resp.status_code == 302 and resp.location.endswith("/account/two-step")
        for path in ("/", "/crm/companies", "/admin/users", "/promotion/"):
            resp = person.get(path)
            assert resp.status_code == 302 and resp.location.endswith("/account/two-step"), path
        assert person.get("/crm/companies", htmx=True).headers.get("HX-Redirect", "").endswith("/account/two-step")
        assert person.post("/crm/companies/new", {"legal_name": "Тест"}).status_code == 302   # no write either
        page = person.get("/account/two-step").get_data(as_text=True)
        assert "required for your account" in page
        secret, _codes = enrol(person)
        assert person.get("/crm/companies").status_code == 200
        assert person.post("/account/two-step/off", {"code": _next_code(secret)}).status_code == 422   # required
    staff = Auth(app.test_client())
    assert staff.login(make_user("staff", "sales")).location.endswith("/")   # optional for staff
    assert staff.get("/crm/companies").status_code == 200


def test_an_admin_can_require_it_of_everyone(app, auth, make_user, production_roles):
    admin = make_user("admin", "crm")
    auth.login(admin)
    enrol(auth)
    assert auth.post("/admin/settings", {"section": "two_step", "two_step_for_everyone": "1"}).status_code == 302
    staff = Auth(app.test_client())
    resp = staff.login(make_user("staff", "sales"))
    assert resp.location.endswith("/account/two-step")
    assert staff.get("/crm/companies").status_code == 302


def test_only_an_admin_sets_the_rule(app, auth, make_user):
    auth.login(make_user("head", "sales"))
    assert auth.post("/admin/settings", {"section": "two_step", "two_step_for_everyone": "1"}).status_code == 403


def test_staff_may_turn_it_off_with_a_current_code(app, auth, make_user):
    user = make_user("staff", "sales")
    auth.login(user)
    secret, _codes = enrol(auth)
    assert auth.post("/account/two-step/off", {"code": "999999"}).status_code == 422
    assert auth.post("/account/two-step/off", {"code": _next_code(secret)}).status_code == 302
    with app.app_context():
        u = db.session.get(User, user.id)
        assert u.totp_enabled_at is None and u.totp_secret is None
    auth.post("/logout")
    assert auth.login(user).location.endswith("/")


def test_an_admin_resets_the_two_step_of_a_person_who_lost_everything(app, auth, make_user):
    user = make_user("staff", "sales")
    person = Auth(app.test_client())
    person.login(user)
    enrol(person)
    auth.login(make_user("admin", "crm"))
    assert auth.post(f"/admin/users/{user.id}/two-step/reset").status_code == 302
    assert not signed_in(person.client)                # signed out everywhere
    assert person.login(user).location.endswith("/")


def test_the_code_page_speaks_russian(app, auth, make_user):
    user = make_user("staff", "sales")
    auth.login(user)
    enrol(auth)
    client = app.test_client()
    password_step(client, user.email)
    resp = code_step(client, "000000", headers={"Accept-Language": "ru"})
    assert resp.status_code == 401 and "Код неверный" in resp.get_data(as_text=True)


def test_a_sign_in_waiting_for_its_code_ends_when_the_person_is_signed_out_everywhere(app, make_user):
    user = make_user("staff", "sales")
    person = Auth(app.test_client())
    person.login(user)
    enrol(person)
    waiting = app.test_client()
    assert password_step(waiting, user.email).status_code == 302
    with app.app_context():   # what a password change or sign-out everywhere does
        db.session.get(User, user.id).session_token = "rotated-everywhere"
        db.session.commit()
    resp = waiting.get("/login/code")
    assert resp.status_code == 302 and resp.location.endswith("/login")
    assert not signed_in(waiting)
