"""No English on a Russian page: a Russian-reading admin opens every page and fragment of a full base, and
neither an English msgid of the catalogue nor a raw stored code (a status, a kind, an action) reaches what
they see. Data stays as typed: English company names, emails, URLs and INNs are not msgids or codes."""
from __future__ import annotations

import io
import re
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import func, select

import app.models as models_package
from app.demo import DEMO_PASSWORD, seed_demo
from app.extensions import db
from app.i18n import TRANSLATIONS_ROOT
from app.models import Activity, Address, Company, Contact, Deal, Email, JobRecord, Phone, Product, Unit, User
from app.services import duplicates, jobs, weeks
from app.services import responses as responses_service
from tests.conftest import Auth

ADMIN = "admin@demo.local"
CATALOGUE = TRANSLATIONS_ROOT / "ru" / "LC_MESSAGES" / "messages.po"
# Attributes a person reads: tooltips, placeholders, what a screen reader says, a button's caption, a confirm box.
READ_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt", "hx-confirm", "label"}
SEPARATORS = re.compile(r"\s*(?:·|:|—|–|/|\||;|\(|\)|«|»|“|”|,|\+|→|…)\s*|\s+-\s+")


# ---------------------------------------------------------------- what the test looks for

def _english_msgids() -> tuple[set[str], re.Pattern]:
    """The catalogue's msgids whose Russian differs from them: plain ones to look up, and one pattern for those
    with placeholders (a placeholder matches any text)."""
    with CATALOGUE.open("rb") as f:
        catalogue = read_po(f)
    plain, patterns = set(), []
    for message in catalogue:
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        for msgid in ids:
            text = " ".join(msgid.replace("%%", "%").split())
            if not re.search(r"[A-Za-z]{2}", text) or text in strings:
                continue
            pieces = re.split(r"%\(\w+\)[sdi]|%[sdi]", text)
            if len(pieces) == 1:
                plain.add(text)
            else:
                patterns.append(r".+?".join(re.escape(p) for p in pieces))
    return plain, re.compile("(?:" + "|".join(patterns) + r")\Z")


def _codes() -> set[str]:
    """Stored codes people must never read as such: every tuple of codes in app/models, the field names the
    history records, history actions, import outcomes, backup kinds and states, job kinds, reason codes."""
    codes = set()
    for path in Path(models_package.__file__).parent.glob("*.py"):
        for match in re.finditer(r"^[A-Z_]+ = \(([^)]*)\)", path.read_text(), re.MULTILINE):
            codes.update(c for c in re.findall(r'"([a-z][a-z_]*)"', match.group(1)))
    for model in db.Model.registry.mappers:
        if getattr(model.class_, "__audit__", False):
            codes.update(c.key for c in model.columns if "_" in c.key or c.key in ("city", "inn", "status", "stage"))
    for path in Path(models_package.__file__).parent.parent.rglob("*.py"):
        codes.update(re.findall(r'job_entry\("([a-z_]+)"', path.read_text()))
    from app.services import imports, matching

    codes.update(imports.ON_DUPLICATE, matching.REASON_TEXT)
    codes.update({"create", "update", "delete", "soft_delete", "restore", "merge", "unmerge", "created", "updated",
                  "skipped", "failed", "verified", "unverified", "manual", "nightly", "safety"})
    return codes


class VisibleText(HTMLParser):
    """Text nodes and read attributes of a page, with where they are. Not read: <script> and <style>, hidden
    elements, and what the page declares is not Russian prose: lang="en" (a language's own name, a unit's
    English name) or translate="no" (a code, a file's column names)."""

    VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
                      "wbr"})

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str]] = []
        self._stack: list[tuple[str, bool]] = []  # (tag, not read)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        skipped = bool(self._stack and self._stack[-1][1]) or tag in ("script", "style") or "hidden" in attrs \
            or attrs.get("translate") == "no" or attrs.get("lang", "ru").split("-")[0] != "ru"
        if not skipped:
            where = self._where(tag, attrs)
            for name in READ_ATTRIBUTES & attrs.keys():
                self._add(attrs[name], f"{where} [{name}]")
            if tag == "input" and attrs.get("type") in ("submit", "button", "reset") and attrs.get("value"):
                self._add(attrs["value"], f"{where} [value]")
        if tag not in self.VOID:
            self._stack.append((tag, skipped))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID:
            self._stack.pop()

    def handle_endtag(self, tag):
        if any(t == tag for t, _skip in self._stack):
            while self._stack and self._stack.pop()[0] != tag:
                pass

    def handle_data(self, data):
        if not (self._stack and self._stack[-1][1]):
            self._add(data, self._where(self._stack[-1][0] if self._stack else "", {}))

    def _where(self, tag, attrs) -> str:
        mark = f"#{attrs['id']}" if attrs.get("id") else ""
        return f"line {self.getpos()[0]} <{tag}{mark}> in {'>'.join(t for t, _skip in self._stack[-4:])}"

    def _add(self, text, where):
        text = " ".join((text or "").split())
        if text:
            self.found.append((text, where))


