"""Sales views (thin: parse, call a service, render)."""
from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from flask import Response, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.extensions import db
from app.i18n import file_size, reader_locale
from app.models.activities import Activity
from app.models.companies import ClientType, Company
from app.models.deals import Deal
from app.models.materials import MATERIAL_KINDS, Material
from app.models.org import User
from app.models.products import Product
from app.models.surveys import Survey
from app.models.week_plans import TASK_ACTIONS, PlanTask, WeekPlan
from app.sales import bp, forms
from app.services import custody, figures, materials, numbers, revenue, surveys, week_plans, weeks
from app.services.links import external_url, is_external_ready
from app.services.permissions import can_edit_owned, can_run_surveys, can_see_sales_team, require
from app.web import public, render

SALES_FIGURES = ("materials_coverage_share", "materials_in_won_deals_share", "sellers_with_plan_share",
                 "last_week_tasks_done_share", "plan_realism_trend", "top_combinations_revenue_share",
                 "surveys_answered", "deals_with_recent_activity_share", "win_rate")




@bp.route("/")
def index():
    """The sales area at a glance: its live figures and the way to each tool."""
    shown = [figures.compute(db.session, name) for name in SALES_FIGURES]
    return render_template("sales/index.html", figures=shown)


# --- materials library (Dept 5) -------------------------------------------------------------------------

def _material_choices() -> dict:
    return {"kinds": MATERIAL_KINDS,
            "products": db.session.scalars(select(Product).where(Product.active.is_(True))
                                           .order_by(Product.product_line, Product.name)).all(),
            "client_types": db.session.scalars(select(ClientType).where(ClientType.active.is_(True))
                                               .order_by(ClientType.id)).all(),
            "sellers": week_plans.sellers(db.session)}


@bp.route("/materials")
def materials_list():
    """The library: every material the person may see, with how it is used in won and lost deals."""
    args = request.args
    items = materials.library(db.session, current_user, kind=args.get("kind") or None,
                              product_id=forms.int_or_none(args.get("product")),
                              client_type_id=forms.int_or_none(args.get("client_type")))
    return render("sales/materials.html", "sales/_materials.html", items=items, args=args, **_material_choices())


@bp.route("/materials/new", methods=["GET", "POST"])
def material_new():
    """Upload a file or record a link for a product and client type."""
    errors, values = {}, {}
    if request.method == "POST":
        values = forms.material_fields(request.form)
        try:
            material = materials.create_material(
                db.session, current_user, **values, upload=request.files.get("file"),
                upload_dir=Path(current_app.config["UPLOAD_DIR"]),
                max_bytes=current_app.config["MATERIAL_MAX_BYTES"])
        except materials.MaterialError as exc:
            db.session.rollback()
            errors[exc.field] = str(exc)
        else:
            db.session.commit()
            flash(_("Material “%(title)s” added.", title=material.title), "success")
            return redirect(url_for("sales.materials_list"))
    status = 422 if errors else 200
    return render_template("sales/material_form.html", errors=errors, values=values,
                           limit=file_size(current_app.config["MATERIAL_MAX_BYTES"]),
                           allowed=", ".join(sorted(materials.ALLOWED_TYPES)), **_material_choices()), status


@bp.route("/materials/<int:material_id>/open")
def material_open(material_id: int):
    """Serve a material's file (or follow its link) to signed-in people allowed to see it."""
    material = db.session.get(Material, material_id)
    if material is None:
        abort(404)
    require(materials.can_open(current_user, material))
    if material.link:
        return redirect(material.link)
    path = materials.stored_path(Path(current_app.config["UPLOAD_DIR"]), material)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=material.content_type, as_attachment=True,
                         download_name=material.file_name, max_age=0, conditional=True)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/materials/coverage")
def coverage():
    """Products × client types: where no material exists yet."""
    return render("sales/coverage.html", "sales/_coverage.html", cov=materials.coverage(db.session, current_user),
                  locale=reader_locale())


