"""Amounts, quantities and prices are read by one rule, in the person's language: "15,000" in English is fifteen
thousand, «15 000,50» in Russian is fifteen thousand and a half; a value that reads two ways, or is not a finite
number that fits the column, is refused with a message next to its field and nothing is saved."""
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models.campaigns import Campaign
from app.models.deals import Deal, DealLine
from app.models.org import User
from app.models.products import Product
from app.services import numbers, products
from app.services.errors import RuleError
from tests.companies_support import make_company


@pytest.mark.parametrize("locale, typed, value", [
    ("en", "15,000", Decimal("15000.00")),
    ("en", "15000.50", Decimal("15000.50")),
    ("en", "1,234.5", Decimal("1234.50")),
    ("en", "15 000.50", Decimal("15000.50")),
    ("ru", "15 000,50", Decimal("15000.50")),
    ("ru", "15\u00a0000,50", Decimal("15000.50")),
    ("ru", "15\u202f000,50", Decimal("15000.50")),
    ("ru", "15000,50", Decimal("15000.50")),
    ("ru", "15000.50", Decimal("15000.50")),
    ("ru", "1,5", Decimal("1.50")),
    ("ru", "999 999 999 999,99", Decimal("999999999999.99")),
])
def test_a_number_is_read_as_the_person_writes_it(app, locale, typed, value):
    with app.app_context():
        assert numbers.parse_decimal_input(typed, numbers.MONEY, locale=locale) == value


@pytest.mark.parametrize("locale, typed, says", [
    ("ru", "15,000", "нельзя было прочесть иначе"),     # fifteen, or fifteen thousand?
    ("ru", "15.000", "нельзя было прочесть иначе"),
    ("en", "1.234,5", "reads one way only"),
    ("en", "15000,50", "reads one way only"),
    ("en", "15.000", "reads one way only"),
    ("en", "1e30", "Give a number"),
    ("en", "Infinity", "Give a number"),
    ("en", "NaN", "Give a number"),
    ("ru", "inf", "Укажите число"),
    ("en", "²", "Give a number"),
    ("en", "٣", "Give a number"),
    ("en", "1000000000000", "too large"),
    ("ru", "1000000000000", "Слишком большое значение: не больше 999 999 999 999,99"),
    ("en", "-5", "cannot be below 0"),
    ("en", "1.005", "reads one way only"),
    ("en", "0.125", "reads one way only"),
    ("en", "10.1256", "At most 2 digits"),
    ("ru", "10,1256", "Не больше 2 знаков после запятой"),
])
def test_a_number_that_reads_two_ways_or_is_not_finite_is_refused_with_a_message(app, locale, typed, says):
    from flask_babel import force_locale

    with app.test_request_context(), force_locale(locale):
        with pytest.raises(RuleError) as exc:
            numbers.parse_decimal_input(typed, numbers.MONEY, locale=locale, field="amount")
    assert says in exc.value.message and exc.value.field == "amount"


def test_a_quantity_keeps_three_decimals_and_its_own_maximum(app):
    with app.app_context():
        assert numbers.parse_decimal_input("2.1250", numbers.QUANTITY, locale="en") == Decimal("2.125")
        assert numbers.parse_decimal_input("2,5", numbers.QUANTITY, locale="ru") == Decimal("2.5")
        with pytest.raises(RuleError):   # two and an eighth, or two thousand one hundred and twenty-five?
            numbers.parse_decimal_input("2.125", numbers.QUANTITY, locale="en")
        with pytest.raises(RuleError):
            numbers.parse_decimal_input("100000000000", numbers.QUANTITY, locale="en")
    assert numbers.MONEY.maximum == Decimal("999999999999.99")   # deals.amount, products.price: Numeric(14, 2)


def _russian(app, user) -> None:
    with app.app_context():
        db.session.get(User, user.id).locale = "ru"
        db.session.commit()


def _product(app, price="1000.00") -> int:
    with app.app_context():
        product = products.save_product(db.session, {"name": "Насос", "product_line": "Насосы", "price": price})
        db.session.commit()
        return product.id


