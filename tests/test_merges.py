"""A reviewer scans, reviews a group, merges it choosing values, and can undo the merge from its history."""
import csv
import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Activity, Address, AuditEntry, Company, Contact, Deal, DuplicateGroup, Email, JobRecord, Phone
from app.services import duplicates, jobs, matching, search
from app.services import merges as merge_service


@pytest.fixture(autouse=True)
def _fresh_index():
    matching.forget_index()
    yield


def _base():
    """Two spellings of one client (with contacts, deals, activities) and an unrelated company."""
    a = Company(legal_name="Ромашка", legal_form="ООО", name_sort="ромашка", inn="7707083893", city="Москва")
    b = Company(legal_name="Romashka", legal_form="LLC", name_sort="romashka", city="Moscow", website="romashka.ru",
                external_id="1C-77")
    other = Company(legal_name="Гранит", legal_form="АО", name_sort="гранит", inn="4982597917")
    db.session.add_all([a, b, other])
    db.session.flush()
    db.session.add_all([Phone(company_id=a.id, e164="+74951234567"), Phone(company_id=b.id, e164="+74951234567"),
                        Phone(company_id=b.id, e164="+74957654321"), Email(company_id=b.id, address="info@romashka.ru"),
                        Address(company_id=a.id, street="ул. Ленина, д. 5", city="Москва"),
                        Address(company_id=b.id, street="улица Ленина 5", city="Москва"),
                        Address(company_id=b.id, street="пр-т Мира, 1", city="Москва")])
    k = Contact(company_id=b.id, name="Иван Петров")
    db.session.add(k)
    db.session.flush()
    db.session.add_all([Deal(title="Насосы", company_id=b.id, contact_id=k.id),
                        Activity(kind="call", company_id=b.id, contact_id=k.id, subject="звонок",
                                 occurred_at=datetime(2026, 1, 5, tzinfo=timezone.utc))])
    db.session.commit()
    return a.id, b.id, other.id, k.id


def test_a_scan_job_fills_the_queue_best_first_and_not_duplicates_is_remembered(app, auth, make_user):
    with app.app_context():
        a, b, other, _k = _base()
    auth.login(make_user("staff", "crm"))
    resp = auth.post("/data/duplicates/scan", {"kind": "company"}, htmx=True)
    assert 'role="progressbar"' in resp.get_data(as_text=True)
    with app.app_context():
        job_id = db.session.scalars(select(JobRecord.id)).one()
        assert jobs.wait_for(job_id).status == "finished"
    page = auth.get("/data/duplicates?kind=company").get_data(as_text=True)
    assert "1 group waiting for review" in page and "Ромашка" in page and "Romashka" in page
    assert "name 100% similar" in page and "Гранит" not in page
    with app.app_context():
        group = db.session.scalars(select(DuplicateGroup)).one()
        assert sorted(group.member_ids) == sorted([a, b])
    assert "will not be proposed again" in auth.post(f"/data/duplicates/groups/{group.id}/dismiss", htmx=True).get_data(as_text=True)
    with app.app_context():
        assert matching.scan(db.session, "company") == []
        duplicates.fill_queue(db.session, "company", [])
        db.session.commit()
    assert "No candidate duplicates" in auth.get("/data/duplicates?kind=company").get_data(as_text=True)


