"""Deals with product lines, activities logged from the company page, and the timeline that shows them."""
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models.activities import Activity
from app.models.deals import Deal
from app.services import activities, companies, deals, errors, products
from app.services.timeline import company_timeline
from tests.companies_support import make_company, make_contact


def _product(app, name="Насос НП-100", price="1000.00") -> int:
    with app.app_context():
        product = products.save_product(db.session, {"name": name, "product_line": "Насосы", "price": price})
        db.session.commit()
        return product.id


def test_a_deal_amount_is_the_sum_of_its_lines(app, auth, make_user):
    cid = make_company(app)
    kid = make_contact(app, cid)
    pump, meter = _product(app), _product(app, "Счётчик", "250.50")
    auth.login(make_user("staff", "sales"))
    resp = auth.post(f"/crm/companies/{cid}/deals/new", {
        "title": "Поставка насосов", "contact_id": str(kid), "owner_id": "", "stage": "proposal",
        "expected_close": "2027-03-01", "lines-0-product_id": str(pump), "lines-0-quantity": "3", "lines-0-amount": "",
        "lines-1-product_id": str(meter), "lines-1-quantity": "2", "lines-1-amount": "400"})
    assert resp.status_code == 302
    with app.app_context():
        deal = db.session.scalar(select(Deal))
        assert deal.amount == Decimal("3400.00") and len(deal.lines) == 2
    assert "Поставка насосов" in auth.get(f"/crm/companies/{cid}").get_data(as_text=True)


def test_a_lost_deal_needs_a_reason(app, auth, make_user):
    cid = make_company(app)
    auth.login(make_user("staff", "sales"))
    resp = auth.post(f"/crm/companies/{cid}/deals/new", {"title": "Сделка", "stage": "lost", "owner_id": "",
                                                         "contact_id": ""})
    assert resp.status_code == 422 and "Say why the deal was lost" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Deal)) is None


def test_only_the_owner_unit_or_an_admin_edits_a_deal(app, auth, make_user):
    cid = make_company(app)
    owner = make_user("staff", "sales")
    with app.app_context():
        deal = deals.save_deal(db.session, cid, {"title": "Сделка", "stage": "new", "owner_id": owner.id}, [])
        db.session.commit()
        deal_id = deal.id
    auth.login(make_user("staff", "promotion"))
    assert auth.post(f"/crm/deals/{deal_id}/edit", {"title": "Чужая", "stage": "won", "version": "1"}).status_code == 403
    assert auth.get(f"/crm/deals/{deal_id}/edit").status_code == 403


def test_only_admins_edit_the_catalogue(app, auth, make_user):
    auth.login(make_user("staff", "sales"))
    assert auth.post("/crm/products/new", {"name": "X", "product_line": "Y", "price": "1"}).status_code == 403
    auth.post("/logout")
    auth.login(make_user("admin", "distribution"))
    assert auth.post("/crm/products/new", {"name": "Датчик", "product_line": "Автоматика", "price": "870"}).status_code == 302
    assert "Датчик" in auth.get("/crm/products").get_data(as_text=True)


def test_logging_a_call_puts_it_on_the_timeline_at_once(app, auth, make_user):
    cid = make_company(app)
    kid = make_contact(app, cid, "Смирнова Ольга")
    auth.login(make_user("staff", "sales"))
    resp = auth.post(f"/crm/companies/{cid}/activities", {
        "kind": "call", "occurred_at": "2026-01-10T10:30", "contact_id": str(kid), "deal_id": "",
        "subject": "Обсудили поставку", "outcome": "Просит КП"}, htmx=True)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert 'id="timeline"' in html and 'hx-swap-oob="true"' in html
    assert "Обсудили поставку" in html and "Смирнова Ольга" in html and "Просит КП" in html


def test_an_activity_in_the_future_is_refused_next_to_the_date(app, auth, make_user):
    cid = make_company(app)
    auth.login(make_user("staff", "sales"))
    later = (datetime.now() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    resp = auth.post(f"/crm/companies/{cid}/activities", {"kind": "meeting", "occurred_at": later, "contact_id": "",
                                                          "deal_id": "", "subject": "Будущее"}, htmx=True)
    assert resp.status_code == 422 and "in the future" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Activity)) is None


def test_log_activity_refuses_a_contact_of_another_company(app):
    cid, other = make_company(app), make_company(app, legal_name="Другая")
    kid = make_contact(app, other)
    with app.app_context():
        with pytest.raises(errors.FieldErrors) as exc:
            activities.log_activity(db.session, author_id=None, company_id=cid, kind="call",
                             occurred_at=datetime.now(timezone.utc), contact_id=kid)
        assert "contact_id" in exc.value.errors


def test_the_timeline_is_newest_first_and_pages_back(app, auth, make_user):
    cid = make_company(app)
    base = datetime(2025, 1, 1, tzinfo=timezone.utc)
    with app.app_context():
        for i in range(60):
            activities.log_activity(db.session, author_id=None, company_id=cid, kind="note",
                             occurred_at=base + timedelta(days=i), subject=f"Заметка {i:02d}")
        db.session.commit()
        items = company_timeline(db.session, cid)
        assert [i.at for i in items] == sorted((i.at for i in items), reverse=True)
    auth.login(make_user("staff", "sales"))
    page = auth.get(f"/crm/companies/{cid}").get_data(as_text=True)
    assert page.index("Заметка 59") < page.index("Заметка 30")
    assert "Заметка 05" not in page and "Older" in page
    older = datetime(2025, 1, 1, tzinfo=timezone.utc) + timedelta(days=11)
    more = auth.get(f"/crm/companies/{cid}/timeline", query_string={"before": older.isoformat()},
                    htmx=True).get_data(as_text=True)
    assert "Заметка 05" in more and "Заметка 11" not in more


def test_changes_of_contacts_appear_on_the_company_timeline(app, auth, make_user):
    cid = make_company(app)
    make_contact(app, cid, "Кузнецов Олег")
    with app.app_context():
        companies.update_company(db.session, cid, {"city": "Казань"}, version=1)
        db.session.commit()
        items = company_timeline(db.session, cid)
    texts = " ".join(f"{i.title} {i.body or ''}" for i in items)
    assert "Contact #" in texts and "City: Москва → Казань" in texts
