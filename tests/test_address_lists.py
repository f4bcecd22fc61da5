"""Segmented address lists: live count, generation as a job, exclusions reported, formula cells neutralised."""
import csv
import io
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Address, ClientType, Email, JobRecord
from app.models.address_lists import AddressList
from app.services import address_lists, jobs
from tests.promotion_support import make_client


def _base(app):
    """Three reachable clients in Moscow, one opted out, one without email, one duplicate email, one formula name."""
    with app.app_context():
        corporate = db.session.scalar(select(ClientType.id).where(ClientType.code == "corporate"))
        make_client("Альфа", "Анна", email="anna@alfa.ru", city="Москва", client_type_id=corporate)
        make_client("Бета", "Борис", email="boris@beta.ru", city="Москва", client_type_id=corporate, dnc=True)
        make_client("Гамма", "Глеб", city="Москва", client_type_id=corporate)
        make_client("Дельта", "Анна Дубль", email="anna@alfa.ru", city="Москва", client_type_id=corporate)
        cid, _ = make_client("Формула", "=HYPERLINK(\"http://evil\")", email="f@formula.ru", city="Москва",
                             client_type_id=corporate)
        db.session.add(Address(company_id=cid, kind="postal", street="+ул. Плюсовая, 1", city="Москва"))
        make_client("Питер", "Пётр", email="p@piter.ru", city="Санкт-Петербург", client_type_id=corporate)
        db.session.commit()
        return corporate


def test_the_count_updates_as_filters_change(app, auth, make_user):
    corporate = _base(app)
    auth.login(make_user("staff", "promotion"))
    everyone = auth.post("/promotion/segments/count", {"client_type_ids": corporate}, htmx=True).get_data(as_text=True)
    assert 'data-companies="6"' in everyone
    moscow = auth.post("/promotion/segments/count", {"client_type_ids": corporate, "cities": "Москва"},
                       htmx=True).get_data(as_text=True)
    assert 'data-companies="5"' in moscow and "1 of them do not want to be contacted" in moscow


def test_an_email_list_leaves_out_opted_out_unreachable_and_duplicate_rows_and_neutralises_formulas(app, auth, make_user):
    _base(app)
    promo = make_user("staff", "promotion")
    auth.login(promo)
    saved = auth.post("/promotion/segments/new", {"name": "Moscow", "cities": "Москва"})
    assert saved.status_code == 302
    with app.app_context():
        segment_id = db.session.scalar(select(address_lists.Segment.id))
    started = auth.post("/promotion/lists", {"segment_id": segment_id, "fmt": "email", "file_type": "csv",
                                             "semicolon": "1", "bom": "1"}, htmx=True)
    assert 'role="progressbar"' in started.get_data(as_text=True)
    with app.app_context():
        job = jobs.wait_for(db.session.scalar(select(JobRecord.id)))
        assert job.status == "finished", job.error
        lst = db.session.scalars(select(AddressList)).one()
        assert lst.rows == 2
        assert lst.exclusions == {"do_not_contact": 1, "no_valid_channel": 1, "unverified": 0, "duplicates": 1}
    download = auth.get(f"/promotion/lists/{lst.id}/download")
    raw = download.get_data()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Email", "Name", "Position", "Company", "City"]
    emails = {r[0] for r in rows[1:]}
    assert emails == {"anna@alfa.ru", "f@formula.ru"}
    assert "boris@beta.ru" not in raw.decode("utf-8-sig")
    formula_row = next(r for r in rows if r[0] == "f@formula.ru")
    assert formula_row[1] == "'=HYPERLINK(\"http://evil\")"
    listing = auth.get("/promotion/lists").get_data(as_text=True)
    assert "Moscow" in listing and promo.name in listing and "do not contact: 1" in listing


