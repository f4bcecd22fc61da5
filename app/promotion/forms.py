"""Reading the promotion forms: typed values out of request.form, with a message per bad field."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from app.services import numbers
from app.services.campaigns import CampaignInput
from app.services.errors import RuleError
from app.services.responses import ResponseInput


class FormErrors(dict):
    """field name -> message; empty when the form is fine."""


def parse_date(form: MultiDict, name: str, errors: FormErrors) -> date | None:
    """A date field by the one date rule (1900..2100); a message next to it otherwise."""
    try:
        return numbers.parse_date(form.get(name), name)
    except RuleError as exc:
        errors[name] = exc.message
        return None


def parse_money(form: MultiDict, name: str, errors: FormErrors) -> Decimal | None:
    """An amount in the person's locale by the one number rule (finite, fits the column)."""
    try:
        return numbers.parse_decimal_input(form.get(name), numbers.MONEY, field=name)
    except RuleError as exc:
        errors[name] = exc.message
        return None


def parse_int(form: MultiDict, name: str, errors: FormErrors) -> int | None:
    """A whole number 0..2^31-1 (an id or a count); '²' or 2^64 is a message, never an overflow."""
    raw = (form.get(name) or "").strip()
    if not raw:
        return None
    value = numbers.whole_number(raw, 0, numbers.MAX_ID)
    if value is None:
        errors[name] = _("Give a whole number.")
    return value


def ids(form: MultiDict, name: str) -> list[int]:
    return numbers.ids(form.getlist(name))


def campaign_input(form: MultiDict) -> tuple[CampaignInput, FormErrors]:
    """The campaign form as a CampaignInput plus per-field messages."""
    errors = FormErrors()
    data = CampaignInput(
        name=(form.get("name") or "").strip(), channel_id=parse_int(form, "channel_id", errors),
        status=form.get("status") or "planned", starts_on=parse_date(form, "starts_on", errors),
        ends_on=parse_date(form, "ends_on", errors),
        planned_budget=parse_money(form, "planned_budget", errors) or Decimal(0),
        owner_id=parse_int(form, "owner_id", errors), plan_id=parse_int(form, "plan_id", errors),
        plan_year=parse_int(form, "plan_year", errors),
        audience=form.get("audience"), address_list_id=parse_int(form, "address_list_id", errors),
        materials=form.get("materials"), client_type_ids=ids(form, "client_type_ids"),
        product_ids=ids(form, "product_ids"), past_responses=parse_int(form, "past_responses", errors),
        past_deals=parse_int(form, "past_deals", errors),
        past_won_revenue=parse_money(form, "past_won_revenue", errors), notes=form.get("notes"),
        code=form.get("code"))
    return data, errors


def response_input(form: MultiDict, source: str, user_id: int | None) -> tuple[ResponseInput, FormErrors]:
    """The staff dialog or the public form as a ResponseInput; campaign 'unknown' is a valid answer."""
    errors = FormErrors()
    raw_campaign = form.get("campaign_id") or ""
    campaign_id = numbers.id_or_none(raw_campaign)
    data = ResponseInput(campaign_id=campaign_id, name=form.get("name"), email=form.get("email"),
                         phone=form.get("phone"), company_name=form.get("company_name"),
                         message=form.get("message"), source=source, handled_by_id=user_id,
                         company_id=parse_int(form, "company_id", errors))
    return data, errors
