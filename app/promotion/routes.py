"""Promotion views (thin: parse, call a service, render)."""
from __future__ import annotations

import re
from datetime import date, timedelta

from flask import abort, current_app, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.extensions import csrf, db
from app.i18n import reader_locale
from app.models.address_lists import LIST_FORMATS, AddressList, Segment
from app.models.campaigns import CAMPAIGN_STATUSES, Campaign
from app.models.companies import ClientType, Company, Tag
from app.models.products import Product
from app.models.promotion_plan import PLAN_STATUSES, PromotionPlan
from app.models.responses import RESPONSE_STATUSES, Response
from app.promotion import bp
from app.promotion.forms import FormErrors, campaign_input, parse_date, parse_money, response_input
from app.services import address_lists as address_list_service
from app.services import audit, campaign_analysis, numbers, org, promotion_plan
from app.services import settings as settings_service
from app.services import campaigns as campaigns_service
from app.services import responses as responses_service
from app.services.errors import RuleError
from app.services.jobs import enqueue
from app.services.links import external_url, is_external_ready
from app.services.permissions import can_handle_response, can_manage_promotion, require
from app.services.promotion import PromotionError, setting
from app.services.promotion import label as promotion_label
from app.web import public, render, upload_limit

bp.add_app_template_global(promotion_label, "promotion_label")
BUDGET_KEY = re.compile(r"b-([0-9]{1,2})-([0-9]{1,10})")  # a budget grid cell: b-<month>-<channel id>


# ---------------------------------------------------------------- campaigns

@bp.route("/")
def index():
    """All campaigns, newest first, with a filter by status."""
    status = request.args.get("status")
    stmt = select(Campaign).order_by(Campaign.starts_on.desc().nulls_first(), Campaign.id.desc())
    if status in CAMPAIGN_STATUSES:
        stmt = stmt.where(Campaign.status == status)
    return render("promotion/index.html", "promotion/_campaigns.html",
                  campaigns=list(db.session.scalars(stmt.limit(500))), status=status, statuses=CAMPAIGN_STATUSES)


def _campaign_form_context(campaign: Campaign | None, errors: FormErrors | None = None, form=None, **extra):
    chans = campaigns_service.channels(db.session)
    return dict(campaign=campaign, errors=errors or {}, form=form, channels=chans,
                statuses=CAMPAIGN_STATUSES, client_types=list(db.session.scalars(select(ClientType).order_by(ClientType.id))),
                products=list(db.session.scalars(select(Product).where(Product.active.is_(True)).order_by(Product.name))),
                people=org.active_people(db.session),
                plans=list(db.session.scalars(select(PromotionPlan).order_by(PromotionPlan.year.desc()))),
                address_lists=list(db.session.scalars(select(AddressList).where(AddressList.state == "ready")
                                                      .order_by(AddressList.id.desc()).limit(50))), **extra)


@bp.route("/campaigns/new", methods=["GET", "POST"])
def new_campaign():
    """Create a campaign, in a year's plan when opened from the plan page."""
    require(can_manage_promotion(current_user))
    if request.method == "POST":
        return _save_campaign(None)
    year = request.args.get("year", type=numbers.bounded(2000, 2100))
    # A GET writes nothing: the year's plan is made when the campaign is saved into it (plan_year).
    plan = promotion_plan.plan_for(db.session, year) if year else None
    return render_template("promotion/campaign_form.html", **_campaign_form_context(
        None, preset={"plan_id": plan.id if plan else None, "owner_id": current_user.id,
                      "plan_year": year if year and plan is None else None,
                      "starts_on": date(year, 1, 1) if year else None}))


@bp.route("/campaigns/<int:campaign_id>/edit", methods=["GET", "POST"])
def edit_campaign(campaign_id: int):
    """Change a campaign; a save based on a stale copy is refused and shows what changed."""
    require(can_manage_promotion(current_user))
    campaign = db.get_or_404(Campaign, campaign_id)
    if request.method == "POST":
        return _save_campaign(campaign)
    return render_template("promotion/campaign_form.html", **_campaign_form_context(campaign, preset={}))