def test_a_postal_list_as_xlsx_has_a_row_per_company_with_its_address(app, make_user, tmp_path):
    _base(app)
    with app.app_context():
        from openpyxl import load_workbook

        summary = address_lists.write_list(db.session, {"cities": ["Москва"]}, "postal", "xlsx", tmp_path / "p.xlsx")
        rows = list(load_workbook(tmp_path / "p.xlsx").active.iter_rows(values_only=True))
    assert rows[0][0] == "Company"
    assert [r for r in rows if r[0] == "Формула"][0][6] == "+ул. Плюсовая, 1"  # a string cell, no guard shown
    assert summary.rows == 1  # only Формула has an address; the others have none
    assert summary.exclusions["no_valid_channel"] == 3 and summary.exclusions["do_not_contact"] == 1


def test_unverified_data_can_be_left_out(app, tmp_path):
    _base(app)
    with app.app_context():
        old = datetime.now(timezone.utc) - timedelta(days=400)
        for email in db.session.scalars(select(Email)):
            email.verified_at = datetime.now(timezone.utc) if email.address == "anna@alfa.ru" else old
        db.session.commit()
        summary = address_lists.write_list(db.session, {"cities": ["Москва"]}, "email", "csv", tmp_path / "e.csv",
                                   {"unverified_days": 365})
    assert summary.rows == 1 and summary.exclusions["unverified"] == 1


@pytest.mark.parametrize("role, unit, allowed", [("staff", "sales", False), ("head", "sales", False),
                                                 ("staff", "promotion", True), ("head", "promotion", True),
                                                 ("admin", "distribution", True)])
def test_only_promotion_staff_their_head_and_admins_use_lists(app, auth, make_user, role, unit, allowed):
    auth.login(make_user(role, unit))
    assert auth.get("/promotion/lists").status_code == (200 if allowed else 403)
    if not allowed:
        assert auth.post("/promotion/lists", {"segment_id": 1, "fmt": "email"}).status_code == 403


def _expired_list(app, user_id) -> AddressList:
    """An email list of the whole base, generated, whose download period has just ended."""
    seg = address_lists.save_segment(db.session, "All", {}, user_id)
    lst = address_lists.create_list(db.session, seg, "email", "csv", {}, user_id, expiry_days=1)
    db.session.commit()
    lst = address_lists.generate(db.session, lst.id, app.config["EXPORT_DIR"])
    lst.expires_at = datetime.now(timezone.utc) - timedelta(seconds=1)
    db.session.commit()
    return lst


def test_an_expired_list_can_no_longer_be_downloaded(app, auth, make_user):
    _base(app)
    user = make_user("staff", "promotion")
    with app.app_context():
        list_id = _expired_list(app, user.id).id
    auth.login(user)
    assert auth.get(f"/promotion/lists/{list_id}/download").status_code == 404


def test_cli_exports_a_saved_segment(app, tmp_path):
    _base(app)
    with app.app_context():
        address_lists.save_segment(db.session, "Piter", {"cities": ["Санкт-Петербург"]}, None)
        db.session.commit()
    out = tmp_path / "piter.csv"
    result = app.test_cli_runner().invoke(
        args=["lists", "export", "--segment", "Piter", "--format", "csv", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "1 rows written" in result.output
    assert "p@piter.ru" in out.read_text(encoding="utf-8")
    missing = app.test_cli_runner().invoke(args=["lists", "export", "--segment", "Nope", "--output", str(out)])
    assert missing.exit_code != 0 and "no segment named" in missing.output


def test_the_nightly_purge_removes_expired_files_but_keeps_the_record(app, make_user):
    _base(app)
    user = make_user("staff", "promotion")
    with app.app_context():
        from app.promotion.jobs import purge_expired_lists_job

        lst = _expired_list(app, user.id)
        path = app.config["EXPORT_DIR"] / lst.file_name
        assert path.exists()
        record = jobs.enqueue(purge_expired_lists_job, kind="address_list_purge", title="purge", user_id=None)
        assert jobs.wait_for(record.id).status == "finished"
        assert not path.exists() and db.session.get(AddressList, lst.id).rows > 0
