"""The demo generator: deterministic, realistic, and leaves the base ready for ordinary inserts."""
from datetime import datetime, timezone

from sqlalchemy import func, select

from app.demo import make_inn, seed_demo
from app.extensions import db
from app.models import Activity, Company, Contact
from app.services.activities import log_activity


def test_the_same_seed_gives_the_same_base_and_later_inserts_still_work(app):
    with app.app_context():
        counts = seed_demo(db.session, companies=30, seed=4)
        assert counts["companies"] >= 30 and counts["contacts"] >= 30
        names = db.session.scalars(select(Company.legal_name).order_by(Company.id)).all()
        company_id = db.session.scalar(select(Company.id).limit(1))
        # explicit ids in bulk must not break the next ordinary insert (PostgreSQL sequences)
        log_activity(db.session, author_id=None, company_id=company_id, kind="call",
                     occurred_at=datetime.now(timezone.utc), subject="after seeding")
        db.session.add(Contact(name="New Person", company_id=company_id))
        db.session.commit()
        assert db.session.scalar(select(func.count(Activity.id)).where(Activity.subject == "after seeding")) == 1
    with app.app_context():
        from tests.conftest import _wipe

        _wipe(app)
        from app.services.org import seed_reference_data

        seed_reference_data(db.session)
        seed_demo(db.session, companies=30, seed=4)
        assert db.session.scalars(select(Company.legal_name).order_by(Company.id)).all() == names


def test_generated_inns_carry_valid_check_digits():
    import random

    from app.services.contact_points import inn_error

    rng = random.Random(1)
    for person in (False, True):
        for _ in range(50):
            assert inn_error(make_inn(rng, person)) is None


def test_demo_data_never_adds_accounts_to_a_base_that_has_people(app, make_user):
    from app.models import User

    make_user("staff", "sales", email="real.person@company.ru")
    with app.app_context():
        counts = seed_demo(db.session, companies=20, seed=2)
        assert "password" not in counts
        assert db.session.scalars(select(User.email)).all() == ["real.person@company.ru"]


def test_an_empty_base_gets_demo_people_with_a_random_password_unless_told(app):
    from werkzeug.security import check_password_hash

    from app.demo import DEMO_PASSWORD
    from app.models import User

    with app.app_context():
        counts = seed_demo(db.session, companies=5, seed=2)
        admin = db.session.scalar(select(User).where(User.email == "admin@demo.local"))
        assert counts["password"] != DEMO_PASSWORD and len(counts["password"]) >= 12
        assert check_password_hash(admin.password_hash, counts["password"])
        assert not check_password_hash(admin.password_hash, DEMO_PASSWORD)


def test_the_web_job_never_makes_accounts(app):
    from app.demo import seed_demo_job
    from app.models import User

    with app.app_context():
        seed_demo_job(companies=5, seed=3)
        assert db.session.scalar(select(func.count(User.id))) == 0
        assert db.session.scalar(select(func.count(Company.id))) >= 5


def test_the_demo_button_is_not_offered_in_production(app, auth, make_user):
    auth.login(make_user("admin", "distribution"))
    assert 'name="companies"' in auth.get("/jobs/").get_data(as_text=True)   # a laptop's embedded base
    app.config["DEMO_TOOLS"] = False
    try:
        page = auth.get("/jobs/").get_data(as_text=True)
        assert 'name="companies"' not in page
        assert auth.post("/jobs/demo", {"companies": "5"}).status_code == 404
    finally:
        app.config["DEMO_TOOLS"] = True