def _save_campaign(campaign: Campaign | None):
    data, errors = campaign_input(request.form)
    version = request.form.get("version", type=numbers.bounded(0, numbers.MAX_ID))
    if not errors:
        try:
            saved = campaigns_service.save_campaign(db.session, data, campaign.id if campaign else None, version)
            db.session.commit()
            return redirect(url_for("promotion.campaign_detail", campaign_id=saved.id))
        except campaigns_service.StaleCampaign as stale:
            db.session.rollback()
            changes = audit.changes_since(db.session, "Campaign", stale.campaign.id, version or 0)
            return render_template("promotion/campaign_form.html", stale=changes, **_campaign_form_context(
                stale.campaign, preset={}, form=request.form)), 409
        except PromotionError as exc:
            db.session.rollback()
            errors[exc.field or "name"] = _(str(exc))
    return render_template("promotion/campaign_form.html", **_campaign_form_context(
        campaign, errors, form=request.form, preset={})), 422


@bp.route("/campaigns/<int:campaign_id>")
def campaign_detail(campaign_id: int):
    """A campaign: its figures, spend, responses, public form link and embeddable snippet."""
    campaign = db.get_or_404(Campaign, campaign_id)
    stats = campaign_analysis.campaign_summary(db.session, campaign, reader_locale())
    token = responses_service.form_token(campaign.id)
    return render_template("promotion/campaign.html", campaign=campaign, stats=stats,
                           responses=responses_service.responses(db.session, campaign_id=campaign.id, limit=100),
                           form_url=external_url("promotion.public_form", token=token),
                           submit_url=external_url("promotion.public_submit", token=token),
                           policy_url=external_url("main.privacy_policy"), external_ready=is_external_ready(),
                           can_manage=can_manage_promotion(current_user), errors={},
                           form_closed=responses_service.form_closed(campaign),
                           policy=settings_service.privacy_policy(db.session))


@bp.route("/campaigns/<int:campaign_id>/spend", methods=["POST"])
def add_spend(campaign_id: int):
    """Record an actual spend entry on a campaign."""
    require(can_manage_promotion(current_user))
    campaign = db.get_or_404(Campaign, campaign_id)
    errors = FormErrors()
    spent_on, amount = parse_date(request.form, "spent_on", errors), parse_money(request.form, "amount", errors)
    if not errors:
        try:
            campaigns_service.add_spend(db.session, campaign.id, spent_on, amount, request.form.get("purpose", ""), current_user.id)
            db.session.commit()
            db.session.refresh(campaign)
        except PromotionError as exc:
            db.session.rollback()
            errors[exc.field] = _(str(exc))
    return render_template("promotion/_spend.html", campaign=campaign, errors=errors,
                           can_manage=True), 422 if errors else 200


@bp.route("/campaigns/<int:campaign_id>/analysed", methods=["POST"])
def mark_analysed(campaign_id: int):
    """Mark a campaign's results as analysed, with the notes of what was learnt."""
    require(can_manage_promotion(current_user))
    campaign = db.get_or_404(Campaign, campaign_id)
    errors = FormErrors()
    try:
        campaigns_service.mark_analysed(db.session, campaign.id, request.form.get("analysis_notes", ""))
        db.session.commit()
    except PromotionError as exc:
        db.session.rollback()
        errors[exc.field] = _(str(exc))
    return render_template("promotion/_analysed.html", campaign=campaign, errors=errors,
                           can_manage=True), 422 if errors else 200


@bp.route("/channels", methods=["GET", "POST"])
def channels():
    """The editable list of channels."""
    errors = FormErrors()
    if request.method == "POST":
        require(can_manage_promotion(current_user))
        try:
            campaigns_service.save_channel(db.session, request.form.get("channel_id", type=numbers.record_id), request.form.get("name_ru", ""),
                                 request.form.get("name_en", ""), request.form.get("active", "1") == "1")
            db.session.commit()
        except PromotionError as exc:
            db.session.rollback()
            errors[exc.field or "name_ru"] = _(str(exc))
    chans = campaigns_service.channels(db.session)
    return render("promotion/channels.html", "promotion/_channels.html", channels=chans, errors=errors,
                  can_manage=can_manage_promotion(current_user)), 422 if errors else 200


# ---------------------------------------------------------------- the year's plan

@bp.route("/plan")
def plan_current():
    return redirect(url_for("promotion.plan", year=date.today().year))


def _plan_view(year: int):
    """The year's plan as its page draws it (None before the plan exists)."""
    p = promotion_plan.plan_for(db.session, year)
    return promotion_plan.plan_view(db.session, p) if p else None


