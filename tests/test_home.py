"""Each person's home page: what waits for them today, their unit's week, their usual pages."""
import re

import pytest
from sqlalchemy import select, update
from werkzeug.security import generate_password_hash

from app.demo import seed_demo
from app.extensions import db
from app.models import User
from tests.conftest import PASSWORD, Auth


@pytest.fixture
def demo_people(app):
    """The demo base with every area's work; each demo person signs in with the tests' password."""
    with app.app_context():
        seed_demo(db.session, companies=150, seed=3)
        db.session.execute(update(User).values(password_hash=generate_password_hash(PASSWORD)))
        db.session.commit()
        return {u.email: u.unit.code for u in db.session.scalars(select(User))}


def _home(app, email) -> str:
    """Sign in on a browser of one's own, in Russian, and open the home page."""
    auth = Auth(app.test_client())
    auth.login(email)
    auth.post("/language", data={"lang": "ru", "next": "/"})
    page = auth.get("/")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def _todo(html: str) -> list[str]:
    block = html.split('id="today-h"', 1)[1].split("</section>", 1)[0]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", li)).strip() for li in re.findall(r"<li>(.*?)</li>", block, re.S)]


def test_each_role_sees_its_own_day(app, demo_people):
    seller = _todo(_home(app, "sales1@demo.local"))
    assert any("Задачи плана" in line for line in seller), seller
    promotion = _todo(_home(app, "promotion1@demo.local"))
    assert any("Отклики" in line for line in promotion), promotion
    crm = _home(app, "head.crm@demo.local")
    assert any("к проверке" in line for line in _todo(crm)), _todo(crm)
    assert 'id="signs-h"' not in crm


def test_the_admin_sees_the_division_signs_in_brief_and_a_department_its_inbox(app, demo_people):
    admin = _home(app, "admin@demo.local")
    assert 'id="signs-h"' in admin and "красных" not in admin
    assert re.search(r"красные: \d+", admin) and re.search(r"зелёные: \d+", admin)
    department = _home(app, "logistics1@demo.local")
    assert 'id="signs-h"' not in department
    assert any("Заявки клиентов" in line for line in _todo(department)), _todo(department)
    assert "Эта неделя" in department and "Прошлая неделя" in department


def test_the_signs_brief_is_kept_for_a_while_and_says_as_of_when(app, make_user):
    """Each sign counts over the whole base; the home page keeps the brief SIGNS_BRIEF_SECONDS."""
    from datetime import date

    from app.extensions import db
    from app.models import Company
    from app.services import dashboard

    admin_id = make_user("admin", "distribution").id
    with app.app_context():
        from app.models.org import User

        admin = db.session.get(User, admin_id)
        app.config["SIGNS_BRIEF_SECONDS"] = 300
        first = dashboard.signs_brief(db.session, admin, date.today())
        db.session.add(Company(legal_name="Новый клиент", name_sort="новый клиент"))
        db.session.commit()
        assert dashboard.signs_brief(db.session, admin, date.today()) is first   # kept, with its time
        assert first["as_of"] is not None
        app.config["SIGNS_BRIEF_SECONDS"] = 0
        assert dashboard.signs_brief(db.session, admin, date.today()) is not first   # counted afresh


def test_the_division_week_counts_what_people_logged_and_is_kept_for_a_while(app, make_user):
    """The admin's week counts every person's activities, not an import's; the figures are kept
    KEPT_FIGURES_SECONDS, then counted afresh."""
    from datetime import date, datetime, timezone

    from app.models import Activity, Company
    from app.services import dashboard

    admin_id = make_user("admin", "distribution").id
    seller_id = make_user("staff", "sales").id
    with app.app_context():
        company = Company(legal_name="Клиент недели", name_sort="клиент недели")
        db.session.add(company)
        db.session.flush()
        now = datetime.now(timezone.utc)
        db.session.add_all([Activity(kind="call", occurred_at=now, author_id=seller_id, company_id=company.id),
                            Activity(kind="note", occurred_at=now, author_id=None, company_id=company.id)])
        db.session.commit()
        admin, seller = db.session.get(User, admin_id), db.session.get(User, seller_id)

        def logged(user) -> float:
            week = dashboard.unit_week(db.session, user, date.today())
            return next(f.this_week for f in week if f.label == "Activities logged")

        assert logged(admin) == 1 and logged(seller) == 1   # the author-less import is nobody's work
        app.config["KEPT_FIGURES_SECONDS"] = 60
        try:
            assert logged(admin) == 1
            db.session.add(Activity(kind="call", occurred_at=now, author_id=admin_id, company_id=company.id))
            db.session.commit()
            assert logged(admin) == 1, "kept for a minute"
            assert logged(seller) == 1, "the sales unit's own week: the admin's call is not theirs"
        finally:
            app.config["KEPT_FIGURES_SECONDS"] = 0
        assert logged(admin) == 2, "counted afresh"