def findings(html: str, msgids: tuple[set[str], re.Pattern], codes: set[str]) -> list[tuple[str, str, str]]:
    """(what, text, where) for each English msgid or raw code a person would read on this page."""
    plain, pattern = msgids
    parser = VisibleText()
    parser.feed(html)
    out = []
    for text, where in parser.found:
        parts = [text] + [p for p in SEPARATORS.split(text) if p and p != text]
        for part in parts:
            part = part.strip(" .!?")
            if part in codes:
                out.append(("raw code", part, where))
            elif part in plain or pattern.match(part):
                out.append(("English msgid", part, where))
    return out


# ---------------------------------------------------------------- a base with something in every area

def _rich_base(app, auth: Writer) -> None:
    """The demo base plus what every area's pages show: boards with cards, campaigns and responses, lists,
    requests in every state, plans, materials, surveys, duplicates, merges, imports, backups and jobs."""
    with app.app_context():
        seed_demo(db.session, companies=40, seed=1, password=DEMO_PASSWORD)
    auth.login(ADMIN, DEMO_PASSWORD)
    _post(auth, "/language", {"lang": "ru", "next": "/"})
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.email == ADMIN))
        admin_id = admin.id
        company = db.session.scalars(select(Company).where(Company.deleted_at.is_(None)).order_by(Company.id)).first()
        contact = db.session.scalar(select(Contact).where(Contact.company_id == company.id))
        company_id, contact_id = company.id, contact.id
        deal_id = db.session.scalar(select(Deal.id).order_by(Deal.id))
        units = {u.code: u.id for u in db.session.scalars(select(Unit))}
    today = date.today()

    _workflows(app, auth, admin_id, company_id, deal_id, today)
    _promotion(app, auth, admin_id, company_id, today)
    _accounts(app, auth, admin_id, company_id, contact_id, units, today)
    _sales(app, auth, admin_id, company_id, deal_id, today)
    _crm(app, auth, company_id, contact_id)
    _data_quality(app, auth)
    _backups_and_jobs(app, auth)
    _refusals(app, auth, company_id, today)
    _every_area_has_rows(app)


def _refusals(app, auth, company_id, today):
    """Bad writes in each area, so the refusals' messages are read too."""
    from app.models.address_lists import Segment
    from app.models.boards import Board, Card
    from tests.companies_support import company_form

    with app.app_context():
        segment_id = db.session.scalar(select(Segment.id))
        board_id = db.session.scalar(select(Board.id).order_by(Board.id))
        card_id = db.session.scalar(select(Card.id).order_by(Card.id))
    _refused(auth, "/promotion/campaigns/new", {"name": "", "channel_id": "", "status": "running",
                                               "planned_budget": "-5", "starts_on": "2026-05-01",
                                               "ends_on": "2026-04-01", "code": "!"})
    _refused(auth, f"/promotion/plan/{today.year + 5}/copy")
    _refused(auth, "/promotion/responses", {"campaign_id": "unknown", "email": "not-an-email"}, htmx=True)
    _refused(auth, "/promotion/segments/new", {"name": ""})
    _refused(auth, "/promotion/lists", {"segment_id": segment_id, "fmt": "fax", "file_type": "pdf"}, htmx=True)
    _refused(auth, "/crm/companies/new", company_form(legal_name="", inn="1234567890"))
    _refused(auth, f"/crm/companies/{company_id}/points/phone", {"value": "12"}, htmx=True)
    _refused(auth, f"/crm/companies/{company_id}/points/email", {"value": "not-an-email"}, htmx=True)
    _refused(auth, "/data/duplicates/settings", {"review_threshold": 95, "strong_threshold": 90,
                                                "verify_age_months": 500}, htmx=True)
    _refused(auth, "/admin/users", {"email": ADMIN, "name": "Двойник", "role": "staff", "unit": "sales",
                                    "password": "short"})
    _refused(auth, "/sales/materials/new", {"title": "", "kind": "", "link": "javascript:alert(1)"})
    _refused(auth, "/accounts/requests/new", data={"company_id": company_id, "subject": "", "channel": ""},
             content_type="multipart/form-data")
    _refused(auth, f"/boards/{board_id}/cards", {"title": "", "priority": "urgent"}, htmx=True)
    _refused(auth, f"/cards/{card_id}/comments", {"body": "  "}, htmx=True)