def _deal_form(product_id: int, quantity="1", amount="", stage="won") -> dict:
    return {"title": "Поставка", "contact_id": "", "owner_id": "", "stage": stage, "expected_close": "",
            "lines-0-product_id": str(product_id), "lines-0-quantity": quantity, "lines-0-amount": amount}


def test_fifteen_thousand_typed_in_english_is_saved_as_fifteen_thousand(app, auth, make_user):
    cid, pid = make_company(app), _product(app)
    auth.login(make_user("staff", "sales"))
    assert auth.post(f"/crm/companies/{cid}/deals/new", _deal_form(pid, amount="15,000")).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Deal.amount)) == Decimal("15000.00")


def test_a_russian_amount_with_spaces_and_a_comma_is_saved_and_shown_back_the_russian_way(app, auth, make_user):
    cid, pid = make_company(app), _product(app)
    seller = make_user("staff", "sales")
    _russian(app, seller)
    auth.login(seller)
    resp = auth.post(f"/crm/companies/{cid}/deals/new", _deal_form(pid, quantity="1,5", amount="15 000,50"))
    assert resp.status_code == 302
    with app.app_context():
        deal = db.session.scalar(select(Deal))
        assert deal.amount == Decimal("15000.50") and deal.lines[0].quantity == Decimal("1.500")
        deal_id = deal.id
    page = auth.get(f"/crm/deals/{deal_id}/edit").get_data(as_text=True)
    assert 'value="15 000,5"' in page and 'value="1,5"' in page


def test_fifteen_comma_zero_zero_zero_typed_in_russian_asks_for_an_unambiguous_number(app, auth, make_user):
    cid, pid = make_company(app), _product(app)
    seller = make_user("staff", "sales")
    _russian(app, seller)
    auth.login(seller)
    resp = auth.post(f"/crm/companies/{cid}/deals/new", _deal_form(pid, amount="15,000"))
    assert resp.status_code == 422
    assert "нельзя было прочесть иначе, например 15 000,50" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Deal.id))) == 0


@pytest.mark.parametrize("amount", ["1e30", "Infinity", "-Infinity", "NaN", "1000000000000", "-1"])
def test_a_deal_amount_that_no_page_could_show_is_refused_and_every_page_still_opens(app, auth, make_user, amount):
    cid, pid = make_company(app), _product(app)
    auth.login(make_user("admin", "distribution"))
    resp = auth.post(f"/crm/companies/{cid}/deals/new", _deal_form(pid, amount=amount))
    assert resp.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count(Deal.id))) == 0
        assert db.session.scalar(select(func.count(DealLine.id))) == 0
    for page in (f"/crm/companies/{cid}", "/sales/", "/sales/revenue", "/sales/revenue.xlsx"):
        assert auth.get(page).status_code == 200, page


def test_lines_whose_sum_overflows_the_deal_amount_are_refused(app, auth, make_user):
    cid, pid = make_company(app), _product(app, price="999999999999.99")
    auth.login(make_user("staff", "sales"))
    form = _deal_form(pid, quantity="2")          # 2 × the dearest price does not fit Numeric(14, 2)
    resp = auth.post(f"/crm/companies/{cid}/deals/new", form)
    assert resp.status_code == 422 and "too large" in resp.get_data(as_text=True)
    form.update({"lines-0-quantity": "1", "lines-1-product_id": str(pid), "lines-1-quantity": "1",
                 "lines-1-amount": ""})
    resp = auth.post(f"/crm/companies/{cid}/deals/new", form)
    assert resp.status_code == 422 and "total is too large" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Deal.id))) == 0


@pytest.mark.parametrize("price, status", [("1 500,25", 302), ("1e30", 422), ("15,000", 422), ("", 422)])
def test_a_product_price_follows_the_rule(app, auth, make_user, price, status):
    admin = make_user("admin", "distribution")
    _russian(app, admin)
    auth.login(admin)
    resp = auth.post("/crm/products/new", {"name": "Фильтр", "product_line": "Фильтры", "price": price,
                                           "active": "y"})
    assert resp.status_code == status
    with app.app_context():
        prices = db.session.scalars(select(Product.price)).all()
    assert prices == ([Decimal("1500.25")] if status == 302 else [])