@bp.route("/plan/<int(min=2000, max=2100):year>")
def plan(year: int):
    """The year's plan: budget by month and channel, the calendar, planned vs actual."""
    if not 2000 <= year <= 2100:
        abort(404)
    return render("promotion/plan.html", "promotion/_plan.html", year=year, view=_plan_view(year), errors={},
                  span=promotion_plan.timeline_span, can_manage=can_manage_promotion(current_user),
                  has_previous=promotion_plan.plan_for(db.session, year - 1) is not None)


@bp.route("/plan/<int(min=2000, max=2100):year>/budget", methods=["POST"])
def save_budget(year: int):
    """Save the budget grid of a year's plan."""
    require(can_manage_promotion(current_user))
    p = promotion_plan.ensure_plan(db.session, year, current_user.id)
    errors = FormErrors()
    cells = {}
    for key in request.form:
        if key.startswith("b-"):
            cell = BUDGET_KEY.fullmatch(key)
            month, channel_id = (numbers.whole_number(cell[1], 1, 12), numbers.id_or_none(cell[2])) if cell else (None, None)
            if month is None or channel_id is None:
                errors[key] = _("This budget cell is not on the plan's grid.")
                continue
            cells[(month, channel_id)] = parse_money(request.form, key, errors)
    if request.form.get("status") in PLAN_STATUSES:
        p.status = request.form["status"]
    if not errors:
        try:
            promotion_plan.save_budget(db.session, p.id, cells)
            db.session.commit()
        except PromotionError as exc:
            db.session.rollback()
            errors["budget"] = _(str(exc))
    else:
        errors["budget"] = _("Some amounts could not be read; nothing was saved.")
        db.session.rollback()
    return render_template("promotion/_plan.html", year=year, view=_plan_view(year),
                           errors=errors, span=promotion_plan.timeline_span, can_manage=True,
                           has_previous=promotion_plan.plan_for(db.session, year - 1) is not None), 422 if errors else 200


@bp.route("/plan/<int(min=2000, max=2100):year>/copy", methods=["POST"])
def copy_plan(year: int):
    """Start this year's plan as a draft copy of last year's."""
    require(can_manage_promotion(current_user))
    errors = FormErrors()
    try:
        promotion_plan.copy_plan(db.session, year, current_user.id)
        db.session.commit()
    except PromotionError as exc:
        db.session.rollback()
        errors["copy"] = _(str(exc))
    return render_template("promotion/_plan.html", year=year, view=_plan_view(year),
                           errors=errors, span=promotion_plan.timeline_span, can_manage=True,
                           has_previous=promotion_plan.plan_for(db.session, year - 1) is not None), 422 if errors else 200


# ---------------------------------------------------------------- responses (staff)

@bp.route("/responses")
def responses():
    """Every response, newest first; filter to unknown source, a status, or the unconfirmed ones of the public form."""
    unknown = request.args.get("unknown") == "1"
    unconfirmed = request.args.get("unconfirmed") == "1"
    status = request.args.get("status")
    return render("promotion/responses.html", "promotion/_responses.html",
                  responses=responses_service.responses(db.session, unknown=unknown, status=status, limit=300,
                                                        unconfirmed=unconfirmed),
                  unknown=unknown, unconfirmed=unconfirmed, status=status, statuses=RESPONSE_STATUSES)


@bp.route("/responses/new")
def response_dialog():
    """The two-click response dialog opened from the top bar."""
    return render_template("promotion/_response_dialog.html", campaigns=campaigns_service.pick_campaigns(db.session),
                           errors={}, form={}, saved=None, q="")


@bp.route("/responses/picker")
def response_picker():
    """The campaign picker's list, filtered as the person types."""
    q = request.args.get("q", "")[:100]
    return render_template("promotion/_campaign_picker.html", campaigns=campaigns_service.pick_campaigns(db.session, q), q=q)


@bp.route("/responses", methods=["POST"])
def record_response():
    """Record a response entered by staff; 'unknown' is a valid campaign."""
    data, errors = response_input(request.form, "staff", current_user.id)
    saved = None
    if not errors:
        try:
            saved = responses_service.record_response(db.session, data)
            db.session.commit()
        except PromotionError as exc:
            db.session.rollback()
            errors.update({(k if k != "__all__" else "name"): _(v) for k, v in exc.errors.items()})
    return render_template("promotion/_response_dialog.html", campaigns=campaigns_service.pick_campaigns(db.session),
                           errors=errors, form=request.form if errors else {}, saved=saved, q=""), 422 if errors else 200


