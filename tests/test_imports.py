"""Importing companies and contacts from Russian Excel exports: detection, mapping, preview, exact apply."""
import io
import json
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from app.extensions import db
from app.models import Company, Contact, Email, ImportRun, JobRecord, Phone
from app.services import imports, jobs, matching

HEADER = "Код;Наименование;ОПФ;ИНН;Город;Телефон;E-mail\r\n"
ROWS = ("A1;Ромашка;ООО;7707083893;Москва;8 (495) 123-45-67;info@romashka.ru\r\n"
        "A2;Гранит;АО;12345;Казань;+7 843 000-00-00;sales@granit.ru\r\n"  # bad INN
        "A3;Вектор;ООО;;Самара;;vektor@vektor.ru\r\n")


@pytest.fixture(autouse=True)
def _fresh_index():
    matching.forget_index()
    yield


def _file(tmp_path, text=HEADER + ROWS, encoding="cp1251", name="clients.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize("encoding,delim", [("cp1251", ";"), ("utf-8-sig", ","), ("utf-8", "\t")])
def test_encoding_and_separator_are_detected(tmp_path, encoding, delim):
    path = _file(tmp_path, (HEADER + ROWS).replace(";", delim), encoding)
    headers, rows = imports.read_table(path)
    assert headers[1] == "Наименование"
    assert next(rows)[1] == "Ромашка"


def test_columns_are_guessed_from_russian_and_english_headers():
    assert imports.guess_mapping("company", ["Код", "Наименование", "ОПФ", "ИНН", "Город", "Телефон", "E-mail"]) == {
        "Код": "external_id", "Наименование": "legal_name", "ОПФ": "legal_form", "ИНН": "inn", "Город": "city",
        "Телефон": "phone", "E-mail": "email"}
    assert imports.guess_mapping("contact", ["Full name", "Job title", "Company", "Mobile phone"]) == {
        "Full name": "name", "Job title": "position", "Company": "company_name", "Mobile phone": "phone"}


def test_valid_rows_are_applied_and_the_bad_one_is_reported(app, tmp_path):
    path = _file(tmp_path)
    with app.app_context():
        mapping = imports.guess_mapping("company", imports.read_table(path)[0])
        report = imports.apply(db.session, path, "company", mapping)
        assert (report["created"], report["failed"]) == (2, 1)
        failed = [r for r in report["rows"] if r["outcome"] == "failed"][0]
        assert failed["row"] == 3 and "INN 12345 is not valid" in failed["reason"]
        romashka = db.session.scalars(select(Company).where(Company.external_id == "A1")).one()
        assert [p.e164 for p in romashka.phones] == ["+74951234567"]
        assert "Row,Outcome,Record ID,Reason" in imports.report_csv(report).decode("utf-8")


def test_reimporting_the_same_file_updates_instead_of_duplicating(app, tmp_path):
    path = _file(tmp_path, HEADER + ROWS.replace("12345", "4982597917"))
    with app.app_context():
        mapping = imports.guess_mapping("company", imports.read_table(path)[0])
        assert imports.apply(db.session, path, "company", mapping)["created"] == 3
        again = imports.apply(db.session, path, "company", mapping)
        assert (again["created"], again["updated"]) == (0, 3)
        assert db.session.scalar(select(func.count(Company.id))) == 3
        assert db.session.scalar(select(func.count(Phone.id))) == 2


def test_all_or_nothing_and_dry_run_write_nothing(app, tmp_path):
    path = _file(tmp_path)
    with app.app_context():
        mapping = imports.guess_mapping("company", imports.read_table(path)[0])
        report = imports.apply(db.session, path, "company", mapping, all_or_nothing=True)
        assert not report["applied"] and report["created"] == 2 and report["failed"] == 1
        dry = imports.apply(db.session, path, "company", mapping, dry_run=True)
        assert not dry["applied"]
        assert db.session.scalar(select(func.count(Company.id))) == 0


def test_a_row_that_breaks_in_the_database_is_rolled_back_alone(app, tmp_path):
    long_site = "x" * 400
    path = _file(tmp_path, "Name,Website\nGood,ok.ru\nBad," + long_site + "\nAlso good,\n", "utf-8")
    with app.app_context():
        report = imports.apply(db.session, path, "company", {"Name": "legal_name", "Website": "website"})
        assert (report["created"], report["failed"]) == (2, 1)
        assert set(db.session.scalars(select(Company.legal_name))) == {"Good", "Also good"}


def test_preview_shows_duplicates_in_the_base_and_within_the_file(app, tmp_path):
    with app.app_context():
        db.session.add(Company(legal_name="Ромашка", legal_form="ООО", name_sort="ромашка", inn="7707083893"))
        db.session.commit()
        path = _file(tmp_path, HEADER + ROWS + "A4;Vektor;LLC;;Самара;;vektor@vektor.ru\r\n")
        mapping = imports.guess_mapping("company", imports.read_table(path)[0])
        rows = imports.preview(db.session, path, "company", mapping, "skip")
        by_number = {r.number: r for r in rows}
        assert by_number[2].match_how == "inn" and by_number[2].action == "skip"
        assert by_number[3].errors and by_number[3].action == "fail"
        assert by_number[5].same_as_row == 4


def test_xlsx_contacts_link_to_their_company(app, tmp_path):
    wb = Workbook()
    wb.active.append(["ФИО", "Должность", "ИНН компании", "Телефон"])
    wb.active.append(["Иван Петров", "Директор", "7707083893", 84951234567])
    path = tmp_path / "contacts.xlsx"
    wb.save(path)
    with app.app_context():
        company = Company(legal_name="Ромашка", name_sort="ромашка", inn="7707083893")
        db.session.add(company)
        db.session.commit()
        mapping = imports.guess_mapping("contact", imports.read_table(path)[0])
        report = imports.apply(db.session, path, "contact", mapping)
        assert report["created"] == 1, report
        contact = db.session.scalars(select(Contact)).one()
        assert contact.company_id == company.id and [p.e164 for p in contact.phones] == ["+74951234567"]


def test_the_cli_imports_with_a_mapping_file(app, tmp_path):
    path = _file(tmp_path)
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"Наименование": "legal_name", "ИНН": "inn", "E-mail": "email"}), encoding="utf-8")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["crm", "import", "companies", str(path), "--mapping", str(mapping), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "created 2, updated 0, skipped 0, failed 1 (nothing written)" in result.output
    result = runner.invoke(args=["crm", "import", "companies", str(path), "--on-duplicate", "update"])
    assert "created 2" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Email.id))) == 2


