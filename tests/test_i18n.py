"""The interface speaks Russian and English: the browser's language by default, the person's choice after."""


def test_browser_language_is_the_default(client):
    assert "Войти" in client.get("/login", headers={"Accept-Language": "ru-RU,ru;q=0.9"}).get_data(as_text=True)
    assert "Sign in" in client.get("/login", headers={"Accept-Language": "en-GB"}).get_data(as_text=True)


def test_a_person_picks_a_language_and_it_follows_them(auth, make_user, app):
    user = make_user()
    auth.login(user)
    assert "Sign out" in auth.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    auth.post("/language", {"lang": "ru", "next": "/"})
    other = app.test_client()
    from tests.conftest import Auth

    Auth(other).login(user)  # a new browser, English by default, still gets the saved choice
    assert "Выйти" in other.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_money_and_dates_follow_the_locale(app):
    from datetime import date
    from decimal import Decimal

    from flask_babel import force_locale

    from app.i18n import money

    with app.test_request_context():
        with force_locale("ru"):
            assert money(Decimal("1234567.5")).replace("\xa0", " ").replace("\u202f", " ") == "1 234 567,50 ₽"
            assert app.jinja_env.filters["date"](date(2026, 3, 8)).replace("\u202f", " ") == "8 мар. 2026 г."
        with force_locale("en"):
            assert money(Decimal("1234567.5"), "USD") == "$1,234,567.50"
