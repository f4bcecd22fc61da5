"""A stale save that merges: the edit forms carry hidden copies of the values they showed (`original-<field>`),
so the service saves only what the person changed and refuses only a field someone else changed meanwhile.

These helpers read the copies back and, after a refused save, prepare the form: the person's own changes stay,
the fields they left alone show what is stored now, each clash says what the other person saved.
"""
from __future__ import annotations

from flask import request
from flask_babel import gettext as _

from app.services.errors import Conflict
from app.services.records import comparable

PREFIX = "original"
SKIP = ("CSRFTokenField", "HiddenField", "SubmitField")


def shown_form(form_cls, **kwargs):
    """The values the form showed when the person opened it, read from its hidden copies; None when it was
    sent without them (an older page, a script): the save then refuses any stale copy as before."""
    if not any(key.startswith(PREFIX + "-") for key in request.form):
        return None
    return form_cls(formdata=request.form, prefix=PREFIX, meta={"csrf": False}, **kwargs)


def shown_values(shown, fields) -> dict | None:
    """The shown copy as the service's `original`: one value per field (a list for phones and emails)."""
    if shown is None:
        return None
    return {name: _value(shown[name]) for name in fields if name in shown}


def original_inputs(form) -> list[tuple[str, str]]:
    """The hidden copies to render for a form showing these values: (name, value) pairs."""
    pairs = []
    for f in form:
        if f.type in SKIP or f.short_name == "confirmed_different":
            continue
        if f.type == "FieldList":
            pairs += [(f"{PREFIX}-{f.short_name}-{e.short_name}", e._value()) for e in f.entries]
        elif f.type == "BooleanField":
            if f.data:
                pairs.append((f"{PREFIX}-{f.short_name}", "y"))
        elif f.type == "SelectField":
            pairs.append((f"{PREFIX}-{f.short_name}", "" if f.data is None else str(f.data)))
        else:
            pairs.append((f"{PREFIX}-{f.short_name}", f._value()))
    return pairs


def after_clash(form, shown, current, exc: Conflict) -> None:
    """Refused because of a clash: keep the person's changes, show the stored value where they changed
    nothing, and put next to each clashing field what the other person saved."""
    form.version.data = exc.current_version
    if shown is None:
        return
    for f in form:
        name = f.short_name
        if f.type in SKIP or name not in current or name not in shown:
            continue
        if comparable(_value(f)) == comparable(_value(shown[name])):
            _set(f, current[name])
        if name in exc.clashes:
            message = _("Someone else changed this to «%(value)s» after you opened the form. Your value is kept "
                        "here: save again to keep it.", value=_display(current[name]))
            target = f.entries[0] if f.type == "FieldList" and f.entries else f
            target.errors = [message]


def _value(field):
    if field.type == "FieldList":
        return [e.data for e in field.entries]
    return field.data


def _set(field, source) -> None:
    if field.type == "FieldList":
        while field.entries:
            field.pop_entry()
        for entry in source.entries or [None]:
            field.append_entry(entry.data if entry is not None else "")
        return
    field.data, field.raw_data = source.data, None


def _display(field) -> str:
    """The other person's value as the form would show it (a choice by its label)."""
    if field.type == "FieldList":
        return ", ".join(e.data for e in field.entries if e.data) or "—"
    if field.type == "BooleanField":
        return _("yes") if field.data else _("no")
    if field.type == "SelectField":
        labels = {"" if value is None else str(value): label for value, label, *_rest in field.iter_choices()}
        return str(labels.get("" if field.data is None else str(field.data), field.data or "—")) or "—"
    return field._value() or "—"
