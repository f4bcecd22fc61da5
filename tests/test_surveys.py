"""Surveys of the top combinations' clients: staff record answers, clients answer once through their link."""
from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select

from app.extensions import db
from app.models.surveys import Survey, SurveyQuestion
from tests import sales_support


def _survey(app, auth, make_user):
    seller = make_user("staff", "promotion")
    with app.app_context():
        pump = sales_support.product(db.session, "Pump X", "Pumps")
        corp = sales_support.company(db.session, "Big Corp", "corporate")
        other = sales_support.company(db.session, "Small Shop", "smb")
        sales_support.deal(db.session, corp, seller.id, "won", date.today(), [(pump, 7000)])
        sales_support.deal(db.session, other, seller.id, "won", date.today(), [(pump, 100)])
        ct = corp.client_type_id
    auth.login(seller)
    page = auth.get("/sales/surveys").get_data(as_text=True)
    assert f'value="Pumps|{ct}" checked' in page
    resp = auth.post("/sales/surveys", {"title": "Why pumps?", "targets": [f"Pumps|{ct}"]})
    survey_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    auth.post(f"/sales/surveys/{survey_id}/questions", {"text": "How did you hear of us?", "kind": "choice",
                                                       "choices": "Exhibition\nColleague\nWeb"}, htmx=True)
    auth.post(f"/sales/surveys/{survey_id}/questions", {"text": "Rate our advice", "kind": "scale"}, htmx=True)
    auth.post(f"/sales/surveys/{survey_id}/questions", {"text": "What decided it?", "kind": "text"}, htmx=True)
    return survey_id


def test_a_client_answers_once_through_the_link_and_the_summary_counts_it(app, auth, client, make_user):
    survey_id = _survey(app, auth, make_user)
    page = auth.post(f"/sales/surveys/{survey_id}/invites", htmx=True).get_data(as_text=True)
    assert "Big Corp" in page and "Small Shop" not in page
    link = re.search(r'class="invite-link"[^>]*value="([^"]+)"|value="([^"]+)" class="invite-link"', page)
    url = next(g for g in link.groups() if g).replace("http://localhost", "")
    with app.app_context():
        qs = {q.text: q.id for q in db.session.scalars(select(SurveyQuestion))}

    auth.client.post("/logout", headers={"X-CSRFToken": auth.token})
    form_page = client.get(url)
    assert form_page.status_code == 200 and "Rate our advice" in form_page.get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form_page.get_data(as_text=True)).group(1)
    bad = client.post(url, data={"csrf_token": token, f"q{qs['Rate our advice']}": "9"})
    assert bad.status_code == 422 and "Choose a number from 1 to 5." in bad.get_data(as_text=True)
    answers = {"csrf_token": token, f"q{qs['How did you hear of us?']}": "Exhibition",
               f"q{qs['Rate our advice']}": "4", f"q{qs['What decided it?']}": "The pressure scheme"}
    assert "Thank you" in client.post(url, data=answers).get_data(as_text=True)
    again = client.post(url, data=answers)
    assert again.status_code == 410 and "already been used" in again.get_data(as_text=True)
    assert client.get(url[:-3] + "abc").status_code == 404

    auth.login(make_user("staff", "promotion"))
    summary = auth.get(f"/sales/surveys/{survey_id}").get_data(as_text=True)
    assert "1 responses" in summary and "Exhibition: <strong>1</strong>" in summary
    assert "Average: 4.0" in summary and "The pressure scheme" in summary


def test_staff_record_answers_and_attach_the_survey_to_a_campaign(app, auth, make_user):
    survey_id = _survey(app, auth, make_user)
    with app.app_context():
        survey = db.session.get(Survey, survey_id)
        company_id = db.session.scalar(select(sales_support.Company.id).where(sales_support.Company.legal_name == "Big Corp"))
        q = survey.questions[2].id
    resp = auth.post(f"/sales/surveys/{survey_id}/record/{company_id}", {f"q{q}": "Fast delivery"})
    assert resp.status_code == 302
    empty = auth.post(f"/sales/surveys/{survey_id}/record/{company_id}", {})
    assert empty.status_code == 422 and "Answer at least one question." in empty.get_data(as_text=True)
    auth.post(f"/sales/surveys/{survey_id}/campaign", {"campaign_id": "12"}, htmx=True)
    page = auth.get(f"/sales/surveys/{survey_id}").get_data(as_text=True)
    assert "Fast delivery" in page and "Attached to campaign no. 12" in page