def test_merge_keeps_chosen_values_unites_contact_points_and_moves_everything(app, auth, make_user):
    with app.app_context():
        a, b, other, k = _base()
    auth.login(make_user("staff", "crm"))
    page = auth.get(f"/data/duplicates/compare?kind=company&ids={a},{b}").get_data(as_text=True)
    assert 'name="choice_website"' in page and "contacts.company_id" in page
    resp = auth.post("/data/duplicates/merge", {"kind": "company", "ids": [a, b], "all_ids": [a, b], "survivor": a,
                                                "choice_legal_name": a, "choice_city": b, "choice_website": b})
    assert resp.status_code == 303
    merge_url = resp.location
    with app.app_context():
        survivor = db.session.get(Company, a)
        assert (survivor.legal_name, survivor.city, survivor.website) == ("Ромашка", "Moscow", "romashka.ru")
        assert sorted(p.e164 for p in survivor.phones) == ["+74951234567", "+74957654321"]
        assert [e.address for e in survivor.emails] == ["info@romashka.ru"]
        assert len(survivor.addresses) == 2  # "ул. Ленина, д. 5" and "улица Ленина 5" are one address
        assert db.session.get(Contact, k).company_id == a
        assert db.session.scalar(select(Deal.company_id)) == a
        assert db.session.scalar(select(Activity.company_id)) == a
        assert db.session.get(Company, b).deleted_at is not None
        assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "merge")) >= 2
        assert [h.entity_id for h in search.search(db.session, "+7 495 765-43-21")] == [a]  # b's phone, now a's
    assert auth.get(f"/data/records/company/{b}").location.endswith(f"/data/records/company/{a}")
    page = auth.get(merge_url).get_data(as_text=True)
    assert "Undo merge" in page and "phones.company_id" in page
    html = auth.post(f"{merge_url}/undo", htmx=True).get_data(as_text=True)
    assert "This merge was undone" in html
    with app.app_context():
        assert db.session.get(Company, b).deleted_at is None
        assert db.session.get(Company, a).city == "Москва"
        assert db.session.get(Contact, k).company_id == b
        assert len(db.session.get(Company, b).addresses) == 2
        assert [h.entity_id for h in search.search(db.session, "+7 495 765-43-21")] == [b]
    assert "This merge was already undone" in auth.post(f"{merge_url}/undo", htmx=True).get_data(as_text=True)


def test_three_records_merge_in_one_step(app):
    with app.app_context():
        ids = []
        for name in ("Вектор", "Vektor", "ВЕКТОР"):
            c = Company(legal_name=name, legal_form="ООО", name_sort=name.lower())
            db.session.add(c)
            db.session.flush()
            db.session.add(Deal(title=f"deal {name}", company_id=c.id))
            ids.append(c.id)
        db.session.commit()
        record = merge_service.merge(db.session, "company", ids[0], ids[1:], {}, user_id=None)
        db.session.commit()
        assert set(db.session.scalars(select(Deal.company_id))) == {ids[0]}
        assert [m.id for m in merge_service.merges_of(db.session, "company", ids[2])] == [record.id]


def test_every_table_that_references_companies_is_covered(app):
    with app.app_context():
        names = {r.name for r in merge_service.references("company")}
        assert {"contacts.company_id", "phones.company_id", "emails.company_id", "addresses.company_id",
                "deals.company_id", "activities.company_id", "company_tags.company_id"} <= names
        assert {r.name for r in merge_service.references("contact")} >= {"phones.contact_id", "deals.contact_id",
                                                                          "activities.contact_id"}


def test_a_merge_cannot_use_a_record_already_merged(app):
    with app.app_context():
        a, b, other, _k = _base()
        merge_service.merge(db.session, "company", a, [b], {}, user_id=None)
        db.session.commit()
        with pytest.raises(merge_service.MergeError, match="already merged"):
            merge_service.merge(db.session, "company", other, [b], {}, user_id=None)


