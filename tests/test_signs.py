"""The division's signs: red when a figure crosses its rule, green when every figure is known and fine,
unknown (never green) when the data behind a figure does not exist yet."""
from app.extensions import db
from app.models import Activity, Company
from app.services.figures import Figure
from app.services.signs import evaluate
from app.services.workflow_definitions import Condition, SignDef, Text

SIGN_3 = SignDef(3, Text("Не ведется учет откликов", "Responses are not counted"),
                 (Condition("responses_known_source_share", "below", 0.8),
                  Condition("responses_this_week", "equals", 0)), None)


def _fig(name, value):
    return Figure(name, name, value, "percent" if "share" in name else "int",
                  note=None if value is not None else "Promotion has not landed yet")


def test_a_sign_is_red_when_any_rule_holds():
    state = evaluate(SIGN_3, {"responses_known_source_share": _fig("responses_known_source_share", 0.55),
                              "responses_this_week": _fig("responses_this_week", 14)})
    assert state.state == "red" and [c.figure for c in state.holding] == ["responses_known_source_share"]


def test_a_sign_is_green_only_when_every_figure_is_known_and_fine():
    state = evaluate(SIGN_3, {"responses_known_source_share": _fig("responses_known_source_share", 0.93),
                              "responses_this_week": _fig("responses_this_week", 14)})
    assert state.state == "green"


def test_missing_data_is_unknown_not_good_news():
    state = evaluate(SIGN_3, {"responses_known_source_share": _fig("responses_known_source_share", None),
                              "responses_this_week": _fig("responses_this_week", 14)})
    assert state.state == "unknown" and state.missing[0].name == "responses_known_source_share"
    # ... but a rule that holds on the known figure still shows the sign.
    state = evaluate(SIGN_3, {"responses_known_source_share": _fig("responses_known_source_share", None),
                              "responses_this_week": _fig("responses_this_week", 0)})
    assert state.state == "red"


def test_the_signs_page_follows_the_data(app, auth, make_user):
    head = make_user("head", "distribution")
    auth.login(head)
    page = auth.get("/signs").get_data(as_text=True)
    assert "Data about client relationships stays with the sellers." in page
    assert 'data-state="red"' in page and "showing" in page
    with app.app_context():
        company = Company(legal_name="Гранит")
        db.session.add(company)
        db.session.flush()
        db.session.add(Activity(kind="meeting", company_id=company.id, author_id=head.id, subject="Visit"))
        db.session.commit()
    page = auth.get("/signs").get_data(as_text=True)
    assert 'data-state="green"' in page and "clear" in page