def test_the_browser_flow_runs_as_a_job_removes_the_file_and_offers_the_report(app, auth, make_user):
    auth.login(make_user("staff", "crm"))
    resp = auth.post("/data/import", {"kind": "company", "file": (io.BytesIO((HEADER + ROWS).encode("cp1251")), "c.csv")},
                     content_type="multipart/form-data")
    assert resp.status_code == 303
    mapping_page = auth.get(resp.location).get_data(as_text=True)
    assert "Windows-1251" in mapping_page and 'value="legal_name" selected' in mapping_page
    form = {f"col_{i}": f for i, f in enumerate(["external_id", "legal_name", "legal_form", "inn", "city", "phone", "email"])}
    resp = auth.post(resp.location, {**form, "on_duplicate": "skip", "save_as": "1C export"})
    assert resp.status_code == 303
    preview = auth.get(resp.location).get_data(as_text=True)
    assert "The INN 12345 is not valid." in preview and "will fail" in preview
    page = auth.post(resp.location, {"on_duplicate": "skip", "action_2": "create"}).get_data(as_text=True)
    assert 'role="progressbar"' in page
    with app.app_context():
        run = db.session.scalars(select(ImportRun)).one()
        assert jobs.wait_for(run.job_id).status == "finished"
        db.session.refresh(run)
        assert run.stored_name is None and not any((Path(app.config["UPLOAD_DIR"]) / "imports").iterdir())
        assert db.session.scalars(select(JobRecord.result_text)).one().startswith("created 2")
        assert imports.saved_mappings(db.session, "company")[0].name == "1C export"
    report = auth.get(f"/data/import/{run.id}/report.csv")
    assert report.mimetype == "text/csv" and "3,failed,,The INN 12345 is not valid." in report.get_data(as_text=True)


def test_uploads_never_imported_are_removed_after_a_day(app):
    from datetime import timedelta

    from app.models.base import utcnow

    with app.app_context():
        run = imports.store_upload(db.session, app.config["UPLOAD_DIR"], "company", "x.csv", b"Name\nA\n", None)
        path = imports.run_path(app.config["UPLOAD_DIR"], run)
        assert imports.remove_abandoned(db.session, app.config["UPLOAD_DIR"]) == 0 and path.exists()
        run.created_at = utcnow() - timedelta(days=2)
        db.session.commit()
        assert imports.remove_abandoned(db.session, app.config["UPLOAD_DIR"]) == 1
        assert not path.exists()


def test_the_report_page_lists_failures_first_and_at_most_a_page_of_rows(app, auth, make_user, monkeypatch):
    """A re-import of a large file updates every row: the page lists failures first and a bounded number of rows,
    and says the downloaded report has them all."""
    monkeypatch.setattr(imports, "REPORT_SHOWN", 3)
    rows = [{"row": n, "outcome": "updated", "id": n, "reason": "same external id → #%d" % n} for n in range(2, 8)]
    rows.insert(3, {"row": 5000, "outcome": "failed", "id": None, "reason": "The name is empty."})
    rows.append({"row": 9000, "outcome": "created", "id": 9000, "reason": ""})
    person = make_user("staff", "crm")
    with app.app_context():
        run = ImportRun(kind="company", filename="big.csv", status="done", user_id=person.id, report={
            "created": 1, "updated": 6, "skipped": 0, "failed": 12345, "rows": rows, "applied": True})
        db.session.add(run)
        db.session.commit()
        run_id = run.id
    auth.login(person)
    page = auth.get(f"/data/import/{run_id}").get_data(as_text=True)
    body = page.split("<tbody>")[1].split("</tbody>")[0]
    assert body.index("5000") < body.index("The name is empty.") < body.index(">2<")  # the failure first
    assert body.count("<tr>") == 3 and ">9000<" not in body  # a page of rows; created rows only counted
    assert "The first 3 of 7 rows" in page and "12,345" in page