def test_the_cli_scan_writes_pairs_with_external_ids_and_reasons(app, tmp_path):
    with app.app_context():
        a, b, _other, _k = _base()
    out = tmp_path / "pairs.csv"
    result = app.test_cli_runner().invoke(args=["dedup", "scan", "--entity", "companies", "--output", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == 1
    assert {rows[0]["Record A"], rows[0]["Record B"]} == {str(a), str(b)}
    assert "1C-77" in (rows[0]["External ID A"], rows[0]["External ID B"])
    assert re.search(r"name \d+% similar", rows[0]["Reasons"])


def test_only_the_crm_section_reviews_duplicates(auth, make_user):
    auth.login(make_user("staff", "sales"))
    assert auth.get("/data/duplicates").status_code == 403
    assert auth.post("/data/duplicates/scan", {"kind": "company"}).status_code == 403


def test_admin_tunes_the_thresholds(app, auth, make_user):
    auth.login(make_user("admin", "distribution"))
    assert "Engine default" in auth.get("/data/duplicates/settings").get_data(as_text=True)
    bad = auth.post("/data/duplicates/settings", {"review_threshold": 95, "strong_threshold": 90,
                                                  "verify_age_months": 12}, htmx=True)
    assert bad.status_code == 422 and "between the review threshold and 100" in bad.get_data(as_text=True)
    ok = auth.post("/data/duplicates/settings", {"review_threshold": 80, "strong_threshold": 97,
                                                 "verify_age_months": 6}, htmx=True)
    assert ok.status_code == 200 and "Saved." in ok.get_data(as_text=True)
    with app.app_context():
        s = matching.get_settings(db.session)
        assert (s.review_threshold, s.strong_threshold, s.verify_age_months) == (80, 97, 6)


def test_the_queue_reads_in_russian(app, auth, make_user):
    from app.i18n import compile_catalogs

    compile_catalogs()
    with app.app_context():
        _base()
        duplicates.fill_queue(db.session, "company", matching.scan(db.session, "company"))
        db.session.commit()
    auth.login(make_user("staff", "crm"))
    auth.post("/language", {"lang": "ru", "csrf_token": auth.token})
    page = auth.get("/data/duplicates?kind=company").get_data(as_text=True)
    assert "Дубли компаний" in page and "1 группа ждёт проверки" in page and "название похоже на 100%" in page


def test_a_merge_shows_on_the_survivors_timeline(app):
    from app.services.timeline import company_timeline

    with app.app_context():
        a, b, _other, _k = _base()
        merge_service.merge(db.session, "company", a, [b], {}, user_id=None)
        db.session.commit()
        with app.test_request_context():
            items = [i for i in company_timeline(db.session, a) if i.kind == "merge"]
        assert [i.title for i in items] == [f"Merged #{b} into this company"]


def test_undo_after_later_edits_keeps_the_edits_and_restores_the_merged_in_values(app):
    with app.app_context():
        a, b, _other, _k = _base()
        record = merge_service.merge(db.session, "company", a, [b], {"city": b, "website": b}, user_id=None)
        db.session.commit()
        survivor = db.session.get(Company, a)
        survivor.notes, survivor.website = "called on Monday", "new-site.ru"
        db.session.commit()
        merge_service.undo(db.session, record.id, user_id=None)
        db.session.commit()
        survivor = db.session.get(Company, a)
        assert (survivor.city, survivor.notes, survivor.website) == ("Москва", "called on Monday", "new-site.ru")


def test_contacts_are_compared_with_their_company_names(app, auth, make_user):
    with app.app_context():
        a, b, _other, k = _base()
        twin = Contact(company_id=a, name="Ivan Petrov")
        db.session.add(twin)
        db.session.commit()
        twin_id = twin.id
    auth.login(make_user("staff", "crm"))
    page = auth.get(f"/data/duplicates/compare?kind=contact&ids={k},{twin_id}").get_data(as_text=True)
    assert f"ООО Ромашка #{a}" in page and f"LLC Romashka #{b}" in page


def test_a_merged_companys_page_leads_to_the_survivor_with_the_merge_on_its_timeline(app, auth, make_user):
    with app.app_context():
        a, b, _other, _k = _base()
        merge_service.merge(db.session, "company", a, [b], {}, user_id=None)
        db.session.commit()
    auth.login(make_user("staff", "crm"))
    resp = auth.get(f"/crm/companies/{b}")
    assert resp.status_code == 302 and resp.location.endswith(f"/crm/companies/{a}")
    assert f"Merged #{b} into this company" in auth.get(f"/crm/companies/{a}").get_data(as_text=True)


def test_a_full_scan_learns_weights_from_the_base_and_the_admin_sees_them(app, auth, make_user):
    """A base large enough gets its own weights on each scan; the admin reads them next to the hand ones."""
    from app.extensions import db
    from app.models import Company
    from app.services import matching

    with app.app_context():
        from app.models import Phone

        firms = [(f"Фирма{i:03d}ка", f"+7495{1000000 + i}") for i in range(260)]
        firms += [(f"Фирма{i:03d}ка", f"+7495{1000000 + i}") for i in range(0, 260, 13)]
        for name, phone in firms:
            company = Company(legal_name=name, legal_form="ООО", name_sort=name.lower(), city="Москва")
            db.session.add(company)
            db.session.flush()
            db.session.add(Phone(company_id=company.id, e164=phone))
        db.session.commit()
        matching.scan(db.session, "company")
        db.session.commit()
        saved = matching.get_settings(db.session).learnt_weights["company"]
        assert saved["learnt"] and saved["records"] == 280
    auth.login(make_user("admin", "distribution"))
    page = auth.get("/data/duplicates/settings").get_data(as_text=True)
    assert "Weights learnt from the base" in page and "learnt from 280 records" in page
