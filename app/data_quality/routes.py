"""Duplicate review, merge and undo, the live check while typing, and the thresholds (thin views)."""
from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.routing import BuildError

from app.data_quality import bp
from app.data_quality.forms import SettingsForm
from app.extensions import db
from app.i18n import lazy_gettext as _l
from app.services import duplicates, matching, numbers
from app.services import merges as merge_service
from app.services.permissions import can_manage_data, is_admin, require
from app.web import render


def record_url(kind: str, record_id: int) -> str:
    """The record's own page when the CRM area has one, else its merge history here."""
    endpoint, arg = ("crm.company", "company_id") if kind == "company" else ("crm.contact", "contact_id")
    try:
        return url_for(endpoint, **{arg: record_id})
    except BuildError:
        return url_for("data_quality.record", kind=kind, record_id=record_id)


@bp.app_context_processor
def _helpers():
    return {"record_url": record_url}


RELATION_LABELS = {"contacts": _l("Contacts"), "phones": _l("Phones"), "emails": _l("Emails"),
                   "addresses": _l("Addresses"), "deals": _l("Deals"), "activities": _l("Activities"),
                   "company_tags": _l("Tags")}


@bp.app_template_filter("relation_label")
def _relation_label(name: str) -> str:
    """'deals.company_id' reads as 'Deals'; tables of other areas show their own name."""
    table = name.split(".")[0]
    return str(RELATION_LABELS.get(table, table.replace("_", " ")))


@bp.app_template_filter("reason_text")
def _reason_text(reason: dict) -> str:
    return matching.reason_text(reason)


@bp.app_template_filter("group_band")
def _group_band(group) -> str:
    return duplicates.group_band(group)


@bp.app_template_filter("band_label")
def _band_label(band: str) -> str:
    return duplicates.band_label(band)


@bp.before_app_request
def follow_merged_record():
    """A merged-away record's old address leads to the record it was merged into."""
    args = request.view_args or {}
    if request.blueprint != "crm" or request.method != "GET":
        return None
    for arg, kind in (("company_id", "company"), ("contact_id", "contact")):
        if isinstance(args.get(arg), int):
            survivor = merge_service.survivor_of(db.session, kind, args[arg])
            if survivor is not None:
                return redirect(url_for(request.endpoint, **{**args, arg: survivor}))
    return None


def _kind(value: str | None) -> str:
    if value not in matching.KINDS:
        abort(404)
    return value


@bp.route("/duplicates")
def queue():
    """The review queue: candidate groups best first, with score and reasons, and the scan button."""
    require(can_manage_data(current_user))
    kind = _kind(request.args.get("kind", "company"))
    page = max(1, request.args.get("page", 1, type=numbers.page_number))
    groups = duplicates.open_groups(db.session, kind, limit=25, offset=(page - 1) * 25)
    rows = [(g, duplicates.group_records(db.session, g)) for g in groups]
    from app.data_quality.jobs import last_scan
    from app.services.jobs import live_state

    scan = last_scan(db.session, kind)  # a running scan shows its shards at once, not after the first poll
    return render("data_quality/queue.html", "data_quality/_queue.html", kind=kind, rows=rows, page=page,
                  total=duplicates.count_open_groups(db.session, kind),
                  scan_job=live_state(scan) if scan is not None else None)


@bp.route("/duplicates/scan", methods=["POST"])
def start_scan():
    """Start a full scan in the background; the answer is its progress bar."""
    require(can_manage_data(current_user))
    kind = _kind(request.form.get("kind"))
    from app.data_quality.jobs import scan_job
    from app.services.jobs import enqueue

    title = _("Duplicate scan: companies") if kind == "company" else _("Duplicate scan: contacts")
    record = enqueue(scan_job, kind, None, url_for("data_quality.queue", kind=kind), kind=f"dedup_scan_{kind}",
                     title=title, user_id=current_user.id)
    return render_template("jobs/_progress.html", job=record)


@bp.route("/duplicates/groups/<int:group_id>/dismiss", methods=["POST"])
def dismiss(group_id: int):
    """'Not duplicates': the group leaves the queue and its pairs are never proposed again."""
    require(can_manage_data(current_user))
    try:
        duplicates.dismiss_group(db.session, group_id, current_user.id)
    except LookupError:
        abort(404)
    db.session.commit()
    return render_template("data_quality/_dismissed.html", group_id=group_id)


