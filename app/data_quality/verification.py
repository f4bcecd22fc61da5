"""The "to verify" queue: one-click verified / changed / invalid on stale contact data (thin views)."""
from flask import abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from app.data_quality import bp
from app.extensions import db
from app.services import numbers, verification
from app.services.permissions import can_edit_company, can_manage_data, require
from app.web import render


def _allowed_item(kind: str, item_id: int):
    if kind not in verification.ITEM_MODELS:
        abort(404)
    obj = db.session.get(verification.ITEM_MODELS[kind], item_id)
    if obj is None:
        abort(404)
    from app.models.companies import Company

    company = db.session.get(Company, obj.company_id) if obj.company_id else None
    require(can_manage_data(current_user) or (company is not None and can_edit_company(current_user, company)))
    return obj, company


@bp.route("/verify")
def verify_queue():
    """Phones, emails and addresses not confirmed for longer than the age, or flagged as wrong."""
    require(can_manage_data(current_user))
    kind = request.args.get("kind") or None
    if kind not in (None, *verification.ITEM_MODELS):
        abort(404)
    page = max(1, request.args.get("page", 1, type=numbers.page_number))
    items = verification.stale_items(db.session, kind=kind, limit=50, offset=(page - 1) * 50)
    return render("data_quality/verify.html", "data_quality/_verify_table.html", items=items, kind=kind, page=page,
                  total=verification.count_stale(db.session), months=verification.age_months(db.session))


@bp.route("/verify/company/<int:company_id>")
def company_stale(company_id: int):
    """What is stale on one company: a fragment the company page can load."""
    items = verification.stale_items(db.session, company_id=company_id, limit=50)
    return render_template("data_quality/_company_stale.html", items=items, company_id=company_id)


@bp.route("/verify/<kind>/<int:item_id>/verified", methods=["POST"])
def mark_verified(kind: str, item_id: int):
    """One click: checked and right."""
    _allowed_item(kind, item_id)
    obj = verification.mark_verified(db.session, kind, item_id, current_user.id)
    db.session.commit()
    return render_template("data_quality/_verify_done.html", kind=kind, item_id=item_id, obj=obj,
                           message=_("Verified"))


@bp.route("/verify/<kind>/<int:item_id>/edit")
def edit_item(kind: str, item_id: int):
    """Inline edit of a changed value."""
    obj, company = _allowed_item(kind, item_id)
    return render_template("data_quality/_verify_edit.html", item=verification.StaleItem(kind, obj, company), error=None)


@bp.route("/verify/<kind>/<int:item_id>/changed", methods=["POST"])
def mark_changed(kind: str, item_id: int):
    """Save the new value; it counts as verified now."""
    obj, company = _allowed_item(kind, item_id)
    try:
        obj = verification.mark_changed(db.session, kind, item_id, request.form.get("value", ""), current_user.id)
    except verification.VerifyError as exc:
        db.session.rollback()
        return render_template("data_quality/_verify_edit.html", item=verification.StaleItem(kind, obj, company),
                               error=str(exc), value=request.form.get("value", "")), 422
    db.session.commit()
    return render_template("data_quality/_verify_done.html", kind=kind, item_id=item_id, obj=obj,
                           message=_("Changed and verified"))


@bp.route("/verify/<kind>/<int:item_id>/invalid", methods=["POST"])
def mark_invalid(kind: str, item_id: int):
    """One click: the value is dead and is removed (its history keeps it)."""
    _allowed_item(kind, item_id)
    verification.mark_invalid(db.session, kind, item_id, current_user.id)
    db.session.commit()
    return render_template("data_quality/_verify_done.html", kind=kind, item_id=item_id, obj=None,
                           message=_("Removed as invalid"))


@bp.route("/verify/<kind>/<int:item_id>/flag", methods=["POST"])
def flag_item(kind: str, item_id: int):
    """Anyone who can edit the client flags a bounced email or a wrong number."""
    _allowed_item(kind, item_id)
    obj = verification.flag_wrong(db.session, kind, item_id, request.form.get("reason", ""), current_user.id)
    db.session.commit()
    return render_template("data_quality/_verify_done.html", kind=kind, item_id=item_id, obj=obj,
                           message=_("Flagged for the CRM section"))
