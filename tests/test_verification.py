"""The CRM section keeps contact data current: stale and flagged items, one-click answers, the figure."""
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEntry, Company, Email, Phone
from app.services import figures, verification

NOW = datetime.now(timezone.utc)


def _company_with_data():
    c = Company(legal_name="Ромашка", legal_form="ООО", name_sort="ромашка")
    db.session.add(c)
    db.session.flush()
    fresh = Phone(company_id=c.id, e164="+74951110001", verified_at=NOW - timedelta(days=30))
    old = Phone(company_id=c.id, e164="+74951110002", verified_at=NOW - timedelta(days=500))
    bounced = Email(company_id=c.id, address="old@romashka.ru", verified_at=NOW, flagged_invalid=True,
                    flag_reason="bounced")
    never = Email(company_id=c.id, address="new@romashka.ru", created_at=NOW - timedelta(days=10))
    db.session.add_all([fresh, old, bounced, never])
    db.session.commit()
    return c.id, fresh.id, old.id, bounced.id


def test_stale_and_flagged_items_are_listed_flagged_first(app):
    with app.app_context():
        company_id, fresh, old, bounced = _company_with_data()
        items = verification.stale_items(db.session, company_id=company_id)
        assert [(i.kind, i.obj.id) for i in items] == [("email", bounced), ("phone", old)]
        assert verification.count_stale(db.session) == 2


def test_one_click_verified_changed_and_invalid(app, auth, make_user):
    with app.app_context():
        company_id, fresh, old, bounced = _company_with_data()
    auth.login(make_user("staff", "crm"))
    page = auth.get("/data/verify").get_data(as_text=True)
    assert "+74951110002" in page and "bounced" in page and "+74951110001" not in page
    assert "Verified" in auth.post(f"/data/verify/phone/{old}/verified", htmx=True).get_data(as_text=True)
    bad = auth.post(f"/data/verify/email/{bounced}/changed", {"value": "not an email"}, htmx=True)
    assert bad.status_code == 422 and "not an email address" in bad.get_data(as_text=True)
    ok = auth.post(f"/data/verify/email/{bounced}/changed", {"value": "Sales@Romashka.ru"}, htmx=True)
    assert "Changed and verified" in ok.get_data(as_text=True)
    with app.app_context():
        email = db.session.get(Email, bounced)
        assert email.address == "sales@romashka.ru" and not email.flagged_invalid
        assert verification.stale_items(db.session, company_id=company_id) == []
    assert "Removed as invalid" in auth.post(f"/data/verify/phone/{fresh}/invalid", htmx=True).get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Phone, fresh) is None
        assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.entity_type == "phones", AuditEntry.action == "delete")) == 1


def test_a_seller_flags_a_wrong_number_of_their_client(app, auth, make_user):
    seller = make_user("staff", "sales")
    with app.app_context():
        company_id, fresh, old, bounced = _company_with_data()
        db.session.get(Company, company_id).account_manager_id = seller.id
        db.session.commit()
    auth.login(seller)
    assert auth.get("/data/verify").status_code == 403
    assert "Flagged" in auth.post(f"/data/verify/phone/{fresh}/flag", {"reason": "wrong number"}, htmx=True).get_data(as_text=True)
    html = auth.get(f"/data/verify/company/{company_id}", htmx=True).get_data(as_text=True)
    assert "wrong number" in html and "+74951110001" in html


def test_the_verified_share_figure(app):
    with app.app_context():
        empty = figures.compute(db.session, "verified_contact_data_share", date.today())
        assert empty.value is None and empty.note
        _company_with_data()
        fig = figures.compute(db.session, "verified_contact_data_share", date.today())
        assert fig.value == 0.25 and fig.detail == {"verified": 1, "total": 4}


def test_the_open_duplicates_figure_is_unknown_before_any_scan(app):
    with app.app_context():
        fig = figures.compute(db.session, "duplicate_candidates_open", date.today())
        assert fig.value is None and "not been scanned" in fig.note
