"""Dept 5's library: uploads are checked, files are served only to those allowed, coverage shows the gaps."""
from __future__ import annotations

import io
from datetime import date

from sqlalchemy import select

from app.extensions import db
from app.models.activities import Activity
from app.models.materials import Material
from app.models.notifications import Notification
from tests import sales_support

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _upload(auth, data: bytes, name: str, **fields):
    form = {"title": "Pump data sheet", "kind": "data_sheet", "edition": "2", **fields,
            "file": (io.BytesIO(data), name)}
    return auth.post("/sales/materials/new", form, content_type="multipart/form-data")


def _catalogue(app):
    with app.app_context():
        p = sales_support.product(db.session, "Pump X", "Pumps")
        ct = sales_support.client_type(db.session, "smb")
        return p.id, ct.id


def test_a_seller_uploads_a_data_sheet_and_the_coverage_cell_fills(app, auth, make_user):
    product_id, ct_id = _catalogue(app)
    auth.login(make_user("staff", "publications"))
    before = auth.get("/sales/materials/coverage").get_data(as_text=True)
    assert f'class="empty" data-product="{product_id}" data-client-type="{ct_id}"' in before

    resp = _upload(auth, PDF, "pump.pdf", product_ids=str(product_id), client_type_ids=str(ct_id))
    assert resp.status_code == 302

    after = auth.get("/sales/materials/coverage").get_data(as_text=True)
    assert f'class="filled" data-product="{product_id}" data-client-type="{ct_id}"' in after
    listing = auth.get("/sales/materials").get_data(as_text=True)
    assert "Pump data sheet" in listing and "pump.pdf" in listing
    with app.app_context():
        m = db.session.scalar(select(Material))
        assert m.stored_name != "pump.pdf" and len(m.stored_name) == 32
        assert (app.config["UPLOAD_DIR"] / "materials" / m.stored_name).read_bytes() == PDF


def test_executables_are_refused_by_name_and_by_content(auth, make_user):
    auth.login(make_user("staff", "sales"))
    by_name = _upload(auth, b"hello", "setup.exe")
    assert by_name.status_code == 422
    assert "Programs and scripts cannot be uploaded" in by_name.get_data(as_text=True)
    disguised = _upload(auth, b"MZ\x90\x00" + b"\x00" * 100, "brochure.pdf")
    assert disguised.status_code == 422
    assert "This file is a program, not a document" in disguised.get_data(as_text=True)
    elf = _upload(auth, b"\x7fELF\x02\x01" + b"\x00" * 50, "notes.txt")
    assert "This file is a program" in elf.get_data(as_text=True)
    double = _upload(auth, PDF, "invoice.exe.pdf")
    assert double.status_code == 422
    with auth.client.application.app_context():
        assert db.session.scalar(select(Material)) is None


def test_an_oversized_file_is_refused_with_the_limit_named(app, auth, make_user):
    auth.login(make_user("staff", "sales"))
    folder = app.config["UPLOAD_DIR"] / "materials"
    files_before = len(list(folder.glob("*"))) if folder.exists() else 0
    limit = app.config["MATERIAL_MAX_BYTES"]
    app.config["MATERIAL_MAX_BYTES"] = 1024
    try:
        resp = _upload(auth, PDF + b"x" * 2000, "big.pdf")
    finally:
        app.config["MATERIAL_MAX_BYTES"] = limit
    assert resp.status_code == 422
    assert "The file is larger than the limit of 1 kB." in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Material)) is None
    assert (len(list(folder.glob("*"))) if folder.exists() else 0) == files_before


def test_download_needs_sign_in_and_a_private_material_stays_in_its_unit(app, client, auth, make_user):
    author = make_user("staff", "publications")
    auth.login(author)
    _upload(auth, PDF, "private.pdf", private="1", title="Internal price logic", kind="price_list")
    with app.app_context():
        mid = db.session.scalar(select(Material.id))
    url = f"/sales/materials/{mid}/open"
    ok = auth.get(url)
    assert ok.status_code == 200 and ok.data == PDF
    assert ok.headers["Content-Type"] == "application/pdf"
    assert "attachment" in ok.headers["Content-Disposition"]
    assert ok.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in ok.headers["Content-Security-Policy"]

    auth.client.post("/logout", headers={"X-CSRFToken": auth.token})
    signed_out = client.get(url)
    assert signed_out.status_code == 302 and "/login" in signed_out.headers["Location"]

    auth.login(make_user("staff", "sales"))
    assert auth.get(url).status_code == 403
    assert "Internal price logic" not in auth.get("/sales/materials").get_data(as_text=True)


