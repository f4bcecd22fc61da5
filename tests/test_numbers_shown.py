"""Numbers shown as the reader writes them: «150 000,00 ₽», «70 %», «6,0», «3,9 МБ» for a Russian reader,
"70%", "3.9 MB" for an English one; no raw "150000.00" on a page."""
import re
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from app.extensions import db
from app.i18n import file_size, money, number, percent, speaking
from app.models import Activity, Deal, User
from app.services import campaigns
from app.services import responses as responses_service
from tests import sales_support
from tests.promotion_support import make_campaign, make_client

NBSP = "\xa0"


@pytest.mark.parametrize("locale, expected", [
    ("ru", {"number": f"1{NBSP}234,5", "fixed": "6,0", "money": f"150{NBSP}000,00{NBSP}₽", "percent": f"70{NBSP}%",
            "share": f"70,5{NBSP}%", "rise": f"+30{NBSP}%", "fall": f"-30{NBSP}%", "mb": "3,9 МБ", "kb": "1 кБ",
            "bytes": "512 Б"}),
    ("en", {"number": "1,234.5", "fixed": "6.0", "money": "RUB150,000.00", "percent": "70%", "share": "70.5%",
            "rise": "+30%", "fall": "-30%", "mb": "3.9 MB", "kb": "1 kB", "bytes": "512 byte"}),
])
def test_the_filters_follow_the_readers_locale(app, locale, expected):
    with app.app_context(), speaking(locale):
        shown = {"number": number(1234.5), "fixed": number(6, 1), "money": money(Decimal("150000")),
                 "percent": percent(0.7), "share": percent(0.705, 1), "rise": percent(0.3, signed=True),
                 "fall": percent(-0.3, signed=True), "mb": file_size(int(3.9 * 1048576)), "kb": file_size(1024),
                 "bytes": file_size(512)}
        assert all(f(None) == "—" for f in (number, money, percent, file_size))
    assert shown == expected


def _russian(app, user):
    with app.app_context():
        db.session.get(User, user.id).locale = "ru"
        db.session.commit()
    return user


def test_a_russian_reader_sees_revenue_tiles_and_shares_in_russian_notation(app, auth, make_user):
    seller = _russian(app, make_user("staff", "sales"))
    start = date(2026, 1, 1)
    with app.app_context():
        pump = sales_support.product(db.session, "Насос", "Насосы")
        corp = sales_support.company(db.session, "Большая", "corporate")
        sales_support.deal(db.session, corp, seller.id, "won", start + timedelta(days=5), [(pump, 1500000)])
        db.session.commit()
    auth.login(seller)
    page = auth.get(f"/sales/revenue?start={start}&end={start + timedelta(days=30)}", htmx=True).get_data(as_text=True)
    assert f"1{NBSP}500{NBSP}000,00{NBSP}₽" in page and f"100{NBSP}%" in page
    assert "1500000.00" not in page and "1500000" not in page


def test_a_deal_on_the_company_timeline_shows_its_amount_formatted(app, auth, make_user):
    user = _russian(app, make_user("staff", "sales"))
    with app.app_context():
        company_id, _k = make_client("Ромашка", "Анна")
        db.session.add(Deal(title="Насосы", company_id=company_id, amount=Decimal("150000"), owner_id=user.id))
        db.session.commit()
    auth.login(user)
    page = auth.get(f"/crm/companies/{company_id}").get_data(as_text=True)
    assert f"150{NBSP}000,00{NBSP}₽" in page and "150000.00" not in page


def test_return_on_spend_and_hours_in_the_analysis_in_russian(app, auth, make_user):
    seller = make_user("staff", "sales")
    today = date.today()
    with app.app_context():
        mail = make_campaign("Рассылка", channel="email")
        campaigns.add_spend(db.session, mail, today, Decimal("1000"), "send", None)
        company_id, _ = make_client(email="buyer@a.ru")
        now = datetime.now(timezone.utc) - timedelta(hours=30)
        r = responses_service.record_response(db.session, responses_service.ResponseInput(
            campaign_id=mail, email="buyer@a.ru", received_at=now, handled_by_id=seller.id))
        db.session.add(Activity(kind="call", company_id=company_id, occurred_at=now + timedelta(hours=6),
                                subject="call"))
        responses_service.set_status(db.session, r.id, "converted", user_id=seller.id)
        deal = db.session.get(Deal, r.deal_id)
        deal.stage, deal.amount, deal.closed_on = "won", Decimal("6000"), today
        db.session.commit()
    auth.login(_russian(app, make_user("staff", "promotion")))
    analysis = auth.get("/promotion/analysis", htmx=True).get_data(as_text=True)
    row = analysis[analysis.index("Рассылка"):]
    row = row[:row.index("</tr>")]
    assert row.count('<td class="num">6,0</td>') == 2  # return on spend 6000 / 1000, six hours to the first call
    assert f"6{NBSP}000,00{NBSP}₽" in row
    detail = auth.get(f"/promotion/campaigns/{mail}").get_data(as_text=True)
    assert detail.count('<span class="num">6,0</span>') == 2


def test_backup_sizes_in_the_readers_units(app, auth, make_user, tmp_path):
    from app.services import backups

    saved = {k: app.config[k] for k in ("BACKUP_DIR", "UPLOAD_DIR", "BACKUP_COPY_DIR")}
    app.config.update(BACKUP_DIR=tmp_path / "backups", UPLOAD_DIR=tmp_path / "uploads", BACKUP_COPY_DIR=None)
    try:
        (tmp_path / "uploads").mkdir()
        with app.app_context():
            backups.create_backup(db.engine, app.config)
        auth.login(_russian(app, make_user("admin", "crm")))
        page = auth.get("/admin/backups/").get_data(as_text=True)
    finally:
        app.config.update(saved)
    sizes = re.findall(r"<td>([\d\xa0 ,]+ (?:Б|кБ|МБ|ГБ))</td>", page)
    assert sizes and "KB" not in page and " MB" not in page
    assert not re.search(r"<td>\d+\.\d (KB|MB|кБ|МБ)</td>", page)


def test_an_amount_in_the_history_is_shown_formatted(app, auth, make_user):
    user = _russian(app, make_user("staff", "sales"))
    with app.app_context():
        company_id, _k = make_client("Ромашка", "Анна")
        deal = Deal(title="Насосы", company_id=company_id, amount=Decimal("100000"), owner_id=user.id)
        db.session.add(deal)
        db.session.commit()
        deal.amount = Decimal("150000.50")
        db.session.commit()
        deal_id = deal.id
    auth.login(user)
    page = auth.get(f"/crm/history/deals/{deal_id}").get_data(as_text=True)
    assert f"150{NBSP}000,50{NBSP}₽" in page and "150000.50" not in page
