"""A Russian promotion office in a real browser: the postal list downloaded with the form's defaults is the
file Russian Excel opens by double-click (BOM, `;`, Russian headers) with dialable phones."""
import csv
import io

import pytest

from app.extensions import db
from app.models import Address
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD
from tests.promotion_support import make_client

pytestmark = pytest.mark.browser


def test_a_postal_list_downloaded_with_the_defaults_opens_in_russian_excel(app, new_page, make_user):
    promo = make_user("staff", "promotion")
    with app.app_context():
        for name, person, phone, street in (("Альфа", "Анна Альфина", "+79100718040", "ул. Ленина, 1"),
                                            ("Бета", "Борис Бетов", "+74951234567", "пр-т Мира, 2")):
            cid, _k = make_client(name, person, phone=phone, city="Казань")
            db.session.add(Address(company_id=cid, kind="postal", postcode="420000", street=street, city="Казань"))
        db.session.commit()
    page = new_page("ru-RU")
    sign_in(page, promo.email, PASSWORD)
    page.goto("/promotion/segments/new")
    page.fill("#seg-name", "Казань")
    page.select_option("#seg-cities", ["Казань"])
    page.wait_for_selector("#segment-count [data-companies='2']")
    page.click("button:has-text('Сохранить сегмент')")
    page.wait_for_selector("text=Сегмент сохранён.")
    page.select_option("#fmt", "postal")  # the file type and the CSV choices stay as the form offers them
    assert page.is_checked("#list-bom") and page.is_checked("#list-semicolon")
    page.click("#generate-list")
    page.wait_for_selector("#list-job [data-status=finished], #list-job [data-status=failed]", timeout=90_000)
    assert page.get_attribute("#list-job [role=progressbar]", "aria-valuenow") == "100", page.inner_text("#list-job")
    with page.expect_download() as info:
        page.click("#list-job a:has-text('Открыть результат')")
    raw = open(info.value.path(), "rb").read()
    assert raw[:3] == b"\xef\xbb\xbf"
    text = raw.decode("utf-8-sig")
    assert text.splitlines()[0] == "Компания;Адресат;Должность;Индекс;Регион;Город;Улица, дом;Страна;Телефон"
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert sorted(r[0] for r in rows[1:]) == ["Альфа", "Бета"]
    assert sorted(r[8] for r in rows[1:]) == ["+74951234567", "+79100718040"]
    assert all(r[3] == "420000" for r in rows[1:])


def test_tiles_fit_their_numbers_on_a_narrow_screen(app, new_page, make_user):
    from datetime import date, timedelta

    from app.models import User
    from tests import sales_support

    seller = make_user("staff", "sales")
    start = date(2026, 1, 1)
    with app.app_context():
        db.session.get(User, seller.id).locale = "ru"
        pump = sales_support.product(db.session, "Насос", "Насосы")
        corp = sales_support.company(db.session, "Большая", "corporate")
        sales_support.deal(db.session, corp, seller.id, "won", start + timedelta(days=5), [(pump, 1234567890)])
        db.session.commit()
    page = new_page("ru-RU")
    page.set_viewport_size({"width": 390, "height": 800})
    sign_in(page, seller.email, PASSWORD)
    page.goto(f"/sales/revenue?start={start}&end={start + timedelta(days=30)}")
    page.wait_for_selector(".tile .num")
    assert "1\xa0234\xa0567\xa0890,00\xa0₽" in page.inner_text(".tiles")
    overflowing = page.eval_on_selector_all(
        ".tile .num", "els => els.filter(e => e.scrollWidth > e.parentElement.clientWidth).map(e => e.textContent)")
    assert overflowing == []
