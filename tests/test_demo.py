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
