"""Signing in and out, and the limit on guessing passwords."""
from tests.conftest import PASSWORD


def test_sign_in_and_out(auth, make_user):
    user = make_user("staff", "sales")
    resp = auth.login(user)
    assert resp.status_code == 302 and resp.location.endswith("/")
    assert user.name in auth.get("/").get_data(as_text=True)
    resp = auth.post("/logout")
    assert resp.status_code == 302 and "/login" in resp.location
    assert auth.get("/").status_code == 302


def test_wrong_password_is_refused_with_a_message(auth, make_user):
    user = make_user()
    resp = auth.login(user, "not-the-password")
    assert resp.status_code == 401
    assert "Wrong email or password" in resp.get_data(as_text=True)


def test_repeated_failures_pause_sign_in_even_with_the_right_password(auth, make_user, app):
    user = make_user()
    for _ in range(app.config["LOGIN_MAX_ATTEMPTS"]):
        auth.login(user, "guess")
    resp = auth.login(user, PASSWORD)
    assert resp.status_code == 429
    assert "Too many failed attempts" in resp.get_data(as_text=True)


def test_sign_in_does_not_redirect_elsewhere(auth, make_user, client):
    user = make_user()
    page = client.get("/login")
    from tests.conftest import csrf_token_from

    resp = client.post("/login?next=https://evil.example/", data={
        "email": user.email, "password": PASSWORD, "csrf_token": csrf_token_from(page.get_data(as_text=True))})
    assert resp.location == "/"


def test_session_cookie_is_httponly(auth, make_user, client):
    auth.login(make_user())
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.http_only


def test_cli_creates_a_user_with_role_and_unit(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "new.head@test.local", "--role", "head", "--unit", "promotion",
                                 "--password", "long-enough-1"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["users", "create", "x@test.local", "--unit", "nowhere", "--password", "long-enough-1"])
    assert result.exit_code != 0 and "unknown unit" in result.output