@bp.route("/materials/effective")
def effective():
    """The sellers with the best win rate and the materials in their won deals."""
    rows = materials.effective_sellers(db.session, current_user,
                                       min_closed=numbers.clamp(request.args.get("min_closed"), 1, 1000, 3))
    return render_template("sales/effective.html", rows=rows)


@bp.route("/materials/effective/<int:seller_id>/propose", methods=["POST"])
def propose_card(seller_id: int):
    """Ask Dept 5 to turn what this seller uses into a material."""
    note = request.form.get("note", "").strip()[:300]
    sent = materials.propose_material_card(db.session, current_user, seller_id, note,
                                           url=url_for("sales.effective"))
    db.session.commit()
    message = (_("Dept 5 was asked to make the material.") if sent else
               _("Nobody heads Dept 5 yet; the request was not delivered."))
    return render_template("sales/_proposed.html", message=message, seller_id=seller_id, ok=bool(sent))


@bp.route("/deals/<int:deal_id>/materials", methods=["GET", "POST"])
def deal_materials(deal_id: int):
    """The materials used in a deal; a seller adds the ones they used."""
    deal = db.get_or_404(Deal, deal_id)
    return _uses_view(deal=deal)


@bp.route("/activities/<int:activity_id>/materials", methods=["GET", "POST"])
def activity_materials(activity_id: int):
    """The materials used in a call or meeting."""
    activity = db.get_or_404(Activity, activity_id)
    return _uses_view(activity=activity)


def _uses_view(deal: Deal | None = None, activity: Activity | None = None):
    error = None
    if request.method == "POST":
        require(can_edit_owned(current_user, deal.owner if deal else activity.author))
        try:
            materials.attach(db.session, current_user, forms.int_or_none(request.form.get("material_id")) or 0,
                             deal_id=deal.id if deal else None, activity_id=activity.id if activity else None)
        except materials.MaterialError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            db.session.commit()
    uses = materials.uses_for(db.session, current_user, deal_id=deal.id if deal else None,
                              activity_id=activity.id if activity else None)
    options = [i["material"] for i in materials.library(db.session, current_user)]
    return render("sales/uses.html", "sales/_uses.html", deal=deal, activity=activity, uses=uses,
                  options=options, error=error), 422 if error else 200


# --- weekly plans (Dept 6) -------------------------------------------------------------------------------

def _plan_context(seller: User, week_start: date, days: int) -> dict:
    plan = week_plans.get_plan(db.session, seller.id, week_start)
    return {"seller": seller, "plan": plan, "week_start": week_start, "days": days,
            "prev_week": (week_start - timedelta(days=7)).isoformat(),
            "next_week": (week_start + timedelta(days=7)).isoformat(),
            "suggestions": week_plans.suggestions(db.session, seller.id, week_start, days),
            "last": week_plans.last_review(db.session, seller.id, week_start), "actions": TASK_ACTIONS,
            "action_label": week_plans.action_label, "clients": week_plans.seller_clients(db.session, seller.id),
            "deals": week_plans.open_deals(db.session, seller.id),
            "can_edit": week_plans.can_plan_for(current_user, seller),
            "team": week_plans.sellers(db.session) if current_user.role in ("head", "admin") else [],
            "can_review": plan is not None and week_plans.can_review(current_user, plan)}


def _seller_arg(value) -> User:
    seller_id = forms.int_or_none(value) or current_user.id
    seller = db.get_or_404(User, seller_id)
    require(week_plans.can_plan_for(current_user, seller))
    return seller


@bp.route("/plans")
def plan():
    """A seller's week: the plan, suggestions to draft from, and last week's lessons."""
    seller = _seller_arg(request.args.get("seller"))
    week_start = weeks.parse_week(request.args.get("week"), date.today())
    days = numbers.clamp(request.args.get("days"), 1, 365, 14)
    return render("sales/plan.html", "sales/_plan.html", **_plan_context(seller, week_start, days))


