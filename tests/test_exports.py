"""Every export opened as Excel would open it: a Russian reader gets UTF-8 with a BOM, `;` and Russian headers;
phones stay dialable (+7..., no guard apostrophe); formula text is neutralised in CSV and is never a formula
in XLSX; XLSX cells are typed, sheets named, the header frozen with a filter."""
import csv
import io
import re
from datetime import date, timedelta

from openpyxl import load_workbook
from sqlalchemy import select

from app.extensions import db
from app.models import Address, Company, JobRecord, User
from app.models.address_lists import AddressList
from app.models.imports import ImportRun
from app.services import address_lists, exports, imports, jobs
from tests import sales_support
from tests.promotion_support import make_client

BOM = b"\xef\xbb\xbf"
EVIL = '=HYPERLINK("http://evil")'


def _russian(app, user):
    """The person chose Russian in their settings."""
    with app.app_context():
        db.session.get(User, user.id).locale = "ru"
        db.session.commit()
    return user


def _clients(app):
    """Reachable clients in Kazan with phones, one whose contact's name is a formula, one with a postal address."""
    with app.app_context():
        make_client("Альфа", "Анна Альфина", phone="+79100718040", email="anna@alfa.ru", city="Казань")
        cid, _k = make_client("Формула", EVIL, phone="+74951234567", email="f@formula.ru", city="Казань")
        db.session.add(Address(company_id=cid, kind="postal", postcode="050000", street="+ул. Плюсовая, 1",
                               city="Казань"))
        segment = address_lists.save_segment(db.session, "Казань", {"cities": ["Казань"]}, None)
        db.session.commit()
        return segment.id


def _generate(app, auth, form: dict) -> bytes:
    started = auth.post("/promotion/lists", form, htmx=True)
    assert 'role="progressbar"' in started.get_data(as_text=True)
    with app.app_context():
        job = jobs.wait_for(db.session.scalar(select(JobRecord.id).order_by(JobRecord.id.desc())))
        assert job.status == "finished", job.error
        list_id = db.session.scalar(select(AddressList.id).order_by(AddressList.id.desc()))
    return auth.get(f"/promotion/lists/{list_id}/download").get_data()


def test_a_russian_reader_gets_a_phone_list_excel_opens_with_the_defaults(app, auth, make_user):
    segment_id = _clients(app)
    auth.login(_russian(app, make_user("staff", "promotion")))
    form_page = auth.get(f"/promotion/segments/{segment_id}").get_data(as_text=True)
    assert 'id="list-bom" name="bom" value="1" checked' in form_page
    assert 'id="list-semicolon" name="semicolon" value="1" checked' in form_page
    # what the browser sends for the form as shown: the hidden "0" then the ticked box
    raw = _generate(app, auth, {"segment_id": segment_id, "fmt": "phone", "file_type": "csv",
                                "bom": ["0", "1"], "semicolon": ["0", "1"]})
    assert raw.startswith(BOM)
    text = raw.decode("utf-8-sig")
    assert text.splitlines()[0] == "Телефон;Имя;Должность;Компания;Город"
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    phones = sorted(r[0] for r in rows[1:])
    assert phones == ["+74951234567", "+79100718040"]  # no guard apostrophe
    assert next(r for r in rows if r[3] == "Формула")[1] == "'" + EVIL


def test_a_script_post_without_the_choices_gets_the_readers_default(app, auth, make_user):
    segment_id = _clients(app)
    auth.login(_russian(app, make_user("staff", "promotion")))
    raw = _generate(app, auth, {"segment_id": segment_id, "fmt": "email", "file_type": "csv"})
    assert raw.startswith(BOM) and raw.decode("utf-8-sig").splitlines()[0] == "Эл. почта;Имя;Должность;Компания;Город"


def test_a_russian_reader_can_still_choose_plain_utf8_with_commas(app, auth, make_user):
    segment_id = _clients(app)
    auth.login(_russian(app, make_user("staff", "promotion")))
    raw = _generate(app, auth, {"segment_id": segment_id, "fmt": "phone", "file_type": "csv",
                                "bom": "0", "semicolon": "0"})
    assert not raw.startswith(BOM)
    assert raw.decode("utf-8").splitlines()[0] == "Телефон,Имя,Должность,Компания,Город"