def _response_page(response: Response, errors: dict | None = None, status: int = 200):
    suggested = None
    if response.unconfirmed:
        company_id, _contact_id = responses_service.suggested_client(db.session, response)
        suggested = db.session.get(Company, company_id) if company_id else None
    return render("promotion/response.html", "promotion/_response_status.html", response=response,
                  statuses=RESPONSE_STATUSES, sellers=org.active_people(db.session), errors=errors or {},
                  suggested=suggested, can_manage=can_manage_promotion(current_user)), status


@bp.route("/responses/<int:response_id>")
def response_detail(response_id: int):
    """One response: who, from which campaign, matched to whom, and its status."""
    return _response_page(db.session.get(Response, response_id) or abort(404))


@bp.route("/responses/<int:response_id>/match", methods=["POST"])
def response_match(response_id: int):
    """Confirm an unconfirmed response as coming from a client of the base (Promotion's call)."""
    require(can_manage_promotion(current_user))
    response = db.session.get(Response, response_id) or abort(404)
    try:
        responses_service.match_to_client(db.session, response.id, request.form.get("company_id", type=int),
                                          current_user.id)
        db.session.commit()
    except PromotionError as exc:
        db.session.rollback()
        return _response_page(db.session.get(Response, response_id), {exc.field or "company_id": _(str(exc))}, 422)
    return redirect(url_for("promotion.response_detail", response_id=response.id))


@bp.route("/responses/<int:response_id>/confirm", methods=["POST"])
def response_confirm(response_id: int):
    """Confirm an unconfirmed response as someone new: only now a prospect company and contact are created."""
    require(can_manage_promotion(current_user))
    response = db.session.get(Response, response_id) or abort(404)
    try:
        responses_service.confirm_as_new(db.session, response.id, current_user.id)
        db.session.commit()
    except PromotionError as exc:
        db.session.rollback()
        return _response_page(db.session.get(Response, response_id), {exc.field or "confirm": _(str(exc))}, 422)
    return redirect(url_for("promotion.response_detail", response_id=response.id))


@bp.route("/responses/<int:response_id>/status", methods=["POST"])
def response_status(response_id: int):
    """Qualify, convert to a deal, or disqualify with a reason; and give it to a seller."""
    require(can_handle_response(current_user, db.session.get(Response, response_id) or abort(404)))
    errors = FormErrors()
    try:
        if "handled_by_id" in request.form:
            require(can_manage_promotion(current_user))   # handing a response to a seller is Promotion's call
            responses_service.assign(db.session, response_id, request.form.get("handled_by_id", type=numbers.record_id))
        responses_service.set_status(db.session, response_id, request.form.get("status", ""), request.form.get("reason"),
                           current_user.id)
        db.session.commit()
    except PromotionError as exc:
        db.session.rollback()
        errors[exc.field or "status"] = _(str(exc))
    response = db.session.get(Response, response_id) or abort(404)
    sellers = org.active_people(db.session)
    return render_template("promotion/_response_status.html", response=response, statuses=RESPONSE_STATUSES,
                           sellers=sellers, errors=errors), 422 if errors else 200


@bp.route("/responses/import", methods=["GET", "POST"])
@upload_limit("IMPORT_MAX_BYTES")
def import_responses():
    """Import responses from a CSV file (exhibition lists, call-tracking exports)."""
    require(can_manage_promotion(current_user))
    result, errors = None, FormErrors()
    if request.method == "POST":
        upload = request.files.get("file")
        campaign_id = request.form.get("campaign_id", type=numbers.record_id)
        if upload is None or not upload.filename:
            errors["file"] = _("Choose a CSV file.")
        else:
            try:
                result = responses_service.import_responses(db.session, upload.read(), campaign_id, current_user.id)
                db.session.commit()
            except PromotionError as exc:
                db.session.rollback()
                errors[exc.field or "file"] = _(str(exc))
    return render_template("promotion/import.html", result=result, errors=errors,
                           campaigns=campaigns_service.pick_campaigns(db.session, limit=200)), 422 if errors else 200


# ---------------------------------------------------------------- the public form

def _public_campaign(token: str) -> Campaign:
    campaign = responses_service.campaign_from_token(db.session, token)
    if campaign is None:
        abort(404)
    return campaign


def _closed(campaign: Campaign):
    """The page of a campaign whose form has closed; nothing is read from the visitor, nothing is written."""
    return render_template("promotion/public_closed.html", campaign=campaign), 410