@bp.route("/plans/draft", methods=["POST"])
def plan_draft():
    """Add the chosen suggestions to the week's plan."""
    seller = _seller_arg(request.form.get("seller"))
    week_start = weeks.parse_week(request.form.get("week"), date.today())
    days = numbers.clamp(request.form.get("days"), 1, 365, 14)
    try:
        week_plans.add_suggested(db.session, current_user, seller.id, week_start, request.form.getlist("keys"), days)
    except PermissionError:
        abort(403)
    db.session.commit()
    return render("sales/plan.html", "sales/_plan.html", **_plan_context(seller, week_start, days))


@bp.route("/plans/tasks", methods=["POST"])
def plan_add_task():
    """Add a task by hand: the client, the action and the result expected."""
    seller = _seller_arg(request.form.get("seller"))
    week_start = weeks.parse_week(request.form.get("week"), date.today())
    plan_row = week_plans.get_plan(db.session, seller.id, week_start, create=True)
    error = None
    try:
        week_plans.add_task(db.session, current_user, plan_row, forms.int_or_none(request.form.get("company_id")),
                       request.form.get("action", ""), request.form.get("expected_result", ""),
                       deal_id=forms.int_or_none(request.form.get("deal_id")))
    except PermissionError:
        abort(403)
    except week_plans.PlanError as exc:
        db.session.rollback()
        error = {exc.field: str(exc)}
    else:
        db.session.commit()
    ctx = _plan_context(seller, week_start, 14)
    return render("sales/plan.html", "sales/_plan.html", task_errors=error or {}, **ctx), 422 if error else 200


@bp.route("/plans/tasks/<int:task_id>/complete", methods=["POST"])
def plan_complete(task_id: int):
    """Do the task: log the activity it called for, in one click."""
    task = db.get_or_404(PlanTask, task_id)
    try:
        week_plans.complete_task(db.session, current_user, task, request.form.get("outcome", "").strip() or None)
    except PermissionError:
        abort(403)
    db.session.commit()
    return render("sales/plan.html", "sales/_plan.html",
                  **_plan_context(task.plan.seller, task.plan.week_start, 14))


@bp.route("/plans/<int:plan_id>/status", methods=["POST"])
def plan_status(plan_id: int):
    """Submit a plan for approval, or (the head) approve it or send it back."""
    plan_row = db.get_or_404(WeekPlan, plan_id)
    try:
        week_plans.set_status(db.session, current_user, plan_row, request.form.get("status", ""))
    except PermissionError:
        abort(403)
    db.session.commit()
    if request.form.get("back") == "team":
        return redirect(url_for("sales.team", week=plan_row.week_start.isoformat()))
    return render("sales/plan.html", "sales/_plan.html",
                  **_plan_context(plan_row.seller, plan_row.week_start, 14))


@bp.route("/plans/<int:plan_id>/review", methods=["GET", "POST"])
def plan_review(plan_id: int):
    """The week-end review: each task's result, what worked and what did not."""
    plan_row = db.get_or_404(WeekPlan, plan_id)
    require(week_plans.can_edit_plan(current_user, plan_row))
    if request.method == "POST":
        try:
            week_plans.review(db.session, current_user, plan_row,
                         forms.review_updates(request.form, [t.id for t in plan_row.tasks]),
                         request.form.get("worked", ""), request.form.get("not_worked", ""))
        except PermissionError:
            abort(403)
        db.session.commit()
        flash(_("The week's review is saved."), "success")
        return redirect(url_for("sales.plan_review", plan_id=plan_id))
    pva = week_plans.plan_vs_actual(db.session, [plan_row.seller], plan_row.week_start)
    return render_template("sales/review.html", plan=plan_row, pva=pva, action_label=week_plans.action_label)


@bp.route("/plans/team")
def team():
    """The head's view of the week: every seller's plan to approve, and plan against actual."""
    require(can_see_sales_team(current_user))
    week_start = weeks.parse_week(request.args.get("week"), date.today())
    team_list = week_plans.sellers(db.session)
    pva = week_plans.plan_vs_actual(db.session, team_list, week_start)
    return render_template("sales/team.html", pva=pva, week_start=week_start,
                           can_review=lambda p: week_plans.can_review(current_user, p))


