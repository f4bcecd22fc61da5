"""The permission matrix (issue 14): every route, every method, every kind of person, with real ids, against
the one table of who may do what (app/services/access_table.py).

One base is seeded for the module; each request runs inside a transaction that is rolled back afterwards, so a
write by an allowed person (a delete, a sign-out, a merge) never changes what the next person meets, and a
refused write is proven to leave nothing behind by the same base serving every later case.
A route missing from the table fails `test_every_route_is_in_the_table`; each (route, role) is its own test id.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from app.extensions import db
from app.services import access_table
from app.web import is_public_endpoint
from tests.conftest import Auth, _wipe

ROLES = access_table.ROLES
RECORD = os.environ.get("ACCESS_TABLE_RECORD")  # a file to write the observed answers to (when redrawing the table)


# ---------------------------------------------------------------- the seeded base


@pytest.fixture(autouse=True)
def clean_db(app):
    """This module shares one base (see `base`); the suite's per-test wipe is replaced by the rollback.
    A job an allowed request queued (a demo seed, a scan) is dropped unrun: its row was rolled back too."""
    yield
    from app.services import jobs

    rt = app.extensions.get(jobs.EXT_KEY)
    if rt is not None and rt.embedded:
        rt.queue.empty()


def _seed(app) -> dict:
    """Real objects of every kind, owned by people of two units, and the ids the URLs are filled with."""
    from app.models import Company, Contact, Email, Phone
    from app.models.activities import Activity
    from app.models.address_lists import AddressList, Segment
    from app.models.boards import Board, BoardColumn, Card, CardChecklistItem
    from app.models.client_requests import ClientRequest, RequestAttachment, RequestRoute, RequestStep
    from app.models.companies import ClientType
    from app.models.contact_points import Address
    from app.models.deals import Deal
    from app.models.duplicates import DuplicateGroup
    from app.models.imports import ImportRun
    from app.models.jobs import JobRecord
    from app.models.key_accounts import KeyAccount
    from app.models.materials import Material
    from app.models.notifications import Notification
    from app.models.org import Unit
    from app.models.products import Product
    from app.models.responses import Response
    from app.models.surveys import Survey, SurveyInvite, SurveyQuestion
    from app.models.week_plans import PlanTask, WeekPlan
    from app.services import campaigns, merges, promotion_plan, responses, surveys
    from app.services.org import create_user, seed_reference_data
    from app.services.weeks import monday as week_start
    from tests.conftest import PASSWORD

    s = db.session
    seed_reference_data(s)
    from app.services import matching

    matching.get_settings(s)  # the one settings row, made on first use: reference data, not a page's write
    s.commit()
    units = {u.code: u for u in s.scalars(select(Unit))}
    people: dict[str, int] = {}
    for role in ROLES:
        if role == "anonymous":
            continue
        kind, _, unit = role.partition(":")
        if role == "admin":
            kind, unit = "admin", "distribution"
        elif role == "kam":
            kind, unit = "staff", "accounts"
        people[role] = create_user(s, f"{role.replace(':', '.')}@matrix.local", PASSWORD, kind, unit,
                                   name=f"Matrix {role}").id
    s.commit()
    today = date.today()

    def company(name, manager, **extra):
        c = Company(legal_name=name, name_sort=name.lower(), status="client", account_manager_id=people[manager],
                    client_type_id=s.scalar(select(ClientType.id).where(ClientType.code == "corporate")), **extra)
        s.add(c)
        s.flush()
        return c

    sales_co = company("Вектор", "staff:sales", city="Москва")
    promo_co = company("Ромашка", "staff:promotion", city="Тула")
    deleted_co = company("Удалённая", "staff:sales")
    contact = Contact(company_id=sales_co.id, name="Иванов Иван")
    promo_contact = Contact(company_id=promo_co.id, name="Петров Пётр")
    s.add_all([contact, promo_contact])
    s.flush()
    phone = Phone(company_id=sales_co.id, e164="+74951234567")
    email = Email(company_id=sales_co.id, contact_id=contact.id, address="ivanov@vector.example")
    address = Address(company_id=sales_co.id, street="ул. Ленина, 1")
    product = Product(name="Насос НП-100", product_line="Насосы", price=Decimal("100"))
    s.add_all([phone, email, address, product])
    s.flush()
    deal = Deal(title="Насосы для Вектора", company_id=sales_co.id, owner_id=people["staff:sales"], stage="new")
    won = [Deal(title=f"Won {i}", company_id=sales_co.id, owner_id=people["staff:sales"], stage="won",
                closed_on=today) for i in range(3)]
    s.add_all([deal, *won])
    s.flush()
    activity = Activity(kind="call", company_id=sales_co.id, author_id=people["staff:sales"], deal_id=deal.id,
                        subject="Звонок")
    s.add(activity)
    public_material = Material(title="Буклет", kind="data_sheet", edition="1", issued_on=today,
                               author_id=people["staff:publications"], unit_id=units["publications"].id,
                               private=False, link="https://example.org/booklet")
    private_material = Material(title="Закрытый расчёт", kind="price_list", edition="1", issued_on=today,
                                author_id=people["staff:sales"], unit_id=units["sales"].id, private=True,
                                link="https://example.org/private")
    s.add_all([public_material, private_material])
    s.flush()
    from app.models.materials import MaterialUse

    s.add(MaterialUse(material_id=private_material.id, deal_id=deal.id, user_id=people["staff:sales"]))
    # The key account and a request to Legal, with a file.
    key_co = company("Ключевой клиент", "kam")
    s.add(KeyAccount(company_id=key_co.id, deputy_id=None))
    key_contact = Contact(company_id=key_co.id, name="Сидорова Анна")
    s.add(key_contact)
    s.flush()
    req = ClientRequest(company_id=key_co.id, account_manager_id=people["kam"], created_by_id=people["kam"],
                        contact_id=key_contact.id, subject="Закрытые условия тендера", due_on=today + timedelta(days=5))
    s.add(req)
    s.flush()
    route = RequestRoute(request_id=req.id, unit_id=units["legal"].id)
    s.add_all([route, RequestStep(request_id=req.id, kind="registered", author_id=people["kam"]),
               RequestStep(request_id=req.id, kind="sent", unit_id=units["legal"].id, author_id=people["kam"])])
    upload = app.config["UPLOAD_DIR"]
    (upload / "requests").mkdir(parents=True, exist_ok=True)
    (upload / "requests" / "matrix.pdf").write_bytes(b"%PDF-1.4 matrix")
    attachment = RequestAttachment(request_id=req.id, filename="terms.pdf", stored_name="matrix.pdf",
                                   content_type="application/pdf", size=15, uploaded_by_id=people["kam"])
    s.add(attachment)
    s.flush()
    # Promotion: a running campaign with a response, a plan, a segment and a ready list.
    campaign_id = campaigns.save_campaign(s, campaigns.CampaignInput(
        name="Весенняя рассылка", channel_id=campaigns.channels(s)[0].id, status="running",
        starts_on=today.replace(day=1), ends_on=today + timedelta(days=60), owner_id=people["staff:promotion"])).id
    promotion_plan.ensure_plan(s, today.year, people["staff:promotion"])
    response = Response(campaign_id=campaign_id, source="staff", name="Кузнецов", company_name="Ромашка",
                        company_id=promo_co.id, contact_id=promo_contact.id, email="k@romashka.example")
    segment = Segment(name="Москва", definition={"cities": ["Москва"]}, author_id=people["staff:promotion"])
    s.add_all([response, segment])
    s.flush()
    exports = app.config["EXPORT_DIR"]
    exports.mkdir(parents=True, exist_ok=True)
    (exports / "matrix-list.csv").write_text("name\nВектор\n", encoding="utf-8")
    address_list = AddressList(segment_id=segment.id, name="Москва", fmt="postal", state="ready", rows=1,
                               file_name="matrix-list.csv", author_id=people["staff:promotion"],
                               expires_at=datetime.now(timezone.utc) + timedelta(days=7))
    s.add(address_list)
    # A survey with a question and an invited client.
    survey = Survey(title="Почему насосы?", created_by_id=people["staff:promotion"])
    s.add(survey)
    s.flush()
    s.add(SurveyQuestion(survey_id=survey.id, text="Почему?", kind="text"))
    invite = SurveyInvite(survey_id=survey.id, company_id=sales_co.id, nonce="matrixnonce")
    s.add(invite)
    # A seller's week plan with a task.
    plan = WeekPlan(seller_id=people["staff:sales"], week_start=week_start(today))
    s.add(plan)
    s.flush()
    task = PlanTask(plan_id=plan.id, company_id=sales_co.id, action="call", expected_result="Встреча")
    s.add(task)
    # A board of Sales with a card for the seller.
    board = Board(workflow_key="weekly_sales_planning", title_ru="Планирование", title_en="Planning",
                  unit_id=units["sales"].id, started_by_id=people["head:sales"], period_start=week_start(today))
    s.add(board)
    s.flush()
    todo = BoardColumn(board_id=board.id, key="todo", title_ru="Сделать", title_en="To do", position=0)
    done = BoardColumn(board_id=board.id, key="done", title_ru="Готово", title_en="Done", position=1, is_done=True)
    s.add_all([todo, done])
    s.flush()
    card = Card(board_id=board.id, column_id=todo.id, title="Позвонить", assignee_id=people["staff:sales"],
                created_by_id=people["head:sales"])
    s.add(card)
    s.flush()
    check = CardChecklistItem(card_id=card.id, text="Подготовить КП")
    s.add(check)
    # The CRM section's work: a duplicate group, a merge to undo, an import run.
    dup_a, dup_b = company("Дубль", "staff:crm"), company("Дубль ООО", "staff:crm")
    merged_a, merged_b = company("Слияние", "staff:crm"), company("Слияние ООО", "staff:crm")
    group = DuplicateGroup(kind="company", member_ids=[dup_a.id, dup_b.id], score=0.9,
                           pairs=[{"a": dup_a.id, "b": dup_b.id, "score": 0.9, "reasons": []}])
    s.add(group)
    s.flush()
    merge = merges.merge(s, "company", merged_a.id, [merged_b.id], None, people["staff:crm"])
    (upload / "imports").mkdir(parents=True, exist_ok=True)
    (upload / "imports" / "matrix.csv").write_text("Название;ИНН\nНовая;\n", encoding="utf-8")
    run = ImportRun(kind="company", filename="companies.csv", stored_name="matrix.csv", user_id=people["staff:crm"],
                    mapping={"Название": "legal_name"}, options={"on_duplicate": "skip"}, status="uploaded")
    done_run = ImportRun(kind="company", filename="old.csv", stored_name=None, user_id=people["staff:crm"],
                         mapping={"Название": "legal_name"}, status="done",
                         report={"created": 1, "updated": 0, "skipped": 0, "failed": 0, "applied": True,
                                 "rows": [{"row": 2, "outcome": "created", "id": None, "reason": ""}]})
    s.add_all([run, done_run])
    s.flush()
    job = JobRecord(id="matrix-job", kind="demo_seed", title="Demo", user_id=people["admin"], status="finished")
    note = Notification(user_id=people["staff:sales"], kind="card", text="Карточка", url="/my-tasks")
    s.add_all([job, note])
    s.flush()
    from app.services import companies as companies_service

    companies_service.soft_delete_company(s, deleted_co.id, people["admin"])
    s.commit()
    backup_dir = app.config["BACKUP_DIR"]
    backup_dir.mkdir(parents=True, exist_ok=True)
    backup_name = "clientele-20260101T000000Z-manual-abcdef.zip"
    (backup_dir / backup_name).write_bytes(b"PK\x05\x06" + b"\0" * 18)
    values = {
        "company_id": sales_co.id, "contact_id": contact.id, "deal_id": deal.id, "address_id": address.id,
        "activity_id": activity.id, "product_id": product.id, "attachment_id": attachment.id,
        "request_id": req.id, "route_id": route.id, "unit_id": units["legal"].id, "name": backup_name,
        "type_id": s.scalar(select(ClientType.id).order_by(ClientType.id)), "user_id": people["staff:sales"],
        "board_id": board.id, "column_id": done.id, "card_id": card.id, "item_id": check.id,
        "entity_type": "companies", "point_id": phone.id, "kind": "phone", "group_id": group.id,
        "merge_id": merge.id, "run_id": run.id, "record_id": sales_co.id, "job_id": job.id,
        "notification_id": note.id, "campaign_id": campaign_id, "list_id": address_list.id, "year": today.year,
        "token": responses.form_token(campaign_id), "response_id": response.id, "segment_id": segment.id,
        "material_id": private_material.id, "seller_id": people["staff:sales"], "plan_id": plan.id,
        "task_id": task.id, "survey_id": survey.id, "key": "weekly_sales_planning", "filename": "app.css",
        "action": "close",
    }
    values["survey_token"] = surveys.token_for(app.config["SECRET_KEY"], invite)
    values["key_company_id"] = key_co.id
    values["deleted_company_id"] = deleted_co.id
    values["promo_company_id"] = promo_co.id
    values["done_run_id"] = done_run.id
    values["dup_ids"] = f"{dup_a.id},{dup_b.id}"
    values["people"] = people
    return values


# Variables that mean something else on one route: rule -> {variable: key in the seeded values, or a value}.
OVERRIDES = {
    "/crm/companies/<int:company_id>/field/<name>": {"name": "city"},
    "/crm/history/<entity_type>/<int:entity_id>": {"entity_id": "company_id"},
    "/data/duplicates/check/<kind>": {"kind": "company"},
    "/data/duplicates/new/<kind>": {"kind": "company"},
    "/data/records/<kind>/<int:record_id>": {"kind": "company"},
    "/data/verify/company/<int:company_id>": {},
    "/sales/s/<token>": {"token": "survey_token"},
    "/sales/surveys/<int:survey_id>/record/<int:company_id>": {},
    "/accounts/key-accounts/<int:company_id>": {"company_id": "key_company_id"},
    "/accounts/key-accounts/<int:company_id>/remove": {"company_id": "key_company_id"},
    "/accounts/requests/<int:request_id>/routes/<int:route_id>/<action>": {"action": "accept"},
    "/crm/companies/<int:company_id>/restore": {"company_id": "deleted_company_id"},
    "/crm/companies/<int:company_id>/points/<kind>": {"kind": "phone"},
    "/data/import/<int:run_id>/report.csv": {"run_id": "done_run_id"},
}

# What a route needs in its form (POST) or query (GET) to get as far as its rule; a value naming a seeded key is
# replaced by that id. Everything else is walked with an empty form, as a forged or careless request would be.
INPUTS = {
    "POST /boards/<int:board_id>/columns/<int:column_id>/cards": {"moved": "card_id", "ids": "card_id"},
    "POST /boards/<int:board_id>/move": {"card_id": "card_id", "to_column": "column_id"},
    "POST /cards/<int:card_id>/move": {"to_column": "column_id"},
    "POST /crm/contacts/<int:contact_id>/edit": {"name": "Иванов Иван", "phones-0": "", "emails-0": ""},
    "POST /data/duplicates/merge": {"kind": "company"},
    "POST /data/duplicates/scan": {"kind": "company"},
    "GET /data/duplicates/compare": {"kind": "company", "group": "group_id", "ids": "dup_ids"},
    "POST /promotion/lists": {"segment_id": "segment_id"},
    "POST /promotion/lists/<int:list_id>/attach": {"campaign_id": "campaign_id"},
    "POST /sales/plans/<int:plan_id>/status": {"status": "submitted"},
    "GET /promotion/campaigns/new": {"year": str(date.today().year + 1)},
}


def _inputs(key, values) -> dict:
    return {k: str(values.get(v, v)) for k, v in INPUTS.get(key, {}).items()}


def _url(rule, values) -> str:
    over = OVERRIDES.get(rule.rule, {})

    def fill(m):
        name = m.group(2)
        key = over.get(name, name)
        value = values.get(key, key) if isinstance(key, str) else key
        return str(value)

    return re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>", fill, rule.rule)  # converter args too: <int(min=2000):year>


@pytest.fixture(scope="module")
def base(app):
    """The seeded base and a signed-in session cookie (and CSRF token) for every role."""
    with app.app_context():
        _wipe(app)
        values = _seed(app)
    sessions = {}
    for role in ROLES:
        client = app.test_client()
        auth = Auth(client)
        if role != "anonymous":
            auth.login(f"{role.replace(':', '.')}@matrix.local")
        else:
            auth.token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                                   client.get("/login").get_data(as_text=True)).group(1)
        cookie = client.get_cookie("session")
        sessions[role] = (cookie.value if cookie else None, auth.token)
    yield values, sessions
    with app.app_context():
        db.session.remove()
        _wipe(app)
        db.session.remove()


@contextlib.contextmanager
def _rolled_back(app):
    """Every session the requests open joins one outer transaction, which is rolled back at the end."""
    with app.app_context():
        engine = db.engine
        engines = db._app_engines[app]
        conn = engine.connect()
        outer = conn.begin()
        factory = db.session.session_factory
        db.session.remove()
        engines[None] = conn
        factory.kw["join_transaction_mode"] = "create_savepoint"
        try:
            yield
        finally:
            db.session.remove()
            factory.kw.pop("join_transaction_mode", None)
            engines[None] = engine
            outer.rollback()
            conn.close()


def _answer(resp) -> str:
    """What the person met: allow, deny (403/404), login (sent to sign in) or error (5xx)."""
    if resp.status_code >= 500:
        return "error"
    if resp.status_code in (401,) or (resp.status_code in (301, 302, 303) and "/login" in resp.location):
        return "login"
    if resp.status_code in (403, 404):
        return "deny"
    return "allow"


def _cases():
    from app import create_app
    from app.config import TestConfig

    probe = create_app({k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()})
    out = []
    for rule in sorted(probe.url_map.iter_rules(), key=lambda r: r.rule):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for role in ROLES:
                out.append(pytest.param(f"{method} {rule.rule}", role, id=f"{method} {rule.rule} [{role}]"))
    return out


_observed: dict[str, dict[str, str]] = {}


@pytest.mark.parametrize("key,role", _cases())
def test_the_answer_matches_the_table(app, base, key, role):
    values, sessions = base
    method, rule_text = key.split(" ", 1)
    rule = next(r for r in app.url_map.iter_rules() if r.rule == rule_text and method in r.methods)
    expected = access_table.expected(key, role)
    client = app.test_client()
    cookie, token = sessions[role]
    if cookie:
        client.set_cookie("session", cookie)
    with _rolled_back(app):
        resp = client.open(_url(rule, values), method=method, headers={"X-CSRFToken": token or ""},
                           data=_inputs(key, values) if method == "POST" else None,
                           query_string=_inputs(key, values) if method == "GET" else None)
    got = _answer(resp)
    if key == "POST /logout" and role != "anonymous" and got == "login":
        got = "allow"  # signing out ends at the sign-in page
    if RECORD:
        _observed.setdefault(key, {})[role] = got
        with open(RECORD, "w") as fh:
            json.dump(_observed, fh, ensure_ascii=False, indent=1)
    assert got != "error", f"{key} as {role} answered {resp.status_code}"
    assert got == expected, f"{key} as {role}: expected {expected}, got {got} ({resp.status_code})"


def test_every_route_is_in_the_table(app):
    missing = [f"{m} {r.rule}" for r in app.url_map.iter_rules() for m in r.methods - {"HEAD", "OPTIONS"}
               if f"{m} {r.rule}" not in access_table.ACCESS]
    assert not missing, "routes nobody said who may reach (add them to app/services/access_table.py): " + \
        ", ".join(sorted(missing))
    stale = sorted(set(access_table.ACCESS) - {f"{m} {r.rule}" for r in app.url_map.iter_rules() for m in r.methods})
    assert not stale, "the table names routes that no longer exist: " + ", ".join(stale)


def test_public_endpoints_are_exactly_the_ones_the_table_opens_to_anonymous(app):
    for rule in app.url_map.iter_rules():
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            key = f"{method} {rule.rule}"
            if key in access_table.ACCESS and access_table.expected(key, "anonymous") == "allow":
                assert is_public_endpoint(app, rule.endpoint), f"{key} is open in the table but not @public"


def _row_counts() -> dict[str, int]:
    tables = [t.name for t in db.metadata.sorted_tables]
    sql = " UNION ALL ".join(f"SELECT '{t}', COUNT(*) FROM \"{t}\"" for t in tables)
    return dict(db.session.execute(text(sql)).all())


def test_no_page_writes_on_get(app, base):
    """A GET reads: opening any page as an admin (who may open them all) adds or removes no row anywhere."""
    values, sessions = base
    client = app.test_client()
    client.set_cookie("session", sessions["admin"][0])
    with _rolled_back(app):
        with app.app_context():
            before = _row_counts()
        for rule in app.url_map.iter_rules():
            if "GET" in rule.methods and rule.endpoint != "static":
                client.get(_url(rule, values), query_string=_inputs(f"GET {rule.rule}", values))
                with app.app_context():
                    assert _row_counts() == before, f"GET {rule.rule} wrote to the base"


# Findings whose answer is a page, not a refusal: what the page must not show, or what must not change.
PROBES = [
    # (role, method, url template, form, text that must not appear, text that must appear)
    ("staff:promotion", "GET", "/sales/plans/history", {}, "Matrix staff:sales", None),
    ("staff:crm", "GET", "/crm/companies/{key_company_id}", {}, "Закрытые условия тендера", "Ключевой клиент"),
    ("staff:legal", "GET", "/crm/companies/{key_company_id}", {}, None, "Закрытые условия тендера"),
    ("staff:promotion", "GET", "/sales/deals/{deal_id}/materials", {}, "Закрытый расчёт", None),
    ("staff:promotion", "GET", "/sales/materials/effective", {}, "Закрытый расчёт", None),
    ("head:sales", "GET", "/sales/deals/{deal_id}/materials", {}, None, "Закрытый расчёт"),
    ("head:sales", "GET", "/crm/history/companies/{deleted_company_id}", {}, "Удалённая", None),
]


@pytest.mark.parametrize("role,method,url,form,absent,present", PROBES,
                         ids=[f"{p[1]} {p[2]} [{p[0]}]" for p in PROBES])
def test_a_page_shows_only_what_the_reader_may_see(app, base, role, method, url, form, absent, present):
    values, sessions = base
    client = app.test_client()
    client.set_cookie("session", sessions[role][0])
    with _rolled_back(app):
        page = client.open(url.format(**values), method=method).get_data(as_text=True)
    if absent:
        assert absent not in page
    if present:
        assert present in page


# Writes that name one thing in the URL and another in the form, or someone else as owner: refused, nothing saved.
WRITES = [
    ("staff:sales", "/crm/contacts/new?company_id={company_id}",
     {"name": "Подброшенный", "company_id": "{promo_company_id}"}, "contacts"),
    ("staff:sales", "/crm/companies/{company_id}/deals/new",
     {"title": "Чужая сделка", "stage": "new", "owner_id": "{staff_crm_id}"}, "deals"),
    ("staff:sales", "/promotion/responses/{response_id}/status", {"status": "qualified"}, "responses"),
    ("staff:sales", "/sales/surveys/{survey_id}/record/{company_id}", {}, "survey_responses"),
]


@pytest.mark.parametrize("role,url,form,table", WRITES, ids=[f"POST {w[1]} [{w[0]}]" for w in WRITES])
def test_a_refused_write_saves_nothing(app, base, role, url, form, table):
    values, sessions = base
    values = {**values, "staff_crm_id": values["people"]["staff:crm"]}
    client = app.test_client()
    client.set_cookie("session", sessions[role][0])
    with _rolled_back(app):
        with app.app_context():
            before = _row_counts()
        resp = client.post(url.format(**values), headers={"X-CSRFToken": sessions[role][1]},
                           data={k: v.format(**values) for k, v in form.items()})
        with app.app_context():
            after = _row_counts()
            status = db.session.scalar(text("SELECT status FROM responses WHERE id = :i"), {"i": values["response_id"]})
    assert resp.status_code in (403, 404, 422), resp.status_code
    assert after == before and status == "new", f"{table} changed"
