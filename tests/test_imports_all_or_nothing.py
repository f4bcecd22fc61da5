"""An all-or-nothing import keeps its word after an earlier import, whether the failing row is in the middle or at
the end, from the command line and through the job; a SAVEPOINT opened before any write must not commit on
SQLite."""
import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Company
from app.services import imports, matching

HEADER = "Наименование;ИНН;Город\r\n"
GOOD = ["Ромашка;7707083893;Москва", "Вектор;;Самара", "Гранит;;Казань"]
BAD = "Альфа;12345;Тверь"  # an INN with a bad length


@pytest.fixture(autouse=True)
def _fresh_index():
    matching.forget_index()
    yield


def _file(tmp_path, rows, name):
    path = tmp_path / name
    path.write_bytes((HEADER + "\r\n".join(rows) + "\r\n").encode("cp1251"))
    return path


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Company.id)))


@pytest.mark.parametrize("where", ["middle", "end"])
def test_the_command_line_writes_nothing_after_an_earlier_import(app, tmp_path, where):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["crm", "import", "companies", str(_file(tmp_path, ["Север;;Омск"], "first.csv"))])
    assert first.exit_code == 0 and _count(app) == 1, first.output
    rows = [GOOD[0], BAD, GOOD[1], GOOD[2]] if where == "middle" else GOOD + [BAD]
    result = runner.invoke(args=["crm", "import", "companies", str(_file(tmp_path, rows, "second.csv")),
                                 "--on-duplicate", "create", "--all-or-nothing"])
    assert "nothing written" in result.output, result.output
    assert _count(app) == 1
    with app.app_context():
        assert db.session.scalars(select(Company.legal_name)).all() == ["Север"]


@pytest.mark.parametrize("where", ["middle", "end"])
def test_the_service_as_the_job_calls_it_writes_nothing_after_an_earlier_import(app, tmp_path, where):
    with app.app_context():
        earlier = _file(tmp_path, ["Север;;Омск"], "first.csv")
        mapping = imports.guess_mapping("company", imports.read_table(earlier)[0])
        assert imports.apply(db.session, earlier, "company", mapping)["applied"]
        rows = [GOOD[0], BAD, GOOD[1]] if where == "middle" else GOOD + [BAD]
        report = imports.apply(db.session, _file(tmp_path, rows, "second.csv"), "company", mapping,
                               on_duplicate="create", all_or_nothing=True)
        assert not report["applied"] and report["failed"] == 1
        db.session.remove()
    assert _count(app) == 1


def test_without_all_or_nothing_exactly_the_valid_rows_are_written(app, tmp_path):
    runner = app.test_cli_runner()
    runner.invoke(args=["crm", "import", "companies", str(_file(tmp_path, ["Север;;Омск"], "first.csv"))])
    result = runner.invoke(args=["crm", "import", "companies", str(_file(tmp_path, [GOOD[0], BAD, GOOD[1]], "s.csv")),
                                 "--on-duplicate", "create"])
    assert "created 2" in result.output and "failed 1" in result.output, result.output
    with app.app_context():
        assert sorted(db.session.scalars(select(Company.legal_name))) == ["Вектор", "Ромашка", "Север"]


def test_a_savepoint_before_any_write_is_rolled_back_with_its_transaction(app):
    """The root: SQLAlchemy's nested transaction on a connection nothing has written on yet."""
    with app.app_context():
        db.session.rollback()
        with db.session.begin_nested():
            db.session.add(Company(legal_name="Внутри", name_sort="внутри", status="prospect"))
        db.session.rollback()
        db.session.remove()
    assert _count(app) == 0


def test_the_browser_job_writes_nothing_after_an_earlier_import(app, auth, make_user, tmp_path):
    import io

    from app.models import ImportRun
    from app.services import jobs

    runner = app.test_cli_runner()
    runner.invoke(args=["crm", "import", "companies", str(_file(tmp_path, ["Север;;Омск"], "first.csv"))])
    auth.login(make_user("staff", "crm"))
    body = (HEADER + "\r\n".join([GOOD[0], BAD, GOOD[1]]) + "\r\n").encode("cp1251")
    resp = auth.post("/data/import", {"kind": "company", "file": (io.BytesIO(body), "c.csv")},
                     content_type="multipart/form-data")
    form = {"col_0": "legal_name", "col_1": "inn", "col_2": "city"}
    resp = auth.post(resp.location, {**form, "on_duplicate": "create", "all_or_nothing": "1"})
    page = auth.post(resp.location, {"on_duplicate": "create", "all_or_nothing": "1"}).get_data(as_text=True)
    assert 'role="progressbar"' in page
    with app.app_context():
        run = db.session.scalars(select(ImportRun).order_by(ImportRun.id.desc())).first()
        assert jobs.wait_for(run.job_id).status == "finished"
    assert _count(app) == 1
