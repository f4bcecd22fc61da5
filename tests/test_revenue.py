"""Dept 4's analysis: won revenue by product × client type, the 80 % combinations, the trend and the export."""
from __future__ import annotations

import io
from datetime import date, timedelta

from openpyxl import load_workbook

from app.extensions import db
from app.services import revenue
from tests import sales_support

END = date(2026, 6, 30)
START = date(2026, 4, 1)


def _base(app, make_user):
    seller = make_user("staff", "sales")
    with app.app_context():
        pump = sales_support.product(db.session, "Pump X", "Pumps")
        valve = sales_support.product(db.session, "Valve V", "Valves")
        corp = sales_support.company(db.session, "Big Corp", "corporate")
        smb = sales_support.company(db.session, "Small Shop", "smb")
        sales_support.deal(db.session, corp, seller.id, "won", START + timedelta(days=5), [(pump, 7000), (valve, 1000)])
        sales_support.deal(db.session, smb, seller.id, "won", START + timedelta(days=9), [(pump, 1500)])
        sales_support.deal(db.session, smb, seller.id, "won", START + timedelta(days=20), [(valve, 500)])
        sales_support.deal(db.session, corp, seller.id, "lost", START + timedelta(days=7), [(pump, 99999)])
        sales_support.deal(db.session, corp, seller.id, "won", START - timedelta(days=10), [(pump, 3500)])
        sales_support.deal(db.session, corp, seller.id, "won", END + timedelta(days=1), [(pump, 88888)])
    return seller


def test_revenue_by_line_and_client_type_with_shares_pareto_and_trend(app, make_user):
    _base(app, make_user)
    with app.app_context():
        result = revenue.analyse(db.session, START, END, "line")
    rows = [(c.key, c.client_type, int(c.revenue), c.deals, c.in_pareto) for c in result["combos"]]
    assert rows == [("Pumps", "Corporate", 7000, 1, True), ("Pumps", "SMB", 1500, 1, True),
                    ("Valves", "Corporate", 1000, 1, False), ("Valves", "SMB", 500, 1, False)]
    assert result["total"] == 10000 and result["previous_total"] == 3500
    assert round(result["change"], 4) == round((10000 - 3500) / 3500, 4)
    assert result["combos"][0].share == 0.7 and result["combos"][1].cumulative == 0.85
    assert result["combos"][0].change == 1.0  # 7000 against 3500 in the previous 91 days


def test_the_page_and_the_xlsx_export_show_the_same_figures(app, auth, make_user):
    auth.login(_base(app, make_user))
    page = auth.get(f"/sales/revenue?start={START}&end={END}&grain=product", htmx=True).get_data(as_text=True)
    assert page.startswith('<section id="revenue"') and "Pump X" in page and "70%" in page
    resp = auth.get(f"/sales/revenue.xlsx?start={START}&end={END}")
    assert resp.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(resp.data)).active
    assert [c.value for c in ws[3]][:4] == ["Product line", "Client type", "Deals", "Revenue"]
    assert [c.value for c in ws[4]][:5] == ["Pumps", "Corporate", 1, 7000, 0.7]
    assert ws.cell(ws.max_row, 4).value == 10000


def test_an_empty_period_says_so(auth, make_user):
    auth.login(make_user("staff", "promotion"))
    assert "No deals won in this period." in auth.get("/sales/revenue?start=2001-01-01&end=2001-02-01").get_data(
        as_text=True)