@bp.route("/duplicates/compare")
def compare():
    """Side by side: the reviewer picks the survivor and, field by field, the value to keep."""
    require(can_manage_data(current_user))
    kind = _kind(request.args.get("kind"))
    ids = numbers.ids(request.args.get("ids", "").split(","))
    group_id = request.args.get("group", type=numbers.record_id)
    view = _compare_context(kind, ids, group_id)
    if len(view["records"]) < 2:
        abort(404)
    return render("data_quality/compare.html", None, **view)


def _compare_context(kind: str, ids: list[int], group_id: int | None, errors: list[str] | None = None,
                     survivor_id: int | None = None, choices: dict | None = None) -> dict:
    from sqlalchemy import select

    model = matching.MODELS[kind]
    found = {r.id: r for r in db.session.scalars(select(model).where(model.id.in_(ids), model.deleted_at.is_(None)))}
    records = [found[i] for i in ids if i in found]
    counts = merge_service.related_counts(db.session, kind, [r.id for r in records]) if records else {}
    if survivor_id not in found:
        survivor_id = max(records, key=lambda r: (sum(counts[r.id].values()), -r.id)).id if records else None
    survivor = found.get(survivor_id)
    if choices is None and survivor is not None:
        choices = merge_service.default_choices(kind, survivor, [r for r in records if r.id != survivor_id])
    return {"kind": kind, "records": records, "counts": counts, "group_id": group_id, "survivor_id": survivor_id,
            "choices": choices or {}, "fields": merge_service.MERGE_FIELDS[kind], "errors": errors or [],
            "contact_points": _contact_points(kind, records), "reference_names": sorted(
                {name for c in counts.values() for name in c})}


def _contact_points(kind: str, records) -> dict:
    """Phones, emails and addresses of each record: shown united, not chosen."""
    out = {}
    for r in records:
        phones = [p.e164 for p in r.phones]
        emails = [e.address for e in r.emails]
        addresses = [a.one_line for a in r.addresses] if kind == "company" else []
        out[r.id] = {"phones": phones, "emails": emails, "addresses": addresses}
    return out


@bp.route("/duplicates/merge", methods=["POST"])
def do_merge():
    """Merge the chosen records into the survivor; the answer is the merge's page with its undo."""
    require(can_manage_data(current_user))
    kind = _kind(request.form.get("kind"))
    ids = numbers.ids(request.form.getlist("ids"))
    survivor_id = request.form.get("survivor", type=numbers.record_id)
    group_id = request.form.get("group_id", type=numbers.record_id)
    choices = {name: request.form.get(f"choice_{name}", type=numbers.record_id) for name, _label in merge_service.MERGE_FIELDS[kind]
               if request.form.get(f"choice_{name}", type=numbers.record_id) in ids}
    errors = []
    if survivor_id not in ids:
        errors.append(_("Choose the record that survives among the records being merged."))
    elif len(ids) < 2:
        errors.append(_("Tick at least two records to merge."))
    if not errors:
        try:
            record = merge_service.merge(db.session, kind, survivor_id, [i for i in ids if i != survivor_id],
                                         choices, current_user.id, group_id=group_id)
            db.session.commit()
            return redirect(url_for("data_quality.merge_detail", merge_id=record.id), 303)
        except merge_service.MergeError as exc:
            db.session.rollback()
            errors.append(str(exc))
    all_ids = numbers.ids(request.form.getlist("all_ids")) or ids
    view = _compare_context(kind, all_ids, group_id, errors, survivor_id, choices)
    return render_template("data_quality/compare.html", **view), 422


@bp.route("/duplicates/merges")
def merges():
    """Every merge, newest first, each with its undo."""
    require(can_manage_data(current_user))
    return render("data_quality/merges.html", None, merges=merge_service.recent_merges(db.session))


@bp.route("/duplicates/merges/<int:merge_id>")
def merge_detail(merge_id: int):
    """What a merge did, and the button that undoes it."""
    require(can_manage_data(current_user))
    record = db.session.get(merge_service.Merge, merge_id)
    if record is None:
        abort(404)
    return render("data_quality/merge_detail.html", "data_quality/_merge_card.html", m=record,
                  moved=_moved_summary(record))


