"""The low findings of the security review (issue 14): each refused person sees nothing that is not theirs,
and nothing changes."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from app.extensions import db
from app.models.deals import Deal
from app.models.materials import Material, MaterialUse
from app.models.org import User
from app.models.promotion_plan import PromotionPlan
from app.services import client_requests, companies
from tests import sales_support
from tests.conftest import Auth
from tests.key_accounts_support import key_account, unit_id


def test_a_seller_cannot_open_a_deal_in_a_colleagues_name_but_their_head_can(app, auth, make_user):
    seller, colleague = make_user("staff", "sales"), make_user("staff", "sales")
    head = make_user("head", "sales")
    with app.app_context():
        company_id = sales_support.company(db.session, "Vector", manager_id=seller.id).id
    auth.login(seller)
    form = auth.get(f"/crm/companies/{company_id}/deals/new").get_data(as_text=True)
    assert colleague.name not in form  # the owner list offers only whom this person may give a deal to
    resp = auth.post(f"/crm/companies/{company_id}/deals/new",
                     {"title": "Pumps", "stage": "new", "owner_id": colleague.id, "lines-0-product_id": ""})
    assert resp.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count(Deal.id))) == 0
    boss = Auth(app.test_client())
    boss.login(head)
    resp = boss.post(f"/crm/companies/{company_id}/deals/new",
                     {"title": "Pumps", "stage": "new", "owner_id": colleague.id, "lines-0-product_id": ""})
    assert resp.status_code == 302
    with app.app_context():
        assert db.session.scalars(select(Deal.owner_id)).all() == [colleague.id]


def _private_material_used_in_a_won_deal(app, author, seller) -> tuple[int, int]:
    with app.app_context():
        p = sales_support.product(db.session, "Pump X", "Pumps")
        c = sales_support.company(db.session, "Vector")
        deals = [sales_support.deal(db.session, c, seller.id, stage, date.today(), [(p, 100)])
                 for stage in ("won", "won", "won")]
        author_user = db.session.get(User, author.id)
        m = Material(title="Secret margin sheet", kind="price_list", edition="1", issued_on=date.today(),
                     author_id=author_user.id, unit_id=author_user.unit_id, private=True, link="https://intra.example/x")
        db.session.add(m)
        db.session.flush()
        db.session.add_all(MaterialUse(material_id=m.id, deal_id=d.id, user_id=seller.id) for d in deals)
        db.session.commit()
        return deals[0].id, m.id


def test_private_material_titles_stay_in_their_unit_on_deal_and_effective_seller_pages(app, auth, make_user):
    seller = make_user("staff", "sales", name="Star Seller")
    deal_id, _ = _private_material_used_in_a_won_deal(app, make_user("staff", "sales"), seller)
    outsider = make_user("staff", "promotion")
    auth.login(outsider)
    deal_page = auth.get(f"/sales/deals/{deal_id}/materials")
    effective = auth.get("/sales/materials/effective").get_data(as_text=True)
    assert deal_page.status_code == 200 and "Secret margin sheet" not in deal_page.get_data(as_text=True)
    assert "Star Seller" in effective and "Secret margin sheet" not in effective
    inside = Auth(app.test_client())
    inside.login(seller)
    assert "Secret margin sheet" in inside.get(f"/sales/deals/{deal_id}/materials").get_data(as_text=True)
    assert "Secret margin sheet" in inside.get("/sales/materials/effective").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(MaterialUse.id))) == 3


def test_a_deleted_companys_history_is_for_those_who_may_restore_it(app, auth, make_user):
    manager = make_user("head", "sales")
    with app.app_context():
        c = sales_support.company(db.session, "Vector Secret LLC", manager_id=manager.id)
        deal = sales_support.deal(db.session, c, manager.id, "new", title="Quiet deal")
        company_id, deal_id = c.id, deal.id
    auth.login(manager)
    assert auth.get(f"/crm/history/companies/{company_id}").status_code == 200
    with app.app_context():
        companies.soft_delete_company(db.session, company_id, manager.id)
        db.session.commit()
    for path in (f"/crm/history/companies/{company_id}", f"/crm/history/deals/{deal_id}"):
        resp = auth.get(path)
        assert resp.status_code == 404 and "Vector Secret" not in resp.get_data(as_text=True)
    admin = Auth(app.test_client())
    admin.login(make_user("admin", "distribution"))
    assert "Vector Secret" in admin.get(f"/crm/history/companies/{company_id}").get_data(as_text=True)
    with app.app_context():
        assert companies.get_company(db.session, company_id, include_deleted=True).deleted_at is not None


def test_the_company_timeline_hides_the_subject_of_a_request_the_reader_may_not_open(app, auth, make_user):
    manager = make_user("staff", "accounts")
    ids = key_account(app, manager.id)
    with app.app_context():
        client_requests.register_request(db.session, client_requests.NewRequest(
            company_id=ids["company_id"], subject="Confidential tender terms", unit_ids=[unit_id(app, "legal")]),
            manager.id, app.config["UPLOAD_DIR"])
        db.session.commit()
    auth.login(make_user("staff", "crm"))  # keeps the base, may open the company, is not on the request
    page = auth.get(f"/crm/companies/{ids['company_id']}").get_data(as_text=True)
    assert "a client request" in page and "Confidential tender terms" not in page
    assert "/accounts/requests/" not in page
    lawyer = Auth(app.test_client())
    lawyer.login(make_user("staff", "legal"))
    assert "Confidential tender terms" in lawyer.get(f"/crm/companies/{ids['company_id']}").get_data(as_text=True)


def test_opening_the_campaign_form_from_a_year_writes_no_plan(app, auth, make_user):
    auth.login(make_user("staff", "promotion"))
    year = date.today().year + 1
    resp = auth.get(f"/promotion/campaigns/new?year={year}")
    assert resp.status_code == 200 and f'name="plan_year" value="{year}"' in resp.get_data(as_text=True)
    assert auth.get("/promotion/campaigns/new?year=99999").status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count(PromotionPlan.id))) == 0