def _public_page(campaign: Campaign, token: str, form, errors, status: int = 200):
    return render_template("promotion/public_form.html", campaign=campaign, token=token, form=form, errors=errors,
                           policy=settings_service.privacy_policy(db.session)), status


@bp.route("/r/<token>")
@public
def public_form(token: str):
    """The hosted response form of one campaign; no sign-in; closed once the campaign ends."""
    campaign = _public_campaign(token)
    if responses_service.form_closed(campaign):
        return _closed(campaign)
    return _public_page(campaign, token, {}, {})


@bp.route("/r/<token>", methods=["POST"])
@public
@csrf.exempt
def public_submit(token: str):
    """A visitor's response: signed token, open campaign, rate limit, honeypot and consent checked first; it
    waits unconfirmed in the promotion queue and writes nothing into the client base."""
    campaign = _public_campaign(token)
    if responses_service.form_closed(campaign):
        return _closed(campaign)
    # remote_addr, not X-Forwarded-For, which a flooder could vary at will (a proxy deployment adds ProxyFix).
    limited = responses_service.rate_limited(db.session, request.remote_addr or "?")
    db.session.commit()
    if limited:
        return _public_page(campaign, token, request.form,
                            {"form": _("Too many submissions from your address. Try again later.")}, 429)
    if request.form.get("website"):  # the honeypot: hidden from people, filled by bots
        return redirect(url_for("promotion.public_thanks", token=token))
    data, errors = response_input(request.form, "web", None)
    data.campaign_id, data.company_id = campaign.id, None
    data.consent = bool(request.form.get("consent"))
    if not errors:
        try:
            responses_service.record_response(db.session, data)
            db.session.commit()
            return redirect(url_for("promotion.public_thanks", token=token))
        except PromotionError as exc:
            db.session.rollback()
            errors.update({k: _(v) for k, v in exc.errors.items()})
    return _public_page(campaign, token, request.form, errors, 422)


@bp.route("/r/<token>/thanks")
@public
def public_thanks(token: str):
    """The thank-you page after a response."""
    return render_template("promotion/public_thanks.html", campaign=_public_campaign(token))


# ---------------------------------------------------------------- analysis

@bp.route("/analysis")
def analysis():
    """Every campaign compared over any period, by channel and by seller, with a weekly chart."""
    errors = FormErrors()
    today = date.today()
    end = parse_date(request.args, "end", errors) or today
    start = parse_date(request.args, "start", errors) or (end - timedelta(weeks=12))
    start, end = numbers.bounded_range(start, end)
    sort = request.args.get("sort", "responses")
    descending = request.args.get("dir", "desc") != "asc"
    result = campaign_analysis.analyse(db.session, start, end, reader_locale(), sort=sort, descending=descending)
    chart_max = max([max(v) for v in result.weekly.values()] + [1])
    return render("promotion/analysis.html", "promotion/_analysis.html", a=result, sort=sort, descending=descending,
                  errors=errors, chart_max=chart_max, sort_keys=campaign_analysis.SORT_KEYS)


# ---------------------------------------------------------------- segments and address lists

def _require_lists():
    require(can_manage_promotion(current_user))


def _definition_from(form) -> dict:
    return address_list_service.clean_definition({k: form.getlist(k) if k.endswith("_ids") or k in ("regions", "cities", "industries", "statuses")
                                   else form.get(k) for k in address_list_service.LIST_FIELDS})


def _builder_context(segment: Segment | None, definition: dict, errors=None, name: str = ""):
    return dict(segment=segment, d=definition, errors=errors or {}, name=name or (segment.name if segment else ""),
                counts=address_list_service.count(db.session, definition), choices=address_list_service.choices(db.session),
                client_types=list(db.session.scalars(select(ClientType).order_by(ClientType.id))),
                products=list(db.session.scalars(select(Product).order_by(Product.name))),
                tags=list(db.session.scalars(select(Tag).order_by(Tag.name))),
                managers=org.active_people(db.session))


@bp.route("/lists")
def address_lists():
    """Generated address lists with their definition, counts and author; and the saved segments."""
    _require_lists()
    rows = list(db.session.scalars(select(AddressList).order_by(AddressList.id.desc()).limit(200)))
    return render("promotion/lists.html", "promotion/_lists.html", lists=rows,
                  segments=list(db.session.scalars(select(Segment).order_by(Segment.name))),
                  export_dir=current_app.config["EXPORT_DIR"], downloadable=address_list_service.is_downloadable,
                  formats=LIST_FORMATS,
                  campaigns=list(db.session.scalars(select(Campaign).order_by(Campaign.id.desc()).limit(200))))


