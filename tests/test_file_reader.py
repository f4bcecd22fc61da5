"""One file reader for every import: what Russian offices save (Windows-1251, UTF-8 with or without a BOM, Excel's
"Unicode text", KOI8-R, DOS CP866; commas, semicolons, tabs) arrives as the same Cyrillic company names, the
response import reads the same way, a crafted workbook is refused with a sentence, and the person can correct
the encoding and separator on the mapping screen."""
import codecs
import io
import zipfile

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from app.extensions import db
from app.models import Company, ImportRun, Response
from app.services import imports, jobs, matching, tabular
from tests.promotion_support import make_campaign

NAMES = ["Ромашка", "Ёлка и партнёры", "Щука-Эхо"]
HEADER = ["Наименование", "ИНН", "Город"]
ROWS = [[NAMES[0], "7707083893", "Москва"], [NAMES[1], "", "Тверь"], [NAMES[2], "", "Съезжая, Омск"]]


@pytest.fixture(autouse=True)
def _fresh_index():
    matching.forget_index()
    yield


@pytest.fixture(autouse=True)
def _no_uploads_left(app):
    """Uploads a test left for the mapping screen go with it (other tests check that the folder is empty)."""
    yield
    folder = imports.upload_dir(app.config["UPLOAD_DIR"])
    for path in folder.iterdir():
        path.unlink()


def _text(delim: str, rows=ROWS, header=HEADER) -> str:
    def cell(v: str) -> str:
        return f'"{v}"' if delim in v or "," in v else v

    return "".join(delim.join(cell(v) for v in line) + "\r\n" for line in [header, *rows])


def _encoded(text: str, encoding: str) -> bytes:
    if encoding == "excel-unicode":  # Excel's "Unicode text": UTF-16 LE with its BOM
        return codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    return text.encode(encoding)


ENCODINGS = ["utf-8", "utf-8-sig", "cp1251", "excel-unicode", "koi8_r", "cp866"]


@pytest.mark.parametrize("delim", [",", ";", "\t"])
@pytest.mark.parametrize("encoding", ENCODINGS)
def test_each_encoding_and_separator_imports_the_cyrillic_names(app, tmp_path, encoding, delim):
    path = tmp_path / "clients.csv"
    path.write_bytes(_encoded(_text(delim), encoding))
    with app.app_context():
        headers, _rows = imports.read_table(path)
        assert headers == HEADER
        report = imports.apply(db.session, path, "company", imports.guess_mapping("company", headers))
        assert report["created"] == 3, report
        assert sorted(db.session.scalars(select(Company.legal_name))) == sorted(NAMES)
        assert db.session.scalar(select(Company.city).where(Company.legal_name == NAMES[2])) == "Съезжая, Омск"


def test_windows_1251_whose_first_cyrillic_letter_comes_after_a_megabyte_is_read(tmp_path):
    latin = [[f"Company {i} Ltd", "", "Moscow"] for i in range(40_000)]
    path = tmp_path / "late.csv"
    path.write_bytes(_text(";", latin + ROWS, ["Name", "INN", "City"]).encode("cp1251"))
    assert path.read_bytes().index("Ромашка".encode("cp1251")) > 1024 * 1024
    with tabular.open_table(path) as table:
        assert (table.encoding, table.delimiter) == ("cp1251", ";")
        rows = list(table.rows)
    assert [r[0] for r in rows[-3:]] == NAMES and len(rows) == 40_003


def test_windows_1251_after_a_megabyte_goes_through_the_real_import(app, tmp_path):
    path = tmp_path / "late.csv"
    padding = ";;\r\n" * 300_000  # an export with a long run of empty lines before the data
    path.write_bytes(("Наименование;ИНН;Город\r\n" + padding + _text(";").split("\r\n", 1)[1]).encode("cp1251"))
    with app.app_context():
        report = imports.apply(db.session, path, "company", {"Наименование": "legal_name", "Город": "city"})
        assert report["created"] == 3 and report["failed"] == 0
        assert sorted(db.session.scalars(select(Company.legal_name))) == sorted(NAMES)


def test_a_response_import_reads_windows_1251(app, auth, make_user):
    with app.app_context():
        make_campaign("Выставка", channel="exhibition", code="EXPO-26")
    auth.login(make_user("staff", "promotion"))
    text = "Имя;Почта;Компания;Кампания\r\nИван Щукин;ivan@a.ru;ООО «Ёлка»;EXPO-26\r\n"
    resp = auth.post("/promotion/responses/import", {"file": (io.BytesIO(text.encode("cp1251")), "expo.csv")},
                     content_type="multipart/form-data")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    with app.app_context():
        response = db.session.scalars(select(Response)).one()
        assert (response.name, response.company_name) == ("Иван Щукин", "ООО «Ёлка»")


