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
