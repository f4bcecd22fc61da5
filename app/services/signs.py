"""The division's warning signs (the seed's list), each judged from live figures by the rule in signs.toml."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from app.services.figures import Figure
from app.services.workflow_definitions import Condition, SignDef

RED, GREEN, UNKNOWN = "red", "green", "unknown"


@dataclass
class SignState:
    """A sign as shown: red when a condition holds, green when every figure is known and none holds."""

    sign: SignDef
    state: str
    figures: list[Figure]
    holding: list[Condition]   # the conditions that make it red
    missing: list[Figure]      # figures whose data does not exist yet


def evaluate(sign: SignDef, figures: dict[str, Figure]) -> SignState:
    """Judge one sign; an unknown figure never counts as good news."""
    holding, missing = [], []
    for cond in sign.conditions:
        fig = figures[cond.figure]
        if fig.value is None:
            if fig not in missing:
                missing.append(fig)
        elif cond.holds(float(fig.value)):
            holding.append(cond)
    state = RED if holding else (UNKNOWN if missing else GREEN)
    return SignState(sign, state, [figures[name] for name in sign.figures], holding, missing)


def division_signs(session: Session, signs: tuple[SignDef, ...], today: date) -> list[SignState]:
    """Every sign, computing each named figure once."""
    from app.services.boards import safe_figure

    names = dict.fromkeys(name for sign in signs for name in sign.figures)
    figures = {name: safe_figure(session, name, today) for name in names}
    return [evaluate(sign, figures) for sign in signs]