def _every_area_has_rows(app) -> None:
    """The walk is only as good as the base: each area must hold the rows its pages list."""
    from app.models.address_lists import AddressList, Segment
    from app.models.boards import Board, Card, CardComment
    from app.models.campaigns import Campaign, CampaignSpend
    from app.models.client_requests import ClientRequest
    from app.models.duplicates import DuplicateGroup
    from app.models.imports import ImportRun
    from app.models.key_accounts import KeyAccount
    from app.models.materials import Material, MaterialUse
    from app.models.merges import Merge
    from app.models.notifications import Notification
    from app.models.responses import Response
    from app.models.surveys import SurveyResponse
    from app.models.week_plans import PlanTask, WeekPlan
    from app.services import backups

    with app.app_context():
        for model in (Board, Card, CardComment, Campaign, CampaignSpend, Response, Segment, AddressList, KeyAccount,
                      ClientRequest, Material, MaterialUse, WeekPlan, PlanTask, SurveyResponse, DuplicateGroup, Merge,
                      ImportRun, JobRecord, Notification):
            assert db.session.scalar(select(func.count()).select_from(model)), f"no {model.__name__} in the base"
        assert backups.list_backups(app.config), "no backup in the base"


class Writer(Auth):
    """The signed-in admin who fills the base; every answer they read (a fragment, a page after a redirect with
    its flash message, a refusal) is kept, to be checked like the pages."""

    def __init__(self, client):
        super().__init__(client)
        self.answers: list[tuple[str, str]] = []

    def keep(self, url: str, resp) -> None:
        if resp.status_code in (301, 302, 303):
            resp = self.client.get(resp.location, headers={"Accept-Language": "ru-RU,ru;q=0.9"})
        if resp.mimetype == "text/html":
            self.answers.append((url, resp.get_data(as_text=True)))


def _post(auth: Writer, url: str, data=None, **kwargs):
    """A write the base needs; it must succeed, or the walk would check a poorer base than it claims."""
    resp = auth.post(url, data, **kwargs)
    assert resp.status_code < 400, f"{url} answered {resp.status_code}: {resp.get_data(as_text=True)[:800]}"
    auth.keep(f"POST {url}", resp)
    return resp


def _refused(auth: Writer, url: str, data=None, **kwargs) -> None:
    """A write the portal refuses with a message; the message is what the person reads."""
    resp = auth.post(url, data, **kwargs)
    assert 400 <= resp.status_code < 500, f"{url} accepted a bad write ({resp.status_code})"
    auth.keep(f"POST {url} (refused)", resp)


def _work_off_jobs(app) -> None:
    with app.app_context():
        for job_id in db.session.scalars(select(JobRecord.id).where(JobRecord.status.in_(("queued", "started")))):
            jobs.wait_for(job_id, timeout=120)


def _workflows(app, auth, admin_id, company_id, deal_id, today):
    from app.models.boards import Board, Card
    from app.services import workflow_definitions

    with app.app_context():
        keys = list(workflow_definitions.registry().workflows)
    for key in keys:
        _post(auth, f"/workflows/{key}/start")
    with app.app_context():
        boards = list(db.session.scalars(select(Board).order_by(Board.id)))
        board_ids = [b.id for b in boards]
        columns = {b.id: [c.id for c in b.columns] for b in boards}
    for n, board_id in enumerate(board_ids):
        _post(auth, f"/boards/{board_id}/cards", {"title": f"Карточка {n}", "assignee_id": admin_id,
                                                "due_on": (today - timedelta(days=2)).isoformat(),
                                                "priority": ("high", "low", "normal")[n % 3]}, htmx=True)
    with app.app_context():
        cards = list(db.session.scalars(select(Card).where(Card.board_id == board_ids[0]).order_by(Card.id)))
        first = cards[0]
        card_ids = [c.id for c in cards]
        first_version = first.version
        items = [i.id for i in first.checklist]
    _post(auth, f"/cards/{card_ids[0]}/edit", {"version": first_version, "title": "Застрявшая карточка",
                                               "assignee_id": admin_id, "priority": "high", "blocked": "1",
                                               "due_on": (today - timedelta(days=1)).isoformat()}, htmx=True)
    _post(auth, f"/cards/{card_ids[0]}/comments", {"body": "Нужен ответ отдела"}, htmx=True)
    _post(auth, f"/cards/{card_ids[0]}/links", {"kind": "company", "target": company_id}, htmx=True)
    _post(auth, f"/cards/{card_ids[0]}/links", {"kind": "deal", "target": deal_id}, htmx=True)
    _post(auth, f"/cards/{card_ids[0]}/links", {"kind": "campaign", "target": "1"}, htmx=True)
    if items:
        _post(auth, f"/cards/{card_ids[0]}/checklist/{items[0]}", {"done": "1"}, htmx=True)
    with app.app_context():
        card = db.session.get(Card, card_ids[-1])
        version = card.version
    _post(auth, f"/boards/{board_ids[0]}/move", {"card_id": card_ids[-1], "to_column": columns[board_ids[0]][1],
                                               "card_version": version}, htmx=True)


