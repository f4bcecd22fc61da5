"""Reading the card forms: plain request fields to typed values, with a message per bad field."""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from app.services import numbers


def optional_int(value: str | None) -> int | None:
    return numbers.id_or_none(value)


def parse_card(form: MultiDict) -> tuple[dict, dict[str, str]]:
    """The fields a head or assignee can set on a card, and the errors found."""
    errors: dict[str, str] = {}
    due_on = None
    raw_due = (form.get("due_on") or "").strip()
    if raw_due:
        try:
            due_on = date.fromisoformat(raw_due)
        except ValueError:
            errors["due_on"] = _("Give the date as YYYY-MM-DD.")
        else:
            if not numbers.in_date_range(due_on):
                due_on, errors["due_on"] = None, numbers.date_error()
    raw_assignee = (form.get("assignee_id") or "").strip()
    if raw_assignee and numbers.id_or_none(raw_assignee) is None:
        errors["assignee_id"] = _("Choose a person from the list.")
    values = {
        "title": form.get("title", ""),
        "description": form.get("description"),
        "due_on": due_on,
        "priority": form.get("priority", "normal"),
        "assignee_id": optional_int(raw_assignee),
    }
    return values, errors


def parse_version(form: MultiDict, name: str = "version") -> int:
    """The card version the page was drawn with; a missing one can never match, so it is refused as stale."""
    return optional_int(form.get(name)) or -1


def parse_order(form: MultiDict) -> list[int]:
    """The card ids of a column, top to bottom, as the column form posted them."""
    return numbers.ids(form.getlist("card"))