def test_an_english_reader_gets_utf8_with_commas_and_english_headers(app, auth, make_user):
    segment_id = _clients(app)
    auth.login(make_user("staff", "promotion"))
    form_page = auth.get(f"/promotion/segments/{segment_id}").get_data(as_text=True)
    assert 'id="list-bom" name="bom" value="1" >' in form_page
    raw = _generate(app, auth, {"segment_id": segment_id, "fmt": "phone", "file_type": "csv",
                                "bom": "0", "semicolon": "0"})
    assert not raw.startswith(BOM)
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8"))))
    assert rows[0] == ["Phone", "Name", "Position", "Company", "City"]
    assert all(r[0].startswith("+7") for r in rows[1:])


def test_a_phone_list_as_xlsx_keeps_phones_as_text_and_formulas_as_strings(app, auth, make_user):
    segment_id = _clients(app)
    auth.login(_russian(app, make_user("staff", "promotion")))
    raw = _generate(app, auth, {"segment_id": segment_id, "fmt": "phone", "file_type": "xlsx"})
    wb = load_workbook(io.BytesIO(raw))
    ws = wb.active
    assert wb.sheetnames == ["Список телефонов"]
    assert [c.value for c in ws[1]] == ["Телефон", "Имя", "Должность", "Компания", "Город"]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:E3"
    assert ws.column_dimensions["A"].width >= 16 and ws.column_dimensions["D"].width >= 30
    phones = [ws.cell(r, 1) for r in (2, 3)]
    assert all(c.data_type == "s" and c.number_format == "@" and c.value.startswith("+7") for c in phones)
    formula = next(ws.cell(r, 2) for r in (2, 3) if ws.cell(r, 4).value == "Формула")
    assert formula.value == EVIL and formula.data_type == "s"  # shown as text, no apostrophe, never run


def test_a_postal_list_as_xlsx_keeps_the_postcode_as_text(app, tmp_path):
    _clients(app)
    with app.app_context():
        address_lists.write_list(db.session, {"cities": ["Казань"]}, "postal", "xlsx", tmp_path / "p.xlsx")
    wb = load_workbook(tmp_path / "p.xlsx")
    ws = wb.active
    assert wb.sheetnames == ["Postal list"]  # the command line speaks the portal's default (English in tests)
    assert [c.value for c in ws[1]][:4] == ["Company", "Addressee", "Position", "Postcode"]
    postcode, street = ws.cell(2, 4), ws.cell(2, 7)
    assert (postcode.value, postcode.data_type, postcode.number_format) == ("050000", "s", "@")
    assert (street.value, street.data_type) == ("+ул. Плюсовая, 1", "s")


def test_revenue_xlsx_in_russian_has_typed_cells_and_no_formula(app, auth, make_user):
    start = date(2026, 1, 1)
    seller = _russian(app, make_user("staff", "sales"))
    with app.app_context():
        pump = sales_support.product(db.session, '=cmd|" /C calc"!A0', "+Насосы")
        corp = sales_support.company(db.session, "Big Corp", "corporate")
        sales_support.deal(db.session, corp, seller.id, "won", start + timedelta(days=5), [(pump, 150000)])
        db.session.commit()
    auth.login(seller)
    resp = auth.get(f"/sales/revenue.xlsx?start={start}&end={start + timedelta(days=30)}&grain=product")
    wb = load_workbook(io.BytesIO(resp.data))
    ws = wb.active
    assert wb.sheetnames == ["Выручка"]
    assert ws["A1"].value == "Период" and ws["B1"].is_date and ws["B1"].value.date() == start
    assert [c.value for c in ws[3]] == ["Товар", "Тип клиента", "Сделки", "Выручка", "Доля", "Накопленная доля",
                                        "Предыдущий период", "Входит в 80 %"]
    assert ws.freeze_panes == "A4" and ws.auto_filter.ref == "A3:H4"
    product, deals, amount, share = ws["A4"], ws["C4"], ws["D4"], ws["E4"]
    assert product.value == '=cmd|" /C calc"!A0' and product.data_type == "s"
    assert deals.value == 1 and deals.data_type == "n"
    assert amount.value == 150000 and amount.data_type == "n" and amount.number_format == "#,##0.00"
    assert share.value == 1 and share.number_format == "0.0%"
    assert ws.cell(ws.max_row, 1).value == "Итого" and ws.cell(ws.max_row, 4).value == 150000


def _report():
    return {"rows": [{"row": 2, "outcome": "created", "id": 7, "reason": ""},
                     {"row": 3, "outcome": "failed", "id": None, "reason": EVIL}],
            "created": 1, "updated": 0, "skipped": 0, "failed": 1, "applied": True}