def test_a_price_of_zero_is_a_price(app, auth, make_user):
    auth.login(make_user("admin", "distribution"))
    resp = auth.post("/crm/products/new", {"name": "Образец", "product_line": "Фильтры", "price": "0"})
    assert resp.status_code == 302


def _campaign_form(**overrides) -> dict:
    data = {"name": "Осенняя выставка", "status": "planned", "starts_on": "2026-09-01", "ends_on": "2026-09-30",
            "planned_budget": ""}
    data.update(overrides)
    return data


@pytest.mark.parametrize("budget, status, saved", [
    ("15 000,50", 302, Decimal("15000.50")), ("15000.50", 302, Decimal("15000.50")),
    ("15,000", 422, None), ("Infinity", 422, None), ("1e30", 422, None), ("10000000000000", 422, None)])
def test_a_campaign_budget_in_russian_follows_the_rule(app, auth, make_user, budget, status, saved):
    head = make_user("head", "promotion")
    _russian(app, head)
    auth.login(head)
    with app.app_context():
        from app.models.campaigns import Channel

        channel_id = db.session.scalar(select(Channel.id))
    resp = auth.post("/promotion/campaigns/new", _campaign_form(planned_budget=budget, channel_id=str(channel_id)))
    assert resp.status_code in ((302, 303) if status == 302 else (422,)), resp.get_data(as_text=True)[:500]
    with app.app_context():
        budgets = db.session.scalars(select(Campaign.planned_budget)).all()
    assert budgets == ([saved] if saved is not None else [])


def test_the_budget_grid_refuses_an_amount_that_reads_two_ways_and_saves_no_cell(app, auth, make_user):
    from app.models.campaigns import Channel
    from app.models.promotion_plan import PlanBudgetLine

    head = make_user("head", "promotion")
    _russian(app, head)
    auth.login(head)
    with app.app_context():
        channel_id = db.session.scalar(select(Channel.id))
    assert channel_id is not None
    resp = auth.post("/promotion/plan/2026/budget", {f"b-1-{channel_id}": "20 000", f"b-2-{channel_id}": "15,000"})
    assert resp.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count(PlanBudgetLine.id))) == 0
    resp = auth.post("/promotion/plan/2026/budget", {f"b-1-{channel_id}": "20 000", f"b-2-{channel_id}": "15 000,5"})
    assert resp.status_code == 200
    with app.app_context():
        assert sorted(db.session.scalars(select(PlanBudgetLine.amount))) == [Decimal("15000.50"), Decimal("20000.00")]


@pytest.mark.parametrize("threshold", ["nan", "inf", "1e3", "²"])
def test_duplicate_thresholds_are_numbers_in_range(app, auth, make_user, threshold):
    auth.login(make_user("admin", "distribution"))
    resp = auth.post("/data/duplicates/settings", {"review_threshold": threshold, "strong_threshold": "90",
                                                   "verify_age_months": "12"})
    assert resp.status_code == 422


@pytest.mark.parametrize("value, shown", [(Decimal("1e30"), "1,000,000,000,000,000,000,000,000,000,000.00"),
                                          (Decimal("Infinity"), "—"), (Decimal("NaN"), "—"), (float("inf"), "—"),
                                          (Decimal("15000.5"), "15,000.50")])
def test_an_amount_written_before_the_rule_never_breaks_a_page(app, value, shown):
    from app.i18n import money

    with app.test_request_context():
        assert shown in money(value)


def test_the_rule_s_limits_are_the_numeric_columns_limits(app):
    """If a column's precision changes, the number rule must change with it (or the database overflows)."""
    from sqlalchemy import Numeric

    with app.app_context():
        columns = {f"{t.name}.{c.name}": (c.type.precision, c.type.scale) for t in db.metadata.sorted_tables
                   for c in t.columns if isinstance(c.type, Numeric) and not isinstance(c.type, db.Float)}
    assert columns.pop("deal_lines.quantity") == (numbers.QUANTITY.digits, numbers.QUANTITY.places)
    assert columns and set(columns.values()) == {(numbers.MONEY.digits, numbers.MONEY.places)}, columns
