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


def test_guesses_wait_longer_and_longer_but_the_owner_still_signs_in(auth, make_user, app):
    from tests.conftest import Auth

    user = make_user()
    owner = Auth(app.test_client())
    assert owner.login(user).status_code == 302          # the owner's device has signed in before
    owner.post("/logout")
    for _ in range(app.config["LOGIN_MAX_ATTEMPTS"]):
        assert auth.login(user, "guess").status_code == 401
    resp = auth.login(user, PASSWORD)                      # a stranger's device, even with the right password
    assert resp.status_code == 429 and "Too many failed attempts" in resp.get_data(as_text=True)
    assert owner.login(user).status_code == 302          # nobody can lock the owner out


def _age_attempts(app, seconds):
    """Move every recorded failure back in time, as if the person had waited."""
    from datetime import timedelta

    from app.extensions import db
    from app.models.org import LoginAttempt

    with app.app_context():
        for attempt in db.session.query(LoginAttempt):
            attempt.at = attempt.at - timedelta(seconds=seconds)
        db.session.commit()


def test_the_wait_doubles_with_each_further_failure_and_then_lets_a_try_through(auth, make_user, app):



    user = make_user()
    for _ in range(app.config["LOGIN_MAX_ATTEMPTS"]):
        auth.login(user, "guess")

    def age(seconds):
        _age_attempts(app, seconds)

    age(31)                                                # the first wait is 30 s: one more try is let through
    assert auth.login(user, "guess").status_code == 401
    age(31)                                                # the next wait is 60 s
    assert auth.login(user, PASSWORD).status_code == 429
    age(30)
    assert auth.login(user, PASSWORD).status_code == 302


def test_old_attempts_are_pruned(auth, make_user, app):

    from sqlalchemy import func, select

    from app.extensions import db
    from app.models.org import LoginAttempt

    auth.login(make_user(), "guess")
    _age_attempts(app, app.config["LOGIN_WINDOW_SECONDS"] + 5)
    auth.login(make_user(), "guess")
    with app.app_context():
        assert db.session.scalar(select(func.count(LoginAttempt.id))) == 1


def test_a_wrong_email_takes_as_long_as_a_wrong_password(app, make_user):
    import statistics
    import time

    from app.extensions import db
    from app.services.auth import authenticate

    user = make_user()

    def timed(email):
        with app.app_context():
            started = time.perf_counter()
            authenticate(db.session, email, "wrong", "10.0.0.9", 1000, 900)
            elapsed = time.perf_counter() - started
            db.session.rollback()
            return elapsed

    timed("warm@up.ru")
    wrong_email = statistics.median(timed(f"nobody{i}@x.ru") for i in range(5))
    wrong_password = statistics.median(timed(user.email) for _ in range(5))
    assert 0.5 < wrong_email / wrong_password < 2, (wrong_email, wrong_password)


def test_signing_out_ends_every_copy_of_the_session_and_the_remember_cookie(app, make_user):
    from tests.conftest import Auth, csrf_token_from

    user = make_user()
    browser = Auth(app.test_client())
    page = browser.client.get("/login")
    browser.client.post("/login", data={"email": user.email, "password": PASSWORD, "remember": "y",
                                        "csrf_token": csrf_token_from(page.get_data(as_text=True))})
    browser.refresh_token()
    session_cookie = browser.client.get_cookie("session").value
    remember = browser.client.get_cookie("remember_token")
    assert remember is not None
    copy = app.test_client()
    copy.set_cookie("session", session_cookie)
    assert copy.get("/").status_code == 200                # a copied cookie works while the person is signed in
    browser.post("/logout")
    assert copy.get("/").status_code == 302                # ... and not after they sign out
    stolen = app.test_client()
    stolen.set_cookie("remember_token", remember.value)
    assert stolen.get("/").status_code == 302
    assert copy.post("/language", data={"lang": "en", "next": "/"}).status_code in (302, 400)
    with app.app_context():
        from app.extensions import db
        from app.models import User

        assert db.session.get(User, user.id).locale is None  # no write went through on the old cookie


def test_the_csrf_token_changes_at_sign_in(app, make_user):
    from tests.conftest import csrf_token_from

    user = make_user()
    c = app.test_client()
    before = csrf_token_from(c.get("/login").get_data(as_text=True))
    c.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": before})
    after = csrf_token_from(c.get("/").get_data(as_text=True))
    assert after != before


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


def test_every_page_carries_the_security_headers_and_hsts_only_over_https(client):
    page = client.get("/login")
    csp = page.headers["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in csp and "object-src 'none'" in csp and "default-src 'self'" in csp
    assert page.headers["X-Content-Type-Options"] == "nosniff" and page.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "Strict-Transport-Security" not in page.headers
    secure = client.get("/login", base_url="https://portal.example")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")