@bp.route("/plans/history")
def history():
    """Weeks so far: how realistic the plans were and what they brought."""
    seller_id = forms.int_or_none(request.args.get("seller"))
    team = can_see_sales_team(current_user)
    if seller_id or not team:   # a seller sees their own weeks only
        seller = _seller_arg(seller_id)
        ids, who = [seller.id], seller.name
    else:
        ids, who = [s.id for s in week_plans.sellers(db.session)], _("The whole team")
    weeks = week_plans.history(db.session, ids, date.today(), weeks=numbers.clamp(request.args.get("weeks"), 1, 104, 8))
    reviews = db.session.scalars(select(WeekPlan).where(WeekPlan.seller_id.in_(ids), WeekPlan.reviewed_at.is_not(None))
                                 .order_by(WeekPlan.week_start.desc()).limit(20)).all()
    return render_template("sales/history.html", weeks=weeks, who=who, reviews=reviews,
                           sellers=week_plans.sellers(db.session) if team else [], seller_id=seller_id)


# --- revenue analysis (Dept 4) ---------------------------------------------------------------------------

def _revenue_args():
    start, end = forms.period(request.args, date.today())
    grain = request.args.get("grain") if request.args.get("grain") in revenue.GRAINS else "line"
    return start, end, grain


@bp.route("/revenue")
def revenue_view():
    """Won revenue by product × client type for any period, with shares, Pareto and the trend."""
    start, end, grain = _revenue_args()
    result = revenue.analyse(db.session, start, end, grain, reader_locale())
    return render("sales/revenue.html", "sales/_revenue.html", result=result, grain=grain,
                  previous=revenue.previous_period(start, end))


