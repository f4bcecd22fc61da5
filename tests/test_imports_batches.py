"""New records of an import are written in batches: a row the database refuses inside a batch is reported alone
and every other row of the batch is written with its contact points; a row that repeats a waiting one sees it
as if each row had been written on its own."""
import pytest
from sqlalchemy import func, select, text

from app.extensions import db
from app.models import AuditEntry, Company, Email, Phone
from app.services import imports, matching

REFUSED = "Отказная"  # the database itself refuses this name (a trigger below)


@pytest.fixture(autouse=True)
def _fresh_index():
    matching.forget_index()
    yield


@pytest.fixture
def refusing_database(app):
    """A trigger that makes the database refuse one company name, on either engine: a failure no validation
    in Python foresees."""
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text(
                "CREATE OR REPLACE FUNCTION refuse_name() RETURNS trigger AS $$ BEGIN "
                f"IF NEW.legal_name = '{REFUSED}' THEN RAISE EXCEPTION 'refused by the test trigger'; END IF; "
                "RETURN NEW; END $$ LANGUAGE plpgsql"))
            db.session.execute(text("CREATE TRIGGER refuse_name BEFORE INSERT ON companies "
                                    "FOR EACH ROW EXECUTE FUNCTION refuse_name()"))
        else:
            db.session.execute(text(f"CREATE TRIGGER refuse_name BEFORE INSERT ON companies WHEN NEW.legal_name = "
                                    f"'{REFUSED}' BEGIN SELECT RAISE(ABORT, 'refused by the test trigger'); END"))
        db.session.commit()
    yield
    with app.app_context():
        db.session.execute(text("DROP TRIGGER IF EXISTS refuse_name" +
                                (" ON companies" if db.engine.dialect.name == "postgresql" else "")))
        db.session.commit()


def _file(tmp_path, names: list[str]):
    path = tmp_path / "clients.csv"
    lines = ["Наименование;Телефон;E-mail"]
    lines += [f"{n};+7 495 {i:07d};office{i}@firm{i}.ru" for i, n in enumerate(names)]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1251"))
    return path


MAPPING = {"Наименование": "legal_name", "Телефон": "phone", "E-mail": "email"}


@pytest.mark.parametrize("where", [700, 1199])  # in the middle of the second batch, the last row of the file
def test_a_row_the_database_refuses_inside_a_batch_is_reported_alone(app, tmp_path, refusing_database, where):
    names = [f"Фирма {chr(0x410 + i % 32)}{i:05d} {'ёжик' if i % 2 else 'лес'}" for i in range(1200)]
    names[where] = REFUSED
    path = _file(tmp_path, names)
    with app.app_context():
        report = imports.apply(db.session, path, "company", MAPPING, on_duplicate="create")
        assert (report["created"], report["failed"], report["applied"]) == (1199, 1, True)
        failed = [r for r in report["rows"] if r["outcome"] == "failed"]
        assert [r["row"] for r in failed] == [where + 2] and "refused by the test trigger" in failed[0]["reason"]
        assert [r["row"] for r in report["rows"]] == list(range(2, 1202))  # the report in the file's order
        assert db.session.scalar(select(func.count(Company.id))) == 1199
        assert db.session.scalar(select(func.count(Phone.id))) == 1199
        assert db.session.scalar(select(func.count(Email.id))) == 1199
        assert REFUSED not in set(db.session.scalars(select(Company.legal_name)))
        created = {r["row"]: r["id"] for r in report["rows"] if r["outcome"] == "created"}
        first = db.session.get(Company, created[2])
        assert first.legal_name == names[0] and [p.e164 for p in first.phones] == ["+74950000000"]
        assert [e.address for e in first.emails] == ["office0@firm0.ru"]
        # every record written has its history, as one saved by hand
        assert db.session.scalar(select(func.count(func.distinct(AuditEntry.entity_id)))
                                 .where(AuditEntry.entity_type == "companies", AuditEntry.action == "create")) == 1199


def test_all_or_nothing_writes_nothing_when_the_database_refuses_a_row_of_a_batch(app, tmp_path, refusing_database):
    names = [f"Компания {i}" for i in range(900)]
    names[450] = REFUSED
    with app.app_context():
        report = imports.apply(db.session, _file(tmp_path, names), "company", MAPPING, on_duplicate="create",
                               all_or_nothing=True)
        assert (report["applied"], report["failed"]) == (False, 1)
        assert db.session.scalar(select(func.count(Company.id))) == 0
        assert db.session.scalar(select(func.count(Phone.id))) == 0


def test_a_row_repeating_a_waiting_one_sees_it_written(app, tmp_path):
    """Rows 3 and 4 repeat row 2 by its INN and by its external id while row 2 still waits in its batch."""
    path = tmp_path / "clients.csv"
    path.write_bytes(("Код;Наименование;ИНН\r\n"
                      "K1;Ромашка;7707083893\r\n"
                      "K2;Совсем другая;7707083893\r\n"
                      "K1;Ромашка Плюс;\r\n"
                      "K3;Вектор;\r\n").encode("cp1251"))
    mapping = {"Код": "external_id", "Наименование": "legal_name", "ИНН": "inn"}
    with app.app_context():
        report = imports.apply(db.session, path, "company", mapping, on_duplicate="update")
        by_row = {r["row"]: r for r in report["rows"]}
        first = by_row[2]["id"]
        assert by_row[2]["outcome"] == "created" and by_row[5]["outcome"] == "created"
        assert by_row[3]["outcome"] == "updated" and by_row[3]["id"] == first  # same INN: the same company
        assert by_row[4]["outcome"] == "updated" and by_row[4]["id"] == first  # same external id
        assert db.session.scalar(select(func.count(Company.id))) == 2
        db.session.expire_all()
        assert db.session.get(Company, first).legal_name == "Ромашка Плюс"
    with app.app_context():
        db.session.execute(Company.__table__.delete())
        db.session.commit()
        report = imports.apply(db.session, path, "company", mapping, on_duplicate="create")
        by_row = {r["row"]: r for r in report["rows"]}
        assert by_row[3]["outcome"] == "failed" and f"#{by_row[2]['id']}" in by_row[3]["reason"]  # one INN, one company
