"""Improvement workflows: boards of tracked tasks, My tasks, the heads' overview and the division's signs."""
from flask import Blueprint

bp = Blueprint("workflows", __name__)


@bp.record_once
def _load_definitions(state) -> None:
    """Check every definition while the app is built, so a broken file stops start-up."""
    from app.services import workflow_definitions

    workflow_definitions.init_app(state.app)


from app.workflows import routes  # noqa: E402,F401
