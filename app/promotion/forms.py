"""Reading the promotion forms: typed values out of request.form, with a message per bad field."""
from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from app.services.campaigns import CampaignInput
from app.services.responses import ResponseInput


class FormErrors(dict):
    """field name -> message; empty when the form is fine."""


def parse_date(form: MultiDict, name: str, errors: FormErrors) -> date | None:
    raw = (form.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[name] = _("Use a date like 2026-03-31.")
        return None


def parse_money(form: MultiDict, name: str, errors: FormErrors) -> Decimal | None:
    raw = (form.get(name) or "").strip().replace(" ", "").replace("\u00a0", "").replace(",", ".")
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        errors[name] = _("Give an amount, e.g. 15000 or 15000.50.")
        return None
    if not value.is_finite():
        errors[name] = _("Give an amount, e.g. 15000 or 15000.50.")
        return None
    return value.quantize(Decimal("0.01"))


def parse_int(form: MultiDict, name: str, errors: FormErrors) -> int | None:
    raw = (form.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        errors[name] = _("Give a whole number.")
        return None
    return int(raw)


def ids(form: MultiDict, name: str) -> list[int]:
    return [int(v) for v in form.getlist(name) if str(v).isdigit()]


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
    campaign_id = int(raw_campaign) if raw_campaign.isdigit() else None
    data = ResponseInput(campaign_id=campaign_id, name=form.get("name"), email=form.get("email"),
                         phone=form.get("phone"), company_name=form.get("company_name"),
                         message=form.get("message"), source=source, handled_by_id=user_id,
                         company_id=parse_int(form, "company_id", errors))
    return data, errors