def test_a_link_material_is_opened_through_the_portal(app, auth, make_user):
    auth.login(make_user("staff", "sales"))
    resp = auth.post("/sales/materials/new", {"title": "Case video", "kind": "case_study",
                                              "link": "https://video.example/case"})
    assert resp.status_code == 302
    with app.app_context():
        mid = db.session.scalar(select(Material.id))
    assert auth.get(f"/sales/materials/{mid}/open").headers["Location"] == "https://video.example/case"
    bad = auth.post("/sales/materials/new", {"title": "x", "kind": "sample", "link": "javascript:alert(1)"})
    assert bad.status_code == 422 and "must start with http" in bad.get_data(as_text=True)


def test_materials_used_in_deals_show_their_share_in_won_deals(app, auth, make_user):
    seller = make_user("staff", "sales")
    auth.login(seller)
    auth.post("/sales/materials/new", {"title": "ROI scheme", "kind": "scheme", "link": "https://x.example/roi"})
    with app.app_context():
        p = sales_support.product(db.session, "Pump X", "Pumps")
        c = sales_support.company(db.session, "Vector")
        won = sales_support.deal(db.session, c, seller.id, "won", date.today(), [(p, 1000)])
        lost = sales_support.deal(db.session, c, seller.id, "lost", date.today(), [(p, 500)])
        act = Activity(kind="meeting", company_id=c.id, deal_id=lost.id, author_id=seller.id, subject="Demo")
        db.session.add(act)
        db.session.commit()
        mid, won_id, act_id = db.session.scalar(select(Material.id)), won.id, act.id
    page = auth.post(f"/sales/deals/{won_id}/materials", {"material_id": mid}, htmx=True)
    assert "ROI scheme" in page.get_data(as_text=True)
    auth.post(f"/sales/activities/{act_id}/materials", {"material_id": mid}, htmx=True)
    row = auth.get("/sales/materials").get_data(as_text=True)
    assert "1 / 1" in row and "50%" in row


def test_effective_sellers_and_a_task_request_for_dept_5(app, auth, make_user):
    star = make_user("staff", "sales", name="Star Seller")
    head5 = make_user("head", "publications")
    with app.app_context():
        p = sales_support.product(db.session, "Pump X", "Pumps")
        c = sales_support.company(db.session, "Vector")
        for stage in ("won", "won", "won", "lost"):
            sales_support.deal(db.session, c, star.id, stage, date.today(), [(p, 100)])
    auth.login(make_user("staff", "sales"))
    page = auth.get("/sales/materials/effective").get_data(as_text=True)
    assert "Star Seller" in page and "75%" in page
    resp = auth.post(f"/sales/materials/effective/{star.id}/propose", {"note": "her ROI sketch"}, htmx=True)
    assert "Dept 5 was asked" in resp.get_data(as_text=True)
    with app.app_context():
        note = db.session.scalar(select(Notification).where(Notification.user_id == head5.id))
        assert "Star Seller" in note.text and "her ROI sketch" in note.text


def test_only_the_deals_people_record_materials_in_it(app, auth, make_user):
    owner = make_user("staff", "sales")
    with app.app_context():
        c = sales_support.company(db.session, "Vector")
        deal_id = sales_support.deal(db.session, c, owner.id, "new").id
    auth.login(make_user("staff", "logistics"))
    auth.post("/sales/materials/new", {"title": "Map", "kind": "scheme", "link": "https://x.example/map"})
    with app.app_context():
        mid = db.session.scalar(select(Material.id))
    assert auth.post(f"/sales/deals/{deal_id}/materials", {"material_id": mid}, htmx=True).status_code == 403


def test_a_request_to_dept_5_lands_as_a_card_on_their_running_board(app, auth, make_user, client):
    from app.models.boards import Card
    from tests.conftest import Auth

    star = make_user("staff", "sales", name="Star Seller")
    head5 = make_user("head", "publications")
    head_auth = Auth(app.test_client())
    head_auth.login(head5)
    assert head_auth.post("/workflows/collect_seller_materials/start").status_code == 302
    auth.login(make_user("staff", "sales"))
    auth.post(f"/sales/materials/effective/{star.id}/propose", {"note": "her ROI sketch"}, htmx=True)
    with app.app_context():
        titles = db.session.scalars(select(Card.title)).all()
    assert any("Star Seller" in t and "her ROI sketch" in t for t in titles)