def _promotion(app, auth, admin_id, company_id, today):
    from app.services import address_lists, promotion_plan
    from app.services import campaigns as campaigns_service
    from app.services import responses as responses_service
    from tests.promotion_support import make_campaign

    with app.app_context():
        campaigns = {status: make_campaign(f"Кампания {status}", status=status, budget=1000,
                                           starts_on=today.replace(day=1))
                     for status in ("planned", "running", "finished")}
        email_channel = next(c for c in campaigns_service.channels(db.session) if c.code == "email")
        plan = promotion_plan.ensure_plan(db.session, today.year, admin_id)
        promotion_plan.save_budget(db.session, plan.id, {(today.month, email_channel.id): 5000})
        campaigns_service.add_spend(db.session, campaigns["running"], today, 1200, "Печать каталогов", admin_id)
        responses = []
        for n, source in enumerate(("staff", "web", "import", "staff", "staff")):
            r = responses_service.record_response(db.session, responses_service.ResponseInput(
                campaign_id=campaigns["running"] if n != 4 else None, name=f"Клиент {n}",
                email=f"client{n}@example.ru", source=source, handled_by_id=admin_id,
                company_id=company_id if n == 0 else None, consent=source == "web"))
            responses.append(r.id)
        responses_service.record_response(db.session, responses_service.ResponseInput(
            campaign_id=campaigns["running"], email="client1@example.ru", source="staff"))  # a repeat
        db.session.commit()
        responses_service.set_status(db.session, responses[3], "qualified", user_id=admin_id)
        responses_service.set_status(db.session, responses[2], "disqualified", "Не наш профиль", user_id=admin_id)
        responses_service.set_status(db.session, responses[0], "converted", user_id=admin_id)
        campaigns_service.mark_analysed(db.session, campaigns["finished"], "Сработали звонки")
        segment = address_lists.save_segment(db.session, "Москва", {"cities": ["Москва"], "statuses": ["client"]}, admin_id)
        db.session.commit()
        segment_id = segment.id
    for fmt in ("email", "postal", "phone"):
        _post(auth, "/promotion/lists", {"segment_id": segment_id, "fmt": fmt, "file_type": "csv"}, htmx=True)
    _work_off_jobs(app)
    csv_text = "name,email,campaign\nОльга,olga@example.ru,NOPE\nИван,ivan@example.ru,\n"
    _post(auth, "/promotion/responses/import", {"file": (io.BytesIO(csv_text.encode()), "expo.csv")},
              content_type="multipart/form-data")


def _accounts(app, auth, admin_id, company_id, contact_id, units, today):
    from app.models.client_requests import ClientRequest, RequestRoute
    from app.services import key_accounts

    with app.app_context():
        manager = db.session.scalar(select(User.id).where(User.email == "accounts1@demo.local"))
        deputy = db.session.scalar(select(User.id).where(User.email == "accounts2@demo.local"))
        key_accounts.set_key_account(db.session, company_id, manager, deputy, "", by_id=admin_id)
        key_accounts.set_key_account(db.session, company_id, admin_id, deputy, "Передаю: клиент ждёт КП", by_id=admin_id)
        db.session.commit()

    def register(subject, unit_codes, due):
        _post(auth, "/accounts/requests/new", data={
            "company_id": company_id, "subject": subject, "details": "Для тендера", "contact_id": contact_id,
            "channel": "email", "unit_ids": [units[c] for c in unit_codes], "due_on": due.isoformat(),
            "files": (io.BytesIO(b"%PDF-1.4 spec"), "spec.pdf")}, content_type="multipart/form-data")
        with app.app_context():
            return db.session.scalar(select(ClientRequest.id).where(ClientRequest.subject == subject))

    def act(request_id, code, action, text=None):
        with app.app_context():
            route = db.session.scalar(select(RequestRoute.id).where(RequestRoute.request_id == request_id,
                                                                    RequestRoute.unit_id == units[code]))
        _post(auth, f"/accounts/requests/{request_id}/routes/{route}/{action}", {"text": text} if text else None,
              htmx=True)

    register("Прайс на 2027", ["sales", "logistics"], today + timedelta(days=5))
    asked = register("Сроки поставки", ["logistics"], today + timedelta(days=3))
    act(asked, "logistics", "accept")
    act(asked, "logistics", "ask", "Какой склад?")
    answered = register("Копия договора", ["legal", "accounting"], today + timedelta(days=2))
    act(answered, "legal", "accept")
    act(answered, "accounting", "accept")
    act(answered, "legal", "answer", "Пункт 4")
    closed = register("Образцы", ["sales"], today + timedelta(days=4))
    act(closed, "sales", "accept")
    act(closed, "sales", "answer", "Отправили")
    act(closed, "sales", "relay", "по телефону")
    _post(auth, f"/accounts/requests/{closed}/close", {"confirmation": "Ирина подтвердила"}, htmx=True)
    split = register("Счёт и доставка", ["sales"], today + timedelta(days=6))
    _post(auth, f"/accounts/requests/{split}/split", {"unit_id": [units["accounting"], units["logistics"]],
                                                    "subject": ["Копия счёта", "Окно доставки"], "details": ["", ""]},
              htmx=True)
    overdue = register("Просроченный запрос", ["sales"], today + timedelta(days=1))
    with app.app_context():
        db.session.get(ClientRequest, overdue).due_on = today - timedelta(days=3)
        db.session.commit()


