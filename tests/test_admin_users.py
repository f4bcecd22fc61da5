"""Admins manage people in the browser; nobody else can."""
from sqlalchemy import select

from app.extensions import db
from app.models import User


def test_admin_adds_a_person_who_can_then_sign_in(auth, make_user, client, app):
    auth.login(make_user("admin", "distribution"))
    resp = auth.post("/admin/users", {"email": "New.Seller@Test.local", "name": "New Seller", "role": "staff",
                                      "unit": "sales", "locale": "", "password": "long-enough-1", "active": "y"})
    assert resp.status_code == 302
    auth.post("/logout")
    assert auth.login("new.seller@test.local", "long-enough-1").status_code == 302


def test_bad_input_is_explained_and_saves_nothing(auth, make_user, app):
    auth.login(make_user("admin", "distribution"))
    resp = auth.post("/admin/users", {"email": "not-an-email", "name": "x" * 10_000, "role": "staff",
                                      "unit": "sales", "password": "long-enough-1"})
    assert resp.status_code == 422
    body = resp.get_data(as_text=True)
    assert "Invalid email address" in body and "Field cannot be longer than 200 characters" in body
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "not-an-email")) is None


def test_deactivating_signs_the_person_out(auth, make_user, app, client):
    admin = make_user("admin", "distribution")
    seller = make_user("staff", "sales")
    other = app.test_client()
    from tests.conftest import Auth

    seller_auth = Auth(other)
    seller_auth.login(seller)
    assert other.get("/").status_code == 200
    auth.login(admin)
    resp = auth.post(f"/admin/users/{seller.id}", {"email": seller.email, "name": seller.name, "role": "staff",
                                                   "unit": "sales", "locale": ""})
    assert resp.status_code == 302
    assert other.get("/").status_code == 302  # signed out everywhere


def test_the_last_admin_cannot_demote_themselves(auth, make_user):
    admin = make_user("admin", "distribution")
    auth.login(admin)
    resp = auth.post(f"/admin/users/{admin.id}", {"email": admin.email, "name": admin.name, "role": "staff",
                                                  "unit": "sales", "locale": "", "active": "y"})
    assert resp.status_code == 422 and "last active administrator" in resp.get_data(as_text=True)


def test_staff_and_heads_cannot_manage_users(auth, make_user):
    auth.login(make_user("head", "sales"))
    assert auth.get("/admin/users").status_code == 403
    assert auth.post("/admin/users", {"email": "x@y.z", "name": "x", "role": "admin", "unit": "sales",
                                      "password": "long-enough-1"}).status_code == 403


def test_admin_edits_the_client_type_list(auth, make_user):
    auth.login(make_user("admin", "distribution"))
    assert auth.post("/admin/client-types", {"code": "retail", "name_ru": "Розница", "name_en": "Retail"}).status_code == 302
    assert "Розница" in auth.get("/admin/client-types").get_data(as_text=True)
