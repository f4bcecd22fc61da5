"""The password rule wherever a password is set: at least 10 characters and not a common one, a clear message
(Russian for a Russian reader); the demo password only for the first start of an empty embedded base."""
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import User
from app.services import passwords
from tests.conftest import PASSWORD, Auth


@pytest.mark.parametrize("weak", ["short1", "demo12345", "password123", "Qwerty12345", "1234567890", "йцукен123",
                                  "aaaaaaaaaaaa", "Password2024"])
def test_the_rule_refuses_short_and_common_passwords(weak):
    assert passwords.problem(weak) is not None


@pytest.mark.parametrize("good", [PASSWORD, "long-enough-1", "тихий-вечер-над-Окой", "v8#Lm2!qR9zT"])
def test_the_rule_takes_long_uncommon_passwords(good):
    assert passwords.problem(good) is None


def test_the_list_ships_with_a_few_thousand_entries():
    assert len(passwords.common_passwords()) > 3000 and passwords.LIST_FILE.name == "common-passwords.txt"


def test_the_admin_form_refuses_a_common_password_next_to_the_field(app, auth, make_user):
    auth.login(make_user("admin", "crm"))
    resp = auth.post("/admin/users", {"email": "new@test.local", "name": "Новый", "role": "staff", "unit": "sales",
                                      "locale": "", "password": "qwerty123456"}, headers={"Accept-Language": "ru"})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 422
    field = body[body.index('id="field-password"'):]
    assert "Этот пароль из тех, что подбирают первыми" in field[:800]
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "new@test.local")) is None


def test_the_admin_form_refuses_a_short_password_when_changing_one(app, auth, make_user):
    auth.login(make_user("admin", "crm"))
    seller = make_user("staff", "sales")
    resp = auth.post(f"/admin/users/{seller.id}", {"email": seller.email, "name": seller.name, "role": "staff",
                                                  "unit": "sales", "locale": "", "password": "short-9ch",
                                                  "active": "y"})
    assert resp.status_code == 422 and "at least 10 characters" in resp.get_data(as_text=True)
    assert Auth(app.test_client()).login(seller).status_code == 302    # the old password still works


def test_users_create_on_the_command_line_applies_the_rule(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "cli@test.local", "--unit", "sales", "--password", "password1234"])
    assert result.exit_code != 0 and "guessers" in result.output
    result = runner.invoke(args=["users", "create", "cli@test.local", "--unit", "sales", "--password", "demo12345"])
    assert result.exit_code != 0 and "at least 10 characters" in result.output
    result = runner.invoke(args=["users", "create", "cli@test.local", "--unit", "sales", "--password", PASSWORD])
    assert result.exit_code == 0


def test_a_person_changes_their_own_password_under_the_rule(app, auth, make_user):
    user = make_user("staff", "sales")
    auth.login(user)
    other = Auth(app.test_client())
    other.login(user)
    page = auth.get("/account/password")
    assert page.status_code == 200
    resp = auth.post("/account/password", {"current": PASSWORD, "new": "iloveyou2024", "again": "iloveyou2024"},
                     headers={"Accept-Language": "ru"})
    assert resp.status_code == 422
    resp = auth.post("/account/password", {"current": "wrong-one-123", "new": "тихий-вечер-над-Окой",
                                           "again": "тихий-вечер-над-Окой"})
    assert resp.status_code == 422 and "not your current password" in resp.get_data(as_text=True)
    resp = auth.post("/account/password", {"current": PASSWORD, "new": "тихий-вечер-над-Окой",
                                           "again": "тихий-вечер-над-Окой"})
    assert resp.status_code == 302
    assert auth.get("/").status_code == 200                     # this session carries on
    assert other.client.get("/").status_code == 302             # every other one ended
    assert Auth(app.test_client()).login(user.email, "тихий-вечер-над-Окой").status_code == 302


def test_the_demo_password_is_kept_only_for_the_first_start_of_an_empty_base(app):
    from app.demo import DEMO_PASSWORD, seed_users

    with app.app_context():
        by_unit, created = seed_users(db.session, DEMO_PASSWORD)   # the exempt path: an empty base
        assert created
        admin = db.session.scalar(select(User).where(User.email == "admin@demo.local"))
        assert admin.check_password(DEMO_PASSWORD)


def test_any_other_demo_password_follows_the_rule(app):
    from app.demo import new_password, seed_users

    assert passwords.problem(new_password()) is None
    with app.app_context():
        with pytest.raises(passwords.PasswordError):
            seed_users(db.session, "qwerty123456")
        db.session.rollback()