def test_a_survey_needs_a_title_and_a_combination(auth, make_user):
    auth.login(make_user("staff", "promotion"))
    resp = auth.post("/sales/surveys", {"title": ""})
    assert resp.status_code == 422 and "Give the survey a title." in resp.get_data(as_text=True)


def test_an_answered_survey_appears_on_the_company_timeline(app, auth, make_user):
    survey_id = _survey(app, auth, make_user)
    with app.app_context():
        company_id = db.session.scalar(select(sales_support.Company.id).where(sales_support.Company.legal_name == "Big Corp"))
        q = db.session.get(Survey, survey_id).questions[2].id
    auth.post(f"/sales/surveys/{survey_id}/record/{company_id}", {f"q{q}": "Fast delivery"})
    from app.services import timeline

    with app.test_request_context():
        items = timeline.company_timeline(db.session, company_id)
        assert any(i.kind == "survey" and "Why pumps?" in i.title for i in items)


def test_people_outside_promotion_reach_no_survey_and_change_nothing(app, auth, make_user):
    from app.models.surveys import SurveyInvite, SurveyResponse
    from tests.conftest import Auth

    survey_id = _survey(app, auth, make_user)
    auth.post(f"/sales/surveys/{survey_id}/invites", htmx=True)
    with app.app_context():
        corp = db.session.scalar(select(sales_support.Company.id).where(sales_support.Company.legal_name == "Big Corp"))
        q = db.session.get(Survey, survey_id).questions[2].id
        questions = db.session.query(SurveyQuestion).count()
    outsider = Auth(app.test_client())
    outsider.login(make_user("staff", "logistics"))
    for url in ("/sales/surveys", f"/sales/surveys/{survey_id}", f"/sales/surveys/{survey_id}/record/{corp}"):
        assert outsider.get(url).status_code == 403, url
    assert "/s/" not in outsider.get(f"/sales/surveys/{survey_id}").get_data(as_text=True)
    for url, data in ((f"/sales/surveys/{survey_id}/questions", {"text": "Planted?", "kind": "text"}),
                      (f"/sales/surveys/{survey_id}/invites", {}),
                      (f"/sales/surveys/{survey_id}/record/{corp}", {f"q{q}": "planted"}),
                      ("/sales/surveys", {"title": "Mine", "targets": ["Pumps|1"]})):
        assert outsider.post(url, data).status_code == 403, url
    with app.app_context():
        assert db.session.query(SurveyQuestion).count() == questions
        assert db.session.query(SurveyResponse).count() == 0
        assert db.session.query(Survey).count() == 1 and db.session.query(SurveyInvite).count() == 1


def test_answers_only_for_invited_companies_and_no_new_questions_once_answered(app, auth, make_user):
    survey_id = _survey(app, auth, make_user)
    with app.app_context():
        stranger = sales_support.company(db.session, "Never Asked", "smb").id
        corp = db.session.scalar(select(sales_support.Company.id).where(sales_support.Company.legal_name == "Big Corp"))
        q = db.session.get(Survey, survey_id).questions[2].id
        db.session.commit()
    refused = auth.post(f"/sales/surveys/{survey_id}/record/{stranger}", {f"q{q}": "planted"})
    assert refused.status_code == 422 and "was not invited" in refused.get_data(as_text=True)
    assert auth.post(f"/sales/surveys/{survey_id}/record/{corp}", {f"q{q}": "Fast delivery"}).status_code == 302
    late = auth.post(f"/sales/surveys/{survey_id}/questions", {"text": "One more?", "kind": "text"}, htmx=True)
    assert late.status_code == 422 and "already has answers" in late.get_data(as_text=True)
    with app.app_context():
        assert [x.text for x in db.session.get(Survey, survey_id).questions][-1] == "What decided it?"
