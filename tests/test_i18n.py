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


def test_reader_locale_is_the_persons_choice_in_a_page_and_the_default_elsewhere(app, make_user):
    from flask import session
    from flask_login import login_user

    from app.extensions import db
    from app.i18n import reader_locale
    from app.models import User

    with app.test_request_context(headers={"Accept-Language": "ru-RU,ru;q=0.9"}):
        assert reader_locale() == "ru"  # the browser's
    with app.test_request_context(headers={"Accept-Language": "ru-RU"}):
        session["locale"] = "en"
        assert reader_locale() == "en"  # the session's beats the browser's
    with app.test_request_context(headers={"Accept-Language": "en-GB"}):
        person = db.session.get(User, make_user().id)
        person.locale = "ru"
        login_user(person)
        session["locale"] = "en"
        assert reader_locale() == "ru"  # the person's saved choice beats both
    with app.app_context():
        assert reader_locale() == app.config["BABEL_DEFAULT_LOCALE"]  # no request: the default


def test_speaking_translates_for_a_person_outside_a_request(app, make_user):
    from datetime import date
    from types import SimpleNamespace

    from flask_babel import gettext

    from app.i18n import reader_locale, speaking

    with app.app_context():
        with speaking(SimpleNamespace(locale="ru")) as locale:
            assert locale == "ru" and reader_locale() == "ru"
            assert gettext("Sign in") == "Войти"
            assert app.jinja_env.filters["date"](date(2026, 3, 8)).replace("\u202f", " ") == "8 мар. 2026 г."
            with speaking("en"):
                assert gettext("Sign in") == "Sign in"
            assert gettext("Sign in") == "Войти"
        assert reader_locale() == app.config["BABEL_DEFAULT_LOCALE"]
        with speaking(SimpleNamespace(locale=None)):  # no saved choice: the portal's default
            assert reader_locale() == app.config["BABEL_DEFAULT_LOCALE"]


def test_the_kept_catalogue_follows_a_speaking_block_in_templates_tr_and_label_tables(app):
    from app.i18n import N_, label, speaking, tr

    table = {"call": N_("Call"), "inn": N_("INN")}
    page = app.jinja_env.from_string("{{ _('Sign in') }}")
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert page.render() == tr("Sign in") == "Sign in" and label(table, "call") == "Call"
        with speaking("ru"):   # the catalogue kept for the request gives way to the block's, and comes back after
            assert page.render() == tr("Sign in") == "Войти"
            assert label(table, "inn") == "ИНН" and label(table, "fax") == "fax" and label(table, None, "—") == "—"
        assert page.render() == "Sign in" and label(table, "inn") == "INN"


def test_a_lazy_label_is_translated_when_shown_in_the_language_then_spoken(app):
    """A form label made at import time (`_l`) reads the kept catalogue when it is shown: the reader's language,
    a speaking() block's inside it, and the plain msgid where there is no app at all."""
    from app.i18n import lazy_gettext, lazy_pgettext, speaking

    name, named = lazy_gettext("Sign in"), lazy_pgettext("named thing", "Name")
    assert str(name) == "Sign in"
    with app.test_request_context("/", headers={"Accept-Language": "ru"}):
        assert str(name) == "Войти" and str(named) == "Название"
        assert app.jinja_env.from_string("{{ label }}").render(label=name) == "Войти"
        with speaking("en"):
            assert str(name) == "Sign in" and str(named) == "Name"
        assert f"{name}!" == "Войти!"


def test_a_job_writes_its_result_in_the_language_of_the_person_who_started_it(app, auth, make_user):
    from sqlalchemy import select

    from app.extensions import db
    from app.models import JobRecord
    from app.services import jobs

    auth.login(make_user("admin", "distribution"))
    auth.post("/language", {"lang": "ru", "next": "/"})
    auth.post("/jobs/demo", {"companies": 3, "seed": 5}, htmx=True)
    with app.app_context():
        done = jobs.wait_for(db.session.scalars(select(JobRecord.id)).one())
        assert done.status == "finished", done.error
        assert done.result_text.startswith("компаний: 3, контактов: ")
    page = auth.get("/jobs/").get_data(as_text=True)
    assert "Демо-данные, компаний: 3" in page and "компаний: 3, контактов:" in page


def test_a_periodic_job_nobody_started_writes_in_the_default_language(app):
    from app.data_quality.jobs import cleanup_uploads_job
    from app.services import jobs

    default = app.config["BABEL_DEFAULT_LOCALE"]
    app.config["BABEL_DEFAULT_LOCALE"] = "ru"
    try:
        with app.app_context():
            record = jobs.enqueue(cleanup_uploads_job, kind="import_cleanup", title="x", user_id=None)
            done = jobs.wait_for(record.id)
            assert done.result_text == "Удалено брошенных загрузок: 0"
    finally:
        app.config["BABEL_DEFAULT_LOCALE"] = default


def test_the_date_filter_gives_flask_babels_text_on_the_readers_calendar(app):
    """A moment late in the UTC evening is the next day in Moscow; a naive one is read as UTC; a date stays itself;
    in both languages and formats the text is what Flask-Babel's format_date gives."""
    from datetime import date, datetime, timezone

    from flask_babel import format_date

    from app.i18n import format_day, speaking

    page = app.jinja_env.from_string("{{ d|date }} / {{ d|date('short') }}")
    moments = (datetime(2026, 12, 31, 22, 30, tzinfo=timezone.utc), datetime(2026, 3, 1, 21, 5), date(2026, 2, 28))
    with app.test_request_context("/", headers={"Accept-Language": "ru"}):
        assert format_day(moments[0]) == "1 янв. 2027\u202fг." and format_day(moments[1], "short") == "02.03.2026"
        for lang in ("ru", "en"):
            with speaking(lang):
                for d in moments:
                    for fmt in ("medium", "short", "long"):
                        assert format_day(d, fmt) == format_date(d, fmt)
                    assert page.render(d=d) == f"{format_date(d, 'medium')} / {format_date(d, 'short')}"
        assert app.jinja_env.from_string("{{ none|date }}").render(none=None) == "—"


def test_the_datetime_filter_gives_flask_babels_text_on_the_readers_clock(app):
    """Short and medium moments (kept texts of day and time) read as Flask-Babel's format_datetime writes them,
    across midnight and the seconds, naive or aware, in both languages; the long form goes through it."""
    from datetime import datetime, timedelta, timezone

    from flask_babel import format_datetime

    from app.i18n import format_moment, speaking

    start = datetime(2026, 12, 31, 20, 59, 58, 500, tzinfo=timezone.utc)
    moments = [start + timedelta(seconds=s) for s in (0, 1, 2, 61, 3600 * 3 + 7)] + [datetime(2026, 6, 1, 9, 5)]
    page = app.jinja_env.from_string("{{ d|datetime }}|{{ d|datetime('medium') }}")
    with app.test_request_context("/", headers={"Accept-Language": "ru"}):
        for lang in ("ru", "en"):
            with speaking(lang):
                for d in moments:
                    for fmt in ("short", "medium", "long"):
                        assert format_moment(d, fmt) == format_datetime(d, fmt), (lang, d, fmt)
                    assert page.render(d=d) == f"{format_datetime(d, 'short')}|{format_datetime(d, 'medium')}"
        assert format_moment(moments[4], "short") == "01.01.2027, 03:00"   # 00:00:05 UTC