# ---------------------------------------------------------------- workbooks refused before they are loaded

NS = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def _workbook() -> bytes:
    wb = Workbook()
    wb.active.append(HEADER)
    wb.active.append(ROWS[0])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _with_member(name: str, content: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(_workbook()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in source.infolist():
            z.writestr(info.filename, content if info.filename == name else source.read(info.filename))
        if name not in source.namelist():
            z.writestr(name, content)
    return out.getvalue()


def _sheet(body: bytes, dimension: bytes = b"") -> bytes:
    return b'<?xml version="1.0"?><worksheet ' + NS + b">" + dimension + b"<sheetData>" + body + b"</sheetData></worksheet>"


def _zip_of(name: str, content: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(name, content)
    return out.getvalue()


CRAFTED = {
    "two million empty rows": (lambda: _with_member("xl/worksheets/sheet1.xml", _sheet(
        b"".join(b'<row r="%d"/>' % i for i in range(1, 2_000_001)))), "на листе больше 1 000 000 строк"),
    "one row far down": (lambda: _with_member("xl/worksheets/sheet1.xml", _sheet(
        b'<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row><row r="2000000"/>')),
        "на листе больше 1 000 000 строк"),
    "a declared dimension of 16384 columns": (lambda: _with_member("xl/worksheets/sheet1.xml", _sheet(
        b'<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>', b'<dimension ref="A1:XFD10"/>')),
        "на листе больше 200 столбцов"),
    "a huge shared-strings table": (lambda: _with_member("xl/sharedStrings.xml", b'<?xml version="1.0"?><sst ' + NS
                                                         + b">" + b"<si><t>aaaaaaaaaaaaaaaaaaaa</t></si>" * 2_000_000
                                                         + b"</sst>"), "сжата в"),
    "a shared-strings table declaring three million texts": (lambda: _with_member(
        "xl/sharedStrings.xml", b'<?xml version="1.0"?><sst ' + NS + b' count="3000000" uniqueCount="3000000">'
        b"<si><t>a</t></si></sst>"), "в ней 3000000 разных текстов"),
    "a zip that is not a workbook": (lambda: _zip_of("notes.txt", b"hello"), "Этот zip-архив — не книга Excel"),
    "a damaged zip": (lambda: b"PK\x03\x04" + b"\x00" * 200, "не таблица CSV и не книга Excel"),
    "an old .xls": (lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 200, "Старые файлы Excel (.xls)"),
}


@pytest.mark.parametrize("case", list(CRAFTED))
def test_a_crafted_workbook_is_refused_on_upload_with_a_russian_sentence(app, auth, make_user, case):
    build, message = CRAFTED[case]
    auth.login(make_user("staff", "crm"))
    auth.post("/language", {"lang": "ru", "next": "/"})
    before = set(imports.upload_dir(app.config["UPLOAD_DIR"]).iterdir())
    resp = auth.post("/data/import", {"kind": "company", "file": (io.BytesIO(build()), "clients.xlsx")},
                     content_type="multipart/form-data")
    assert resp.status_code == 422
    assert message in resp.get_data(as_text=True)
    assert set(imports.upload_dir(app.config["UPLOAD_DIR"]).iterdir()) == before  # a refused file is not kept


def test_a_real_workbook_still_imports(app, tmp_path):
    path = tmp_path / "clients.xlsx"
    path.write_bytes(_workbook())
    with app.app_context():
        headers, _rows = imports.read_table(path)
        report = imports.apply(db.session, path, "company", imports.guess_mapping("company", headers))
        assert report["created"] == 1
        assert db.session.scalars(select(Company.legal_name)).all() == [NAMES[0]]


# ---------------------------------------------------------------- the person sees and corrects the choice


def _upload(auth, data: bytes) -> str:
    resp = auth.post("/data/import", {"kind": "company", "file": (io.BytesIO(data), "clients.csv")},
                     content_type="multipart/form-data")
    assert resp.status_code == 303
    return resp.location


def test_the_mapping_and_preview_pages_say_which_encoding_and_separator_were_chosen(app, auth, make_user):
    auth.login(make_user("staff", "crm"))
    auth.post("/language", {"lang": "ru", "next": "/"})
    mapping = _upload(auth, _text(";").encode("koi8_r"))
    page = auth.get(mapping).get_data(as_text=True)
    assert '<span id="file-encoding">KOI8-R</span>' in page
    assert '<span id="file-separator">точка с запятой</span>' in page
    assert 'value="legal_name" selected' in page
    form = {"col_0": "legal_name", "col_1": "inn", "col_2": "city", "on_duplicate": "skip"}
    preview = auth.get(auth.post(mapping, form).location).get_data(as_text=True)
    assert "KOI8-R" in preview and NAMES[1] in preview


def test_an_override_is_stored_with_the_run_and_used_by_the_real_import(app, auth, make_user):
    """A Windows-1251 file read as DOS CP866 on purpose: the columns change on the screen, and the job
    imports exactly what the person saw; switching the separator to a comma makes the whole line one column."""
    auth.login(make_user("staff", "crm"))
    data = _text(";").encode("cp1251")
    mapping = _upload(auth, data)
    assert "Windows-1251" in auth.get(mapping).get_data(as_text=True)

    auth.post(mapping, {"encoding": "", "delimiter": ",", "reread": "1"})
    page = auth.get(mapping).get_data(as_text=True)
    assert 'id="column-0" translate="no">Наименование;ИНН;Город<' in page and 'id="column-1"' not in page

    auth.post(mapping, {"encoding": "cp866", "delimiter": "", "reread": "1"})
    page = auth.get(mapping).get_data(as_text=True)
    as_dos = "Наименование".encode("cp1251").decode("cp866")
    assert '<span id="file-encoding">CP866 (DOS)</span>' in page and as_dos in page
    assert '<input type="hidden" name="encoding" value="cp866">' in page  # the mapping form carries the choice

    form = {"encoding": "cp866", "delimiter": ";", "col_0": "legal_name", "col_1": "inn", "col_2": "city",
            "on_duplicate": "create"}
    preview = auth.post(mapping, form).location
    auth.post(preview, {"on_duplicate": "create"})
    with app.app_context():
        run = db.session.scalars(select(ImportRun)).one()
        assert run.options["reading"] == {"encoding": "cp866", "delimiter": ";"}
        assert jobs.wait_for(run.job_id).status == "finished"
        names = sorted(db.session.scalars(select(Company.legal_name)))
    assert names == sorted(n.encode("cp1251").decode("cp866") for n in NAMES)


def test_the_command_line_takes_the_encoding_and_separator(app, tmp_path):
    path = tmp_path / "clients.csv"
    path.write_bytes(_text("|").encode("cp1251"))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["crm", "import", "companies", str(path), "--encoding", "cp1251", "--delimiter", "|"])
    assert result.exit_code == 0 and "created 3" in result.output, result.output
    with app.app_context():
        assert sorted(db.session.scalars(select(Company.legal_name))) == sorted(NAMES)


def test_an_import_indexes_its_records_for_the_search_once_at_the_end(app, tmp_path):
    """The search index is written in batches when the rows are in, and a row rolled back alone leaves nothing."""
    from app.models.search import SearchDocument
    from app.services import search

    path = tmp_path / "clients.csv"
    path.write_bytes(("Наименование;Сайт;Телефон\r\nЁлка;elka.ru;8 (4822) 33-44-55\r\nЩука;" + "x" * 400
                      + ";\r\nЭхо;;\r\n").encode("cp1251"))
    with app.app_context():
        report = imports.apply(db.session, path, "company", {"Наименование": "legal_name", "Сайт": "website",
                                                             "Телефон": "phone"})
        assert (report["created"], report["failed"]) == (2, 1)
        ids = {r["id"] for r in report["rows"] if r["id"]}
        assert set(db.session.scalars(select(SearchDocument.entity_id))) == ids
        assert [h.entity_id for h in search.search(db.session, "ёлка")] == [report["rows"][0]["id"]]
        assert [h.entity_id for h in search.search(db.session, "334455")] == [report["rows"][0]["id"]]


def test_the_engine_compares_rows_within_windows_and_exact_keys_across_the_whole_file(app, tmp_path, monkeypatch):
    """A large file is compared by the engine in windows (its memory); a repeated INN is found across windows."""
    monkeypatch.setattr(imports, "WITHIN_FILE_WINDOW", 4)  # rows 2-5, 6-9, 10
    path = tmp_path / "clients.csv"
    path.write_bytes(("Наименование;ИНН;Город\r\nРомашка;7707083893;Москва\r\nГранит;;Казань\r\nВектор;;Самара\r\n"
                      "Гранит;;Казань\r\nСевер;;Омск\r\nАльфа;;Тверь\r\nРомашка ООО;7707083893;Москва\r\n"
                      "Альфа;;Тверь\r\nВектор;;Самара\r\n").encode("cp1251"))
    with app.app_context():
        rows = list(imports.iter_rows(path, "company", {"Наименование": "legal_name", "ИНН": "inn", "Город": "city"}))
        same = imports.same_as_earlier(db.session, "company", rows)
    assert same[8] == 2  # the same INN, in another window
    assert same[5] == 3 and same[9] == 7  # «Гранит» and «Альфа» twice within a window
    assert 10 not in same  # «Вектор» rows 4 and 10 fall in different windows: the engine did not compare them