@bp.route("/revenue.xlsx")
def revenue_xlsx():
    """The same analysis as a spreadsheet."""
    start, end, grain = _revenue_args()
    result = revenue.analyse(db.session, start, end, grain, reader_locale())
    return Response(revenue.export_xlsx(result, grain),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename=revenue-{start}-{end}.xlsx"})


# --- surveys (Dept 4) ------------------------------------------------------------------------------------

@bp.route("/surveys", methods=["GET", "POST"])
def surveys_list():
    """Surveys so far, and a new one aimed at the top combinations."""
    require(can_run_surveys(current_user))
    errors = {}
    if request.method == "POST":
        try:
            survey = surveys.create(db.session, current_user, request.form.get("title", ""),
                                    forms.survey_targets(request.form.getlist("targets")))
        except surveys.SurveyError as exc:
            db.session.rollback()
            errors[exc.field] = str(exc)
        else:
            db.session.commit()
            return redirect(url_for("sales.survey_detail", survey_id=survey.id))
    items = db.session.scalars(select(Survey).order_by(Survey.created_at.desc())).all()
    top = revenue.top_combinations(db.session, date.today())
    return render_template("sales/surveys.html", items=items, top=top, errors=errors,
                           title=request.form.get("title", "")), 422 if errors else 200


def _survey_context(survey: Survey, **extra) -> dict:
    secret = current_app.config["SECRET_KEY"]
    return {"survey": survey, "summary": surveys.summary(db.session, survey),
            "recipients": surveys.recipients(db.session, survey),
            "invites": [(i, external_url("sales.survey_public", token=surveys.token_for(secret, i)))
                        for i in surveys.invites(db.session, survey)], "errors": {},
            "external_ready": is_external_ready(), **extra}


@bp.route("/surveys/<int:survey_id>")
def survey_detail(survey_id: int):
    """A survey: its questions, whom it goes to, their links and the summary of answers."""
    require(can_run_surveys(current_user))
    survey = db.get_or_404(Survey, survey_id)
    return render("sales/survey.html", "sales/_survey.html", **_survey_context(survey))


@bp.route("/surveys/<int:survey_id>/questions", methods=["POST"])
def survey_question(survey_id: int):
    """Add a question."""
    require(can_run_surveys(current_user))
    survey = db.get_or_404(Survey, survey_id)
    try:
        surveys.add_question(db.session, survey, request.form.get("text", ""), request.form.get("kind", ""),
                             request.form.get("choices", ""))
    except surveys.SurveyError as exc:
        db.session.rollback()
        return render("sales/survey.html", "sales/_survey.html",
                      **_survey_context(survey, errors={exc.field: str(exc)})), 422
    db.session.commit()
    return render("sales/survey.html", "sales/_survey.html", **_survey_context(survey))


@bp.route("/surveys/<int:survey_id>/invites", methods=["POST"])
def survey_invites(survey_id: int):
    """Make a one-time link for every client behind the targeted combinations."""
    require(can_run_surveys(current_user))
    survey = db.get_or_404(Survey, survey_id)
    for company in surveys.recipients(db.session, survey):
        surveys.invite(db.session, survey, company.id)
    db.session.commit()
    return render("sales/survey.html", "sales/_survey.html", **_survey_context(survey))


@bp.route("/surveys/<int:survey_id>/campaign", methods=["POST"])
def survey_campaign(survey_id: int):
    """Attach the survey's results to a campaign's materials."""
    require(can_run_surveys(current_user))
    survey = db.get_or_404(Survey, survey_id)
    surveys.set_campaign(db.session, survey, forms.int_or_none(request.form.get("campaign_id")))
    db.session.commit()
    return render("sales/survey.html", "sales/_survey.html", **_survey_context(survey))


@bp.route("/surveys/<int:survey_id>/record/<int:company_id>", methods=["GET", "POST"])
def survey_record(survey_id: int, company_id: int):
    """Staff record a client's answers after a call."""
    require(can_run_surveys(current_user))
    survey = db.get_or_404(Survey, survey_id)
    company = db.get_or_404(Company, company_id)
    errors = {}
    if request.method == "POST":
        try:
            surveys.record(db.session, survey, company.id, request.form.to_dict(), recorded_by_id=current_user.id)
        except surveys.SurveyError as exc:
            db.session.rollback()
            errors[exc.field] = str(exc)
        else:
            db.session.commit()
            flash(_("Answers of %(company)s recorded.", company=company.display_name), "success")
            return redirect(url_for("sales.survey_detail", survey_id=survey.id))
    return render_template("sales/survey_answer.html", survey=survey, company=company, errors=errors,
                           values=request.form, public_form=False), 422 if errors else 200


@bp.route("/s/<token>", methods=["GET", "POST"])
@public
def survey_public(token: str):
    """The client's own link: no sign-in, answers accepted once."""
    inv = surveys.invite_from_token(db.session, current_app.config["SECRET_KEY"], token)
    if inv is None:
        abort(404)
    survey = db.session.get(Survey, inv.survey_id)
    if inv.used_at is not None:
        return render_template("sales/survey_done.html", survey=survey, already=True), 410
    errors = {}
    if request.method == "POST":
        try:
            surveys.record(db.session, survey, inv.company_id, request.form.to_dict(), inv=inv)
        except surveys.SurveyError as exc:
            db.session.rollback()
            errors[exc.field] = str(exc)
        else:
            db.session.commit()
            return render_template("sales/survey_done.html", survey=survey, already=False)
    return render_template("sales/survey_answer.html", survey=survey, company=inv.company, errors=errors,
                           values=request.form, public_form=True), 422 if errors else 200


# --- data custody ----------------------------------------------------------------------------------------

@bp.route("/custody")
def custody_view():
    """Per seller: how much of their client work is logged, and the deals with nothing logged at all."""
    days = numbers.clamp(request.args.get("days"), 1, 365, 14)
    seller_id = forms.int_or_none(request.args.get("seller"))
    return render_template("sales/custody.html", rows=custody.per_seller(db.session, date.today(), days), days=days,
                           silent=custody.silent_deals(db.session, seller_id), seller_id=seller_id)