@bp.route("/segments/new", methods=["GET", "POST"])
@bp.route("/segments/<int:segment_id>", methods=["GET", "POST"])
def segment(segment_id: int | None = None):
    """The segment builder: filters with a live count, saved under a name."""
    _require_lists()
    seg = db.session.get(Segment, segment_id) if segment_id else None
    if segment_id and seg is None:
        abort(404)
    if request.method == "POST":
        try:
            definition = _definition_from(request.form)
        except RuleError as exc:
            return render_template("promotion/segment.html", **_builder_context(
                seg, {}, {exc.field or "name": exc.message}, request.form.get("name", ""))), 422
        try:
            seg = address_list_service.save_segment(db.session, request.form.get("name", ""), definition, current_user.id,
                                     seg.id if seg else None)
            db.session.commit()
            return redirect(url_for("promotion.segment", segment_id=seg.id, saved=1))
        except (address_list_service.ListError, ValueError) as exc:
            db.session.rollback()
            field = getattr(exc, "field", None) or "name"
            return render_template("promotion/segment.html", **_builder_context(
                seg, definition, {field: _(str(exc))}, request.form.get("name", ""))), 422
    return render_template("promotion/segment.html", **_builder_context(seg, seg.definition if seg else {}),
                           saved=request.args.get("saved"), formats=LIST_FORMATS)


@bp.route("/segments/count", methods=["POST"])
def segment_count():
    """The live count as filters change."""
    _require_lists()
    try:
        definition = _definition_from(request.form)
    except RuleError:
        definition = {}
    return render_template("promotion/_segment_count.html", counts=address_list_service.count(db.session, definition))


def _choice(form, name: str) -> bool | None:
    """A checkbox that has a default: the form sends a hidden "0" before it, so the last value is the choice;
    absent altogether (a script's POST), None lets the reader's locale decide."""
    values = form.getlist(name)
    return values[-1] == "1" if values else None


@bp.route("/lists", methods=["POST"])
def generate_list():
    """Start generating a list from a segment; answers with the progress bar."""
    _require_lists()
    seg = db.session.get(Segment, request.form.get("segment_id", type=numbers.record_id) or 0)
    if seg is None:
        abort(404)
    try:
        lst = address_list_service.create_list(db.session, seg, request.form.get("fmt", ""), request.form.get("file_type", "csv"),
                                {"bom": _choice(request.form, "bom"), "semicolon": _choice(request.form, "semicolon"),
                                 "unverified_days": request.form.get("unverified_days", type=numbers.bounded(1, 36500))
                                 if request.form.get("exclude_unverified") else None},
                                current_user.id, setting("LIST_EXPIRY_DAYS"))
        db.session.commit()
    except address_list_service.ListError as exc:
        db.session.rollback()
        return render_template("errors/_message.html", code=422, message=_(str(exc))), 422
    from app.promotion.jobs import generate_list_job

    record = enqueue(generate_list_job, lst.id, kind="address_list", user_id=current_user.id,
                     title=_("Address list: %(name)s (%(fmt)s)", name=lst.name, fmt=promotion_label("format", lst.fmt)))
    lst.job_id = record.id
    db.session.commit()
    return render_template("jobs/_progress.html", job=record)


@bp.route("/lists/<int:list_id>/download")
def download_list(list_id: int):
    """Download a generated list until it expires."""
    _require_lists()
    lst = db.session.get(AddressList, list_id)
    export_dir = current_app.config["EXPORT_DIR"]
    if lst is None or not address_list_service.is_downloadable(lst, export_dir):
        abort(404)
    name = f"{lst.name}-{lst.fmt}.{lst.file_type}"
    return send_file(export_dir / lst.file_name, as_attachment=True, download_name=name)


@bp.route("/lists/<int:list_id>/attach", methods=["POST"])
def attach_list(list_id: int):
    """Attach a list to a campaign so its responses can be traced to the list."""
    _require_lists()
    lst = db.session.get(AddressList, list_id) or abort(404)
    campaign = db.get_or_404(Campaign, request.form.get("campaign_id", type=numbers.record_id) or 0)
    campaign.address_list_id = lst.id
    db.session.commit()
    return redirect(url_for("promotion.campaign_detail", campaign_id=campaign.id))
