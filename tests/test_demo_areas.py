"""The demo leaves work in every area, consistent with the base, the same for a seed, with a mix of signs."""
from datetime import date

from sqlalchemy import func, select

from app.demo import seed_demo
from app.config import APP_DIR
from app.extensions import db
from app.models import (Campaign, ClientRequest, DuplicateGroup, KeyAccount, Material, MaterialUse, PlanTask,
                        PromotionPlan, Response, WeekPlan)
from app.models.boards import Board, Card, CardChecklistItem, CardComment
from app.models.surveys import SurveyResponse
from app.services.org import ORG_BOARD
from app.models.client_requests import RequestRoute
from app.models.key_accounts import AccountHandover


def _fingerprint():
    """What a newcomer would see in each area, in a stable order."""
    s = db.session
    return (s.scalars(select(Campaign.name).order_by(Campaign.id)).all(),
            s.execute(select(Response.company_id, Response.status).order_by(Response.id)).all(),
            s.execute(select(Card.title, Card.column_id).order_by(Card.id)).all(),
            s.execute(select(ClientRequest.subject, ClientRequest.status).order_by(ClientRequest.id)).all(),
            s.execute(select(PlanTask.company_id, PlanTask.action).order_by(PlanTask.id)).all())


def test_every_area_has_work_and_the_signs_are_a_mix(app):
    from app.services import figures, signs
    from app.services import workflow_definitions as registry

    with app.app_context():
        counts = seed_demo(db.session, companies=150, seed=3)
        for model in (Campaign, PromotionPlan, Response, Material, MaterialUse, WeekPlan, PlanTask, SurveyResponse,
                      KeyAccount, AccountHandover, ClientRequest, Board, Card, CardComment, CardChecklistItem,
                      DuplicateGroup):
            assert db.session.scalar(select(func.count()).select_from(model)) > 0, model.__name__
        # responses counted three ways: repeats, unknown source, and known campaigns
        assert db.session.scalar(select(func.count(Response.id)).where(Response.repeat_of_id.is_not(None))) > 0
        assert db.session.scalar(select(func.count(Response.id)).where(Response.campaign_id.is_(None))) > 0
        assert {"planned", "running", "finished"} <= set(db.session.scalars(select(Campaign.status)))
        # requests in every state, with routes new, accepted, asked back and answered
        assert {"open", "answered", "closed"} <= set(db.session.scalars(select(ClientRequest.status)))
        assert {"new", "accepted", "answered"} <= set(db.session.scalars(select(RequestRoute.status)))
        # every workflow is running, and each board has cards in more than one column
        assert db.session.scalar(select(func.count(Board.id))) == len(registry.registry().workflows)
        for board in db.session.scalars(select(Board)):
            assert len(set(db.session.scalars(select(Card.column_id).where(Card.board_id == board.id)))) > 1
        shipped = registry.load_folder(APP_DIR / "workflows" / "definitions", figures.names(),
                                       {code for code, *_ in ORG_BOARD})   # the division's ten signs
        states = [s.state for s in signs.division_signs(db.session, shipped.signs, date.today())]
        assert "green" in states and "red" in states, states
        assert counts["campaigns"] == 12


def test_the_same_seed_gives_the_same_areas(app):
    from tests.conftest import _wipe

    with app.app_context():
        seed_demo(db.session, companies=80, seed=5)
        first = _fingerprint()
        _wipe(app)
        from app.services.org import seed_reference_data

        seed_reference_data(db.session)
        seed_demo(db.session, companies=80, seed=5)
        assert _fingerprint() == first and first[0]


def test_a_base_that_already_has_campaigns_gets_no_second_set(app):
    with app.app_context():
        seed_demo(db.session, companies=60, seed=2)
        before = db.session.scalar(select(func.count(Campaign.id)))
        seed_demo(db.session, companies=10, seed=9)
        assert db.session.scalar(select(func.count(Campaign.id))) == before