def test_the_import_report_csv_in_russian(app):
    with app.test_request_context(headers={"Accept-Language": "ru"}):
        raw = imports.report_csv(_report())
    assert raw.startswith(BOM)
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Строка", "Результат", "Номер записи", "Причина"]
    assert rows[1] == ["2", "создано", "7", ""]
    assert rows[2] == ["3", "с ошибкой", "", "'" + EVIL]
    assert ["с ошибкой", "1"] in rows and ["Записано в базу", "да"] in rows


def test_the_import_report_csv_downloaded_by_a_russian_reader(app, auth, make_user):
    user = _russian(app, make_user("staff", "crm"))
    with app.app_context():
        run = ImportRun(kind="company", filename="x.csv", user_id=user.id, report=_report())
        db.session.add(run)
        db.session.commit()
        run_id = run.id
    auth.login(user)
    resp = auth.get(f"/data/import/{run_id}/report.csv")
    assert resp.status_code == 200 and resp.data.startswith(BOM)
    assert resp.data.decode("utf-8-sig").splitlines()[0] == "Строка;Результат;Номер записи;Причина"


def test_the_dedup_scan_csv_for_the_russian_default(app, tmp_path, monkeypatch):
    with app.app_context():
        for name, ext in (("Ромашка", "=1+1"), ("Ромашка", "+7 (495) 123-45-67")):
            db.session.add(Company(legal_name=name, name_sort=name.lower(), city="Москва", external_id=ext,
                                   inn="7707083893"))
        db.session.commit()
    monkeypatch.setitem(app.config, "BABEL_DEFAULT_LOCALE", "ru")
    out = tmp_path / "pairs.csv"
    result = app.test_cli_runner().invoke(args=["dedup", "scan", "--entity", "companies", "--output", str(out)])
    assert result.exit_code == 0, result.output
    raw = out.read_bytes()
    assert raw.startswith(BOM)
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Запись A", "Внешний код A", "Запись B", "Внешний код B", "Оценка", "Причины"]
    assert len(rows) == 2
    assert {rows[1][1], rows[1][3]} == {"'=1+1", "+7 (495) 123-45-67"}  # formula neutralised, phone-like kept
    assert "," in rows[1][4]  # the score in Russian decimal notation, e.g. 0,95
    assert "ИНН" in rows[1][5] and not re.search("[A-Za-z]", rows[1][5].replace("ИНН", "")), rows[1][5]  # in Russian
    plain = app.test_cli_runner().invoke(args=["dedup", "scan", "--entity", "companies", "--output", str(out),
                                               "--no-bom", "--comma"])
    assert plain.exit_code == 0 and not out.read_bytes().startswith(BOM)
    assert out.read_text(encoding="utf-8").splitlines()[0].startswith("Запись A,")


def test_the_one_rule_for_formula_text_and_phones():
    assert exports.neutralise("+7 910 071-80-40") == "+7 910 071-80-40"
    assert exports.neutralise("+7 (495) 123-45-67") == "+7 (495) 123-45-67"
    for evil in ("=1+2", "+1+2", "+7 910 =1", "-2", "@SUM(A1)", "\t=1", "\r=1", "+", "+cmd|x"):
        assert exports.neutralise(evil) == "'" + evil
    assert exports.neutralise("Иванов") == "Иванов" and exports.neutralise(None) == ""
    assert exports.csv_format(locale="ru") == exports.CsvFormat(True, ";")
    assert exports.csv_format(locale="en") == exports.CsvFormat(False, ",")
    assert exports.csv_format(False, False, locale="ru") == exports.CsvFormat(False, ",")


def test_the_lists_command_follows_the_portals_default_and_its_options(app, tmp_path, monkeypatch):
    _clients(app)
    monkeypatch.setitem(app.config, "BABEL_DEFAULT_LOCALE", "ru")
    out = tmp_path / "kazan.csv"
    runner = app.test_cli_runner()
    result = runner.invoke(args=["lists", "export", "--segment", "Казань", "--list", "phone", "--output", str(out)])
    assert result.exit_code == 0, result.output
    raw = out.read_bytes()
    assert raw.startswith(BOM) and raw.decode("utf-8-sig").splitlines()[0] == "Телефон;Имя;Должность;Компания;Город"
    result = runner.invoke(args=["lists", "export", "--segment", "Казань", "--list", "phone", "--output", str(out),
                                 "--no-bom", "--comma"])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").splitlines()[0] == "Телефон,Имя,Должность,Компания,Город"