def _sales(app, auth, admin_id, company_id, deal_id, today):
    from app.models.surveys import SurveyInvite
    from app.models.week_plans import PlanTask, WeekPlan
    from app.services import week_plans

    with app.app_context():
        product_id = db.session.scalar(select(Product.id).order_by(Product.id))
        seller = db.session.scalar(select(User).where(User.email == "sales1@demo.local"))
        seller_id = seller.id
        activity_id = db.session.scalar(select(Activity.id).order_by(Activity.id))
    for kind in ("data_sheet", "case_study", "price_list"):
        _post(auth, "/sales/materials/new", {"title": f"Материал {kind}", "kind": kind, "edition": "2",
                                           "product_ids": str(product_id),
                                           "file": (io.BytesIO(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"),
                                                    f"{kind}.pdf")}, content_type="multipart/form-data")
    _post(auth, "/sales/materials/new", {"title": "Схема окупаемости", "kind": "scheme",
                                         "link": "https://example.ru/roi"})
    with app.app_context():
        from app.models.materials import Material

        material_id = db.session.scalar(select(Material.id).order_by(Material.id))
    _post(auth, f"/sales/deals/{deal_id}/materials", {"material_id": material_id}, htmx=True)
    _post(auth, f"/sales/activities/{activity_id}/materials", {"material_id": material_id}, htmx=True)
    monday = weeks.monday(today)
    for who, week in ((seller_id, monday), (admin_id, monday), (seller_id, monday - timedelta(days=7))):
        page = auth.get(f"/sales/plans?seller={who}&week={week.isoformat()}").get_data(as_text=True)
        keys = re.findall(r'name="keys" value="([^"]+)"', page)[:3]
        _post(auth, "/sales/plans/draft", {"seller": who, "week": week.isoformat(), "keys": keys}, htmx=True)
        for action in ("call", "meeting", "proposal", "send_material", "follow_up"):
            _post(auth, "/sales/plans/tasks", {"seller": who, "week": week.isoformat(), "action": action,
                                             "company_id": company_id, "expected_result": "Договориться"}, htmx=True)
    with app.app_context():
        week_plans = list(db.session.scalars(select(WeekPlan).order_by(WeekPlan.id)))
        plan_ids = [p.id for p in week_plans]
        tasks = [t.id for t in db.session.scalars(select(PlanTask).where(PlanTask.plan_id == plan_ids[0]))]
    for task_id in tasks[:2]:
        _post(auth, f"/sales/plans/tasks/{task_id}/complete", {"outcome": "Просят КП"}, htmx=True)
    _post(auth, f"/sales/plans/{plan_ids[0]}/status", {"status": "submitted"}, htmx=True)
    _post(auth, f"/sales/plans/{plan_ids[-1]}/status", {"status": "submitted"}, htmx=True)
    _post(auth, f"/sales/plans/{plan_ids[-1]}/status", {"status": "approved"}, htmx=True)
    _post(auth, f"/sales/plans/{plan_ids[-1]}/review", {"worked": "Звонки", "not_worked": "Письма"})
    page = auth.get("/sales/surveys").get_data(as_text=True)
    targets = re.findall(r'name="targets" value="([^"]+)"', page)[:2]
    _post(auth, "/sales/surveys", {"title": "Почему насосы?", "targets": targets})
    with app.app_context():
        from app.models.surveys import Survey

        survey_id = db.session.scalar(select(Survey.id).where(Survey.title == "Почему насосы?"))
    if survey_id:
        _post(auth, f"/sales/surveys/{survey_id}/questions", {"text": "Откуда узнали?", "kind": "choice",
                                                            "choices": "Выставка\nКоллега\nСайт"}, htmx=True)
        _post(auth, f"/sales/surveys/{survey_id}/questions", {"text": "Оцените совет", "kind": "scale"}, htmx=True)
        _post(auth, f"/sales/surveys/{survey_id}/questions", {"text": "Что решило?", "kind": "text"}, htmx=True)
        _post(auth, f"/sales/surveys/{survey_id}/invites", htmx=True)
        with app.app_context():
            from app.models.surveys import SurveyQuestion

            invite = db.session.scalar(select(SurveyInvite).where(SurveyInvite.survey_id == survey_id)
                                       .order_by(SurveyInvite.id))
            recipient = invite.company_id if invite else company_id
            answers = {f"q{q.id}": {"choice": "Выставка", "scale": "4", "text": "Схема"}[q.kind]
                       for q in db.session.scalars(select(SurveyQuestion).where(SurveyQuestion.survey_id == survey_id))}
        _post(auth, f"/sales/surveys/{survey_id}/record/{recipient}", answers)


def _crm(app, auth, company_id, contact_id):
    with app.app_context():
        version = db.session.get(Company, company_id).version
    _post(auth, f"/crm/companies/{company_id}/field/city", {"city": "Тверь", "version": version}, htmx=True)
    _post(auth, f"/crm/companies/{company_id}/activities", {"kind": "note", "occurred_at": "2026-01-15T10:00",
                                                          "subject": "Заметка", "outcome": "Позвонить"})
    with app.app_context():
        doomed = db.session.scalars(select(Company.id).where(Company.deleted_at.is_(None))
                                    .order_by(Company.id.desc())).first()
    _post(auth, f"/crm/companies/{doomed}/delete")


def _data_quality(app, auth):
    from app.models.duplicates import DuplicateGroup
    from tests.duplicates_support import add_company


    with app.app_context():
        for name, twin, phone in (("Ромашка", "Ромашка ", "+74951112233"),
                                  ("Вектор Плюс", "Вектор-Плюс", "+74951112244"),
                                  ("Northwind Trading", "Northwind Trading Ltd", "+442071234567")):
            add_company(name, inn="7707083893" if name == "Ромашка" else None, phone=phone)
            add_company(twin, form="АО" if name != "Ромашка" else "ООО", phone=phone)
    _post(auth, "/data/duplicates/scan", {"kind": "company"}, htmx=True)
    _post(auth, "/data/duplicates/scan", {"kind": "contact"}, htmx=True)
    _work_off_jobs(app)
    with app.app_context():
        groups = list(db.session.scalars(select(DuplicateGroup).where(DuplicateGroup.status == "open").order_by(DuplicateGroup.id)))
        records = [[r.id for r in duplicates.group_records(db.session, g)] for g in groups[:3]]
        group_ids = [g.id for g in groups[:3]]
    if group_ids:
        _post(auth, f"/data/duplicates/groups/{group_ids[0]}/dismiss", htmx=True)
    for ids in records[1:3]:
        if len(ids) >= 2:
            _post(auth, "/data/duplicates/merge", {"kind": "company", "survivor": ids[0], "ids": ids,
                                                  "group_id": group_ids[records.index(ids)]})
    with app.app_context():
        stale = db.session.scalar(select(Phone.id).where(Phone.verified_at.is_(None)).order_by(Phone.id))
        email = db.session.scalar(select(Email.id).where(Email.verified_at.is_(None)).order_by(Email.id))
    _post(auth, f"/data/verify/phone/{stale}/flag", htmx=True)
    _post(auth, f"/data/verify/email/{email}/invalid", htmx=True)
    rows = ("legal_name;inn;city;phone\nРомашка Плюс;7707083893;Москва;+74951234567\n"
            "Без ИНН;12345;Тверь;12\nNorthwind Trading;;London;\n")
    upload = _post(auth, "/data/import", {"kind": "company", "file": (io.BytesIO(rows.encode()), "base.csv")},
                   content_type="multipart/form-data")
    mapping = {f"col_{i}": f for i, f in enumerate(["legal_name", "inn", "city", "phone"])}
    preview = _post(auth, upload.location, {**mapping, "on_duplicate": "update"})
    _post(auth, preview.location, {"on_duplicate": "update"})
    _work_off_jobs(app)
    _post(auth, "/data/import", {"kind": "contact", "file": (io.BytesIO(b"name\n"), "empty.csv")},
          content_type="multipart/form-data")  # uploaded, not yet mapped: its mapping page is walked


def _backups_and_jobs(app, auth):
    from app.schedule import SCHEDULE, resolve

    _post(auth, "/admin/backups/run", htmx=True)
    _post(auth, "/jobs/demo", {"companies": 2, "seed": 9}, htmx=True)
    _work_off_jobs(app)
    with app.app_context():  # the periodic jobs, queued as the scheduler does: no row, no starter
        runtime = jobs.runtime()
        for item in SCHEDULE:
            runtime.queue.enqueue(resolve(item.func), job_timeout=600)
        runtime.work_burst()


# ---------------------------------------------------------------- the walk

def _samples(app) -> dict[str, list[dict]]:
    """URL values from real rows, per endpoint argument, so each route with arguments is opened too."""
    from app.models.address_lists import Segment
    from app.models.boards import Board, Card
    from app.models.campaigns import Campaign
    from app.models.client_requests import ClientRequest
    from app.models.imports import ImportRun
    from app.models.responses import Response
    from app.models.surveys import Survey, SurveyInvite
    from app.models.week_plans import WeekPlan
    from app.services import surveys

    with app.app_context():
        first = lambda model, *where: db.session.scalars(select(model.id).where(*where).order_by(model.id)).first()
        every = lambda model, *where: list(db.session.scalars(select(model.id).where(*where).order_by(model.id)))
        from app.models.merges import Merge

        company = first(Company, Company.deleted_at.is_(None))
        contact = first(Contact)
        deal = first(Deal)
        survey = first(Survey)
        invite = db.session.scalars(select(SurveyInvite).order_by(SurveyInvite.id)).first()
        campaigns = every(Campaign)
        open_form = every(Campaign, Campaign.status == "running", Campaign.ends_on >= date.today())
        waiting_runs = every(ImportRun, ImportRun.stored_name.is_not(None))  # a run that ran has no file left
        return {
            "company_id": [company], "request_id": every(ClientRequest), "unit_id": [first(Unit)],
            "user_id": [first(User)], "board_id": every(Board), "card_id": every(Card)[:6],
            "address_id": [first(Address)], "contact_id": [contact], "deal_id": [deal],
            "product_id": [first(Product)], "merge_id": every(Merge), "run_id": every(ImportRun),
            "job_id": list(db.session.scalars(select(JobRecord.id))), "year": [date.today().year],
            "response_id": every(Response), "segment_id": every(Segment), "activity_id": [first(Activity)],
            "plan_id": every(WeekPlan), "survey_id": [survey] if survey else [],
            "campaign_id": campaigns,
            # an open form and a closed one (a finished campaign's form says so, 410)
            "_tokens": {"promotion.public_form": [responses_service.form_token(c) for c in open_form[:1]],
                        "promotion.public_thanks": [responses_service.form_token(c) for c in open_form[:1]],
                        "sales.survey_public": [surveys.token_for(app.config["SECRET_KEY"], invite)] if invite else []},
            "_pairs": {
                "crm.history": [{"entity_type": "companies", "entity_id": company},
                                {"entity_type": "contacts", "entity_id": contact},
                                {"entity_type": "deals", "entity_id": deal}],
                "data_quality.record": [{"kind": "company", "record_id": company},
                                      {"kind": "contact", "record_id": contact}],
                "data_quality.edit_item": [{"kind": "phone", "item_id": first(Phone)},
                                         {"kind": "email", "item_id": first(Email)},
                                         {"kind": "address", "item_id": first(Address)}],
                "crm.company_field": [{"company_id": company, "name": n} for n in
                                      ("legal_name", "legal_form", "inn", "city", "status", "website")],
                "sales.survey_record": ([{"survey_id": survey, "company_id": invite.company_id}] if invite else []),
                "data_quality.check": [{"kind": "company"}, {"kind": "contact"}],
                "data_quality.new_record": [{"kind": "company"}, {"kind": "contact"}],
                "data_quality.import_mapping": [{"run_id": r} for r in waiting_runs],
                "data_quality.import_preview": [{"run_id": r} for r in waiting_runs],
            },
        }


NOT_PAGES = {"static", "backups.download", "promotion.download_list", "sales.revenue_xlsx", "sales.material_open",
             "key_accounts.attachment", "data_quality.import_report_csv",
             "data_quality.compare"}  # needs the records to compare: opened among the variants


def _urls(app, samples) -> list[str]:
    from flask import url_for

    urls = []
    with app.test_request_context():
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
            if "GET" not in rule.methods or rule.endpoint in NOT_PAGES:
                continue
            args = set(rule.arguments)
            if not args:
                urls.append(url_for(rule.endpoint))
                continue
            if rule.endpoint in samples["_tokens"]:
                urls += [url_for(rule.endpoint, token=t) for t in samples["_tokens"][rule.endpoint]]
                continue
            if rule.endpoint in samples["_pairs"]:
                urls += [url_for(rule.endpoint, **values) for values in samples["_pairs"][rule.endpoint]
                         if all(v is not None for v in values.values()) and set(values) == args]
                continue
            (arg,) = args
            urls += [url_for(rule.endpoint, **{arg: v}) for v in samples[arg] if v is not None]
    return urls


def _variants(app) -> list[str]:
    """Pages again with the query strings their tabs and filters use: other states show other words."""
    from app.models.duplicates import DuplicateGroup

    with app.app_context():
        group = db.session.scalars(select(DuplicateGroup).where(DuplicateGroup.status == "open")
                                   .order_by(DuplicateGroup.id)).first()
        pair = ",".join(str(r.id) for r in duplicates.group_records(db.session, group)) if group else ""
        sales_unit = db.session.scalar(select(Unit.id).where(Unit.code == "sales"))
        seller = db.session.scalar(select(User.id).where(User.email == "sales1@demo.local"))
        phone = db.session.scalar(select(Phone.e164).order_by(Phone.id))
    monday = weeks.monday(date.today()).isoformat()
    return ([f"/accounts/requests?tab={t}" for t in ("overdue", "answered", "closed")]
            + [f"/accounts/inbox?unit={sales_unit}&tab={t}" for t in ("waiting", "overdue", "answered")]
            + [f"/accounts/figures?period={p}" for p in ("365", "all")]
            + ["/data/duplicates?kind=contact", f"/data/duplicates/compare?kind=company&ids={pair}",
               "/data/verify?kind=phone", "/data/verify?kind=address"]
            + [f"/promotion/?status={s}" for s in ("planned", "running", "finished")]
            + ["/promotion/responses?unknown=1", "/promotion/responses?status=disqualified"]
            + ["/sales/revenue?grain=product", f"/sales/plans?seller={seller}&week={monday}",
               f"/sales/plans/team?week={monday}", "/sales/materials?kind=data_sheet"]
            + ["/crm/search?q=Ромашка", f"/crm/search?q={phone[-7:]}", "/crm/search?q=info%40",
               "/crm/companies?status=client", "/crm/contacts?q=a"])


@pytest.fixture
def own_files(app, tmp_path):
    """Uploads, exports and backups of this base go to the test's own folders, not the session's."""
    keys = ("UPLOAD_DIR", "EXPORT_DIR", "BACKUP_DIR", "BACKUP_COPY_DIR")
    saved = {k: app.config.get(k) for k in keys}
    app.config.update(UPLOAD_DIR=tmp_path / "uploads", EXPORT_DIR=tmp_path / "exports",
                      BACKUP_DIR=tmp_path / "backups", BACKUP_COPY_DIR=None)
    yield
    app.config.update(saved)


def test_a_russian_reader_meets_no_english_text_and_no_raw_codes(app, client, own_files):
    default = app.config["BABEL_DEFAULT_LOCALE"]
    app.config["BABEL_DEFAULT_LOCALE"] = "ru"  # as in production: periodic jobs and reminders write Russian
    try:
        auth = Writer(client)
        _rich_base(app, auth)
        msgids, codes = _english_msgids(), _codes()
        urls = _urls(app, _samples(app)) + _variants(app)
        problems, opened = [], 0
        for url in urls:
            for htmx in (False, True):
                resp = auth.get(url, htmx=htmx, follow_redirects=True, headers={"Accept-Language": "ru-RU,ru;q=0.9"})
                assert resp.status_code in (200, 286), f"{url}{' (htmx)' if htmx else ''} answered {resp.status_code}"
                if resp.mimetype != "text/html":
                    continue
                opened += 1
                for what, text, where in findings(resp.get_data(as_text=True), msgids, codes):
                    problems.append(f"{url}{' (htmx)' if htmx else ''}: {what} {text!r} at {where}")
        for url, html in auth.answers:
            for what, text, where in findings(html, msgids, codes):
                problems.append(f"{url}: {what} {text!r} at {where}")
    finally:
        app.config["BABEL_DEFAULT_LOCALE"] = default
    assert opened >= 2 * len(urls) - 10, "most pages and fragments were read"
    assert not problems, f"{len(problems)} English texts or raw codes on Russian pages:\n" + "\n".join(
        sorted(set(problems)))
