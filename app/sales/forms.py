"""Reading the sales forms: ids, dates and lists from request data, never trusting their shape."""
from __future__ import annotations

from datetime import date, timedelta

from app.services import numbers


def int_or_none(value) -> int | None:
    return numbers.id_or_none(value)


def int_list(values) -> list[int]:
    return [i for i in (int_or_none(v) for v in values) if i is not None]


def date_or(value, default: date | None) -> date | None:
    """A date by the one date rule (1900..2100), else the default."""
    day = numbers.date_or_none(value)
    return day if day is not None else default


def period(args, today: date) -> tuple[date, date]:
    """A period from ?start=&end= (default: the last 90 days); reversed ends are put in order, and a period is
    at most ten years long (the start moves up)."""
    end = date_or(args.get("end"), today)
    start = date_or(args.get("start"), end - timedelta(days=89))
    return numbers.bounded_range(start, end)


def material_fields(form) -> dict:
    """The library form's fields as the service expects them."""
    return {"title": form.get("title", ""), "kind": form.get("kind", ""),
            "product_ids": int_list(form.getlist("product_ids")),
            "client_type_ids": int_list(form.getlist("client_type_ids")),
            "seller_ids": int_list(form.getlist("seller_ids")), "edition": form.get("edition", "1"),
            "issued_on": date_or(form.get("issued_on"), None), "private": form.get("private") == "1",
            "link": form.get("link", "")}


def review_updates(form, task_ids: list[int]) -> dict[int, dict]:
    """Per task: done, successful (yes/no/blank) and outcome from the review form."""
    return {tid: {"done": form.get(f"done_{tid}") == "1", "successful": form.get(f"successful_{tid}", ""),
                  "outcome": form.get(f"outcome_{tid}", "")} for tid in task_ids}


def survey_targets(values) -> list[tuple[str, int | None]]:
    """'line|client_type_id' pairs chosen from the top combinations."""
    out = []
    for v in values:
        line, _sep, ct = str(v).rpartition("|")
        if line:
            out.append((line, int_or_none(ct)))
    return out
