"""Improvement workflows: boards of tracked tasks, My tasks, the heads' overview and the division's signs."""
from flask import Blueprint

bp = Blueprint("workflows", __name__)


@bp.record_once
def _load_definitions(state) -> None:
    """Check every definition while the app is built, so a broken file stops start-up."""
    from app import workflows_registry

    workflows_registry.init_app(state.app)


from app.workflows import routes  # noqa: E402,F401