def _moved_summary(record) -> list[tuple[str, int, int]]:
    snap = record.snapshot or {}
    dropped = {g["table"]: len(g["rows"]) for g in snap.get("dropped", [])}
    out = [(f'{g["table"]}.{g["column"]}', len(g["rows"]), dropped.pop(g["table"], 0)) for g in snap.get("moved", [])]
    return out + [(table, 0, n) for table, n in dropped.items()]


@bp.route("/duplicates/merges/<int:merge_id>/undo", methods=["POST"])
def undo(merge_id: int):
    """Undo a merge: both records and every relation come back as they were."""
    require(can_manage_data(current_user))
    try:
        record = merge_service.undo(db.session, merge_id, current_user.id)
        db.session.commit()
    except merge_service.MergeError as exc:
        db.session.rollback()
        record = db.session.get(merge_service.Merge, merge_id)
        if record is None:
            abort(404)
        return render_template("data_quality/_merge_card.html", m=record, moved=_moved_summary(record),
                               error=str(exc)), 422
    return render("data_quality/merge_detail.html", "data_quality/_merge_card.html", m=record,
                  moved=_moved_summary(record))


@bp.route("/records/<kind>/<int:record_id>")
def record(kind: str, record_id: int):
    """A record's merge history (with undo); a merged-away record points to its survivor."""
    kind = _kind(kind)
    obj = db.session.get(matching.MODELS[kind], record_id)
    if obj is None:
        abort(404)
    survivor = merge_service.survivor_of(db.session, kind, record_id)
    if survivor is not None and request.args.get("stay") is None:
        return redirect(url_for("data_quality.record", kind=kind, record_id=survivor))
    return render("data_quality/record.html", "data_quality/_record_merges.html", kind=kind, obj=obj,
                  merges=merge_service.merges_of(db.session, kind, record_id),
                  can_undo=can_manage_data(current_user))


@bp.route("/duplicates/check/<kind>")
def check(kind: str):
    """While a new company or contact is typed: the existing records it looks like."""
    kind = _kind(kind)
    fields = {k: v for k, v in request.args.items()}
    hits = matching.likely_duplicates(db.session, kind, fields, exclude_id=request.args.get("record_id", type=numbers.record_id))
    return render_template("crm/_likely_duplicates.html", hits=hits, kind=kind)


@bp.route("/duplicates/new/<kind>", methods=["GET", "POST"])
def new_record(kind: str):
    """A minimal quick-add form that shows likely duplicates while typing and enforces the rule on save."""
    kind = _kind(kind)
    require(can_manage_data(current_user))
    fields, error, hits = dict(request.form), None, []
    if request.method == "POST":
        try:
            created = matching.create_checked(db.session, kind, fields, bool(request.form.get("confirmed_different")),
                                           current_app.config["DEFAULT_PHONE_REGION"])
            db.session.commit()
            return redirect(url_for("data_quality.record", kind=kind, record_id=created.id), 303)
        except matching.DuplicateError as exc:
            db.session.rollback()
            error, hits = exc, exc.existing
        except ValueError as exc:
            db.session.rollback()
            error = exc
    status = 422 if error else 200
    return render_template("data_quality/new_record.html", kind=kind, fields=fields, error=error, hits=hits), status


@bp.route("/duplicates/settings", methods=["GET", "POST"])
def settings():
    """An admin tunes the duplicate thresholds and the verification age."""
    require(is_admin(current_user))
    current = matching.get_settings(db.session)
    form = SettingsForm(obj=current)
    saved = False
    if form.validate_on_submit():
        try:
            matching.save_settings(db.session, form.review_threshold.data, form.strong_threshold.data,
                                form.verify_age_months.data, current_user.id)
            db.session.commit()
            saved = True
        except matching.SettingsError as exc:
            db.session.rollback()
            getattr(form, exc.field).errors.append(str(exc))
    elif request.method == "GET":
        db.session.commit()
    status = 422 if form.errors else 200
    return render("data_quality/settings.html", "data_quality/_settings_form.html", form=form, saved=saved,
                  defaults=matching.engine_defaults(), learnt=matching.learnt_weights_view(db.session)), status



