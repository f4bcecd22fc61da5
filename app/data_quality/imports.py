"""Import screens: upload, mapping, preview with per-row choices, the job, and the report (thin views)."""
import zipfile

from flask import Response, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from openpyxl.utils.exceptions import InvalidFileException

from app.data_quality import bp
from app.extensions import db
from app.models.imports import ImportMapping, ImportRun
from app.services import imports, numbers, tabular
from app.services.errors import RuleError
from app.services.permissions import can_manage_data, is_admin, require
from app.web import render, upload_limit


def _run(run_id: int) -> ImportRun:
    require(can_manage_data(current_user))
    run = db.session.get(ImportRun, run_id)
    if run is None or (run.user_id != current_user.id and not is_admin(current_user)):
        abort(404)
    return run


def _pending_run(run_id: int) -> ImportRun:
    """A run whose file still waits for its mapping and preview; once it ran (or was sent to run) they are gone."""
    run = _run(run_id)
    if run.status != "uploaded" or not run.stored_name or run.job_id:
        abort(404, description=_("This import has already run; its report is on the import's page."))
    return run


def _base():
    return current_app.config["UPLOAD_DIR"]


@bp.route("/import", methods=["GET", "POST"])
@upload_limit("IMPORT_MAX_BYTES")
def import_start():
    """Upload a CSV or XLSX file of companies or contacts."""
    require(can_manage_data(current_user))
    error = None
    if request.method == "POST":
        upload = request.files.get("file")
        try:
            if upload is None or not upload.filename:
                raise imports.ImportError_(_("Choose a file to import."))
            try:   # the reader opens the file on upload; a file it refuses is not kept
                run = imports.store_upload(db.session, _base(), request.form.get("kind", ""), upload.filename,
                                           upload.read(), current_user.id)
            except (zipfile.BadZipFile, KeyError, OSError, InvalidFileException) as exc:
                raise imports.ImportError_(_("This file is neither a CSV table nor an Excel workbook (.xlsx)."
                                             )) from exc
            db.session.commit()
            return redirect(url_for("data_quality.import_mapping", run_id=run.id), 303)
        except (RuleError, UnicodeError, ValueError) as exc:
            db.session.rollback()
            error = str(exc)
    return render_template("data_quality/import_start.html", error=error), 422 if error else 200


def _reading_from(form) -> dict:
    """The encoding and separator the person chose on the mapping screen ("" lets the reader detect)."""
    return imports.reading_options({"encoding": form.get("encoding"), "delimiter": form.get("delimiter")})


@bp.route("/import/<int:run_id>/mapping", methods=["GET", "POST"])
def import_mapping(run_id: int):
    """Guessed column mapping, editable and saveable, with the reader's encoding and separator; then the preview."""
    run = _pending_run(run_id)
    opts = run.options or {}
    reading = _reading_from(request.form) if request.method == "POST" else opts.get("reading")
    info = imports.file_info(imports.run_path(_base(), run), reading)
    saved = imports.saved_mappings(db.session, run.kind)
    error = None
    if request.method == "POST" and request.form.get("reread"):
        run.options = {**opts, "reading": reading}
        db.session.commit()
        return redirect(url_for("data_quality.import_mapping", run_id=run.id), 303)
    if request.method == "POST":
        mapping = {h: request.form.get(f"col_{i}", "") for i, h in enumerate(info["headers"])}
        try:
            run.mapping = imports.clean_mapping(run.kind, mapping, info["headers"])
            run.options = {"on_duplicate": request.form.get("on_duplicate", "skip"),
                           "all_or_nothing": bool(request.form.get("all_or_nothing")), "reading": reading}
            if request.form.get("save_as", "").strip():
                imports.save_mapping(db.session, run.kind, request.form["save_as"], run.mapping, current_user.id)
            db.session.commit()
            return redirect(url_for("data_quality.import_preview", run_id=run.id), 303)
        except imports.ImportError_ as exc:
            db.session.rollback()
            error = str(exc)
            current = mapping
    else:
        use = request.args.get("use", type=numbers.record_id)
        chosen = db.session.get(ImportMapping, use) if use else None
        fits = run.mapping and set(run.mapping) <= set(info["headers"])
        current = chosen.mapping if chosen else (run.mapping if fits else imports.guess_mapping(run.kind, info["headers"]))
    return render_template("data_quality/import_mapping.html", run=run, info=info, current=current, saved=saved,
                           fields=imports.FIELDS[run.kind], error=error, reading=reading or {},
                           encodings=tabular.ENCODINGS, delimiters=tabular.DELIMITERS), 422 if error else 200


@bp.route("/import/<int:run_id>/preview", methods=["GET", "POST"])
def import_preview(run_id: int):
    """The first rows with errors and duplicate status; a choice per row; then the import job."""
    run = _pending_run(run_id)
    opts = run.options or {}
    if request.method == "POST":
        from app.data_quality.jobs import import_job
        from app.services.jobs import enqueue

        overrides = {k.removeprefix("action_"): v for k, v in request.form.items()   # action_<row number>
                     if k.startswith("action_") and v in imports.ON_DUPLICATE
                     and numbers.whole_number(k.removeprefix("action_"), 1, numbers.MAX_ID) is not None}
        run.options = {**opts, "overrides": overrides, "on_duplicate": request.form.get("on_duplicate",
                                                                                         opts.get("on_duplicate", "skip")),
                       "all_or_nothing": bool(request.form.get("all_or_nothing"))}
        db.session.commit()
        record = enqueue(import_job, run.id, url_for("data_quality.import_report_page", run_id=run.id),
                         kind="crm_import", title=_("Import: %(name)s", name=run.filename), user_id=current_user.id)
        run.job_id = record.id
        db.session.commit()
        return render("data_quality/import_running.html", "jobs/_progress.html", run=run, job=record)
    path = imports.run_path(_base(), run)
    info = imports.file_info(path, opts.get("reading"))
    rows = imports.preview(db.session, path, run.kind, run.mapping or {}, opts.get("on_duplicate", "skip"),
                           reading=opts.get("reading"))
    db.session.rollback()
    return render_template("data_quality/import_preview.html", run=run, rows=rows, opts=opts, info=info,
                           mapped=[f for f in imports.field_names(run.kind) if f in (run.mapping or {}).values()],
                           labels={name: label for name, label, _words in imports.FIELDS[run.kind]})


@bp.route("/import/<int:run_id>")
def import_report_page(run_id: int):
    """The import's outcome with the report to download."""
    run = _run(run_id)
    job = None
    if run.job_id:
        from app.models.jobs import JobRecord
        from app.services.jobs import live_state

        record = db.session.get(JobRecord, run.job_id)
        job = live_state(record) if record else None
    shown, listed = imports.report_shown(run.report or {})
    return render_template("data_quality/import_report.html", run=run, job=job, shown=shown, listed=listed)


@bp.route("/import/<int:run_id>/report.csv")
def import_report_csv(run_id: int):
    """The report as CSV: created, updated, skipped and failed rows with the reason."""
    run = _run(run_id)
    if not run.report:
        abort(404)
    return Response(imports.report_csv(run.report), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename=import-{run.id}-report.csv"})
