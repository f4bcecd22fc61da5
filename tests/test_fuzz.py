"""Hostile values into every form and query parameter of every route, signed in as an admin on a small seeded
base: no answer is a 500, and a refused input (4xx) changes nothing in the database.

FUZZ_EXAMPLES (default 3) sets how many random inputs each route and method gets; CI keeps the default.
FUZZ_SEED=n draws another fixed set; FUZZ_VERBOSE=1 prints the answers each route gave."""
from __future__ import annotations

import inspect
import os
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from app.extensions import db
from tests.conftest import PASSWORD, Auth

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))
SEED = os.environ.get("FUZZ_SEED")  # another fixed draw of inputs; unset: the same draw every run (CI)

HOSTILE = ["", " ", "0", "-1", "1", "2147483648", str(2**63), str(2**64 + 1), "9" * 40, "²", "٣", "1e30", "-1e30",
           "inf", "-Infinity", "Infinity", "nan", "NaN", "1,5", "15,000", "15 000,50", "1.234,5", "0001-01-01",
           "9999-12-31", "2026-02-30", "0000-00-00", "2026-W99", "x" * 5000, "a\x00b", "\x00", "Ёлка «Привет» ООО",
           "ЕКАТЕРИНБУРГ", "<script>alert(1)</script>", "' OR 1=1 --", "%", "_", "-0", "0x10", "true", "None",
           "null", "remove-phones-9", "remove-x", "remove-phones-²", "add-phones", "add-line", "b-1-1", ",", ";",
           "\r\n", "1" * 300]
VALUE = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=40),
                  st.integers(min_value=-(2**70), max_value=2**70).map(str))

# Endpoints that end the admin's session or start work that is not a request's (a restore replaces the base).
SKIP = {"auth.logout", "static", "backups.restore", "jobs.start_demo_seed"}
# Tables a request may write whatever its answer (sign-in attempts, the jobs' own rows).
VOLATILE = {"login_attempts", "jobs", "public_form_hits"}


@pytest.fixture(autouse=True)
def _no_uploads_left_behind(app):
    """Uploads these tests leave waiting (an import never run) are removed, as the daily clean-up would."""
    folder = Path(app.config["UPLOAD_DIR"]) / "imports"
    before = set(folder.iterdir()) if folder.exists() else set()
    yield
    for path in (set(folder.iterdir()) if folder.exists() else set()) - before:
        path.unlink(missing_ok=True)


class _Forms(HTMLParser):
    """The forms of a page: action, method and their fields with the values the page offers (the prefilled
    value, the selected or first option, a button's value), so a fuzzed post can get past the required fields."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self.loose: dict[str, list[str]] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def _fields(self) -> dict[str, list[str]]:
        return self.forms[-1]["fields"] if self.forms else self.loose

    def _offer(self, name: str, value: str | None) -> None:
        values = self._fields().setdefault(name, [])
        if value is not None and value not in values:
            values.append(value)

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self.forms.append({"action": a.get("action") or a.get("hx-post") or a.get("hx-get") or "",
                               "fields": {}})
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                self._offer(a["name"], a.get("value", "on") if "checked" in a else None)
            elif kind != "file":
                self._offer(a["name"], a.get("value", ""))
        elif tag == "button" and a.get("name"):
            self._offer(a["name"], None)
            self._fields().setdefault("__buttons__", []).append((a["name"], a.get("value", "")))
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            self._fields().setdefault(a["name"], [])
        elif tag == "option" and self._select:
            values = self._fields().setdefault(self._select, [])
            if "selected" in a:
                values.insert(0, a.get("value", ""))
            elif not values:
                values.append(a.get("value", ""))
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self._offer(a["name"], "")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def _source_names(view) -> set[str]:
    """Parameter names the view reads (args.get("x"), form.getlist("x"), request.form["x"])."""
    try:
        src = inspect.getsource(inspect.unwrap(view))
    except (OSError, TypeError):
        return set()
    return set(re.findall(r"""(?:args|form|files)\s*(?:\.get(?:list)?\(|\[)\s*f?["']([\w-]+)["']""", src))


def _fill(rule, ids: dict[str, str]) -> str | None:
    url = rule.rule
    for conv, name in re.findall(r"<(?:([\w]+)(?:\([^)]*\))?:)?(\w+)>", rule.rule):
        value = ids.get(f"{rule.endpoint}:{name}") or ids.get(name)
        if value is None:
            return None
        url = re.sub(r"<(?:[\w]+(?:\([^)]*\))?:)?" + name + ">", str(value), url, count=1)
    return url


def _real_ids(app) -> dict[str, str]:
    """One real id (or key) for each URL variable, from the seeded base."""
    def first(table: str, where: str = "") -> str | None:
        row = db.session.execute(text(f"SELECT min(id) FROM {table} {where}")).scalar()
        return str(row) if row is not None else None

    admin_id = db.session.execute(text("SELECT min(id) FROM users WHERE role = 'admin'")).scalar()
    ids = {
        "activity_id": first("activities"), "address_id": first("addresses"), "attachment_id": first("request_attachments"),
        "board_id": first("boards"), "campaign_id": first("campaigns"), "card_id": first("board_cards"),
        "column_id": first("board_columns"), "company_id": first("companies", "WHERE deleted_at IS NULL"),
        "contact_id": first("contacts"), "deal_id": first("deals"), "entity_id": first("companies"),
        "group_id": first("dedup_groups"), "item_id": first("phones"), "list_id": first("address_lists"),
        "material_id": first("materials"), "merge_id": first("dedup_merges") or "1",
        "notification_id": first("notifications") or "1", "plan_id": first("week_plans"),
        "point_id": first("phones"), "product_id": first("products"), "record_id": first("companies"),
        "request_id": first("client_requests"), "response_id": first("responses"), "route_id": first("request_routes"),
        "run_id": first("import_runs"), "segment_id": first("segments"), "seller_id": first("users"),
        "survey_id": first("surveys"), "task_id": first("plan_tasks"), "type_id": first("client_types"),
        "unit_id": first("units"), "user_id": first("users", f"WHERE id <> {admin_id}"), "year": "2026",
        "kind": "phone", "name": "legal_name", "entity_type": "companies", "job_id": "no-such-job",
        "key": "no-such-workflow", "action": "accept", "token": "no-such-token", "filename": "x",
        "data_quality.record:kind": "company", "data_quality.check:kind": "company",
        "data_quality.new_record:kind": "company", "backups.download:name": "no-such.zip",
        "crm.card:card_id": first("board_cards"),
        "workflows.checklist_item:item_id": first("card_checklist_items"),
    }
    from flask import current_app

    from app.models.surveys import SurveyInvite
    from app.services import responses, surveys

    campaign = db.session.execute(text("SELECT max(id) FROM campaigns WHERE status = 'running'")).scalar() or \
        db.session.execute(text("SELECT max(id) FROM campaigns")).scalar()
    if campaign:
        token = responses.form_token(campaign)
        for endpoint in ("promotion.public_form", "promotion.public_submit", "promotion.public_thanks"):
            ids[f"{endpoint}:token"] = token
    invite = db.session.scalars(select(SurveyInvite).where(SurveyInvite.used_at.is_(None))).first()
    if invite is not None:
        ids["sales.survey_public:token"] = surveys.token_for(current_app.config["SECRET_KEY"], invite)
    return {k: v for k, v in ids.items() if v is not None}


def _fingerprint() -> tuple:
    """Row counts of every table and the sum of each versioned table's versions: what a refusal must not move."""
    parts = []
    for table in db.metadata.sorted_tables:
        if table.name in VOLATILE:
            continue
        parts.append(f"(SELECT count(*) FROM {table.name})")
        if "version" in table.c:
            parts.append(f"(SELECT coalesce(sum(version), 0) FROM {table.name})")
    return tuple(db.session.execute(text("SELECT " + ", ".join(parts))).one())


@pytest.fixture
def seeded(app):
    """A small demo base (every area has work) and its admin."""
    from app.demo import seed_demo
    from app.services import imports

    with app.app_context():
        seed_demo(db.session, companies=30, seed=11, password=PASSWORD)
        admin_id = db.session.execute(text("SELECT min(id) FROM users WHERE role = 'admin'")).scalar()
        # an import waiting for its mapping and preview, so those pages are fuzzed too
        imports.store_upload(db.session, app.config["UPLOAD_DIR"], "company", "c.csv",
                             "Наименование;ИНН;Город\r\nРомашка;7707083893;Москва\r\n".encode("cp1251"), admin_id)
        db.session.commit()
        ids = _real_ids(app)
    yield ids
    from app.services.jobs import runtime

    runtime(app).queue.empty()   # the jobs the fuzzed posts queued are not the next test's to run


def _order(rule) -> tuple:
    """Pages first, then writes, the ones that delete, merge or undo last (they take the seeded records away)."""
    destructive = any(w in rule.rule for w in ("delete", "remove", "merge", "undo", "restore", "deactivate"))
    return (destructive, "GET" not in rule.methods, rule.rule)


def test_no_hostile_value_answers_500_and_a_refusal_saves_nothing(app, seeded):
    auth = Auth(app.test_client())
    auth.login("admin@demo.local")
    # The fields each URL's forms send, read from every page the admin can open.
    discovered: dict[str, dict[str, list]] = {}
    rules = sorted((r for r in app.url_map.iter_rules() if r.endpoint not in SKIP), key=_order)
    for rule in rules:
        url = _fill(rule, seeded)
        if url is None or "GET" not in rule.methods:
            continue
        page = auth.get(url)
        assert page.status_code < 500, f"GET {url} answered {page.status_code}"
        if "html" not in (page.content_type or ""):
            continue
        parser = _Forms()
        parser.feed(page.get_data(as_text=True))
        for form in parser.forms:
            _merge(discovered.setdefault(urlsplit(form["action"]).path or url, {}), form["fields"])
        _merge(discovered.setdefault(url, {}), parser.loose)

    failures: list[str] = []
    seen: dict[str, list[int]] = {}
    for rule in rules:
        url = _fill(rule, seeded)
        if url is None:
            continue
        offered = discovered.get(url, {})
        fields = {n: offered.get(n, []) for n in (_source_names(app.view_functions[rule.endpoint]) | set(offered))
                  if n not in ("csrf_token", "__buttons__")}
        for name, value in offered.get("__buttons__", []):
            fields.setdefault(name, []).append(value)
        for method in sorted(rule.methods & {"GET", "POST"}):
            _fuzz(app, auth, rule, url, method, fields, failures, seen.setdefault(f"{method} {rule.rule}", []))
            if len(failures) > 20:
                break
    if os.environ.get("FUZZ_VERBOSE"):
        for key, codes in sorted(seen.items()):
            print(key, sorted(set(codes)))
    assert not failures, "\n".join(failures)


def _merge(into: dict[str, list], fields: dict[str, list]) -> None:
    for name, values in fields.items():
        known = into.setdefault(name, [])
        known.extend(v for v in values if v not in known)


DROP = object()


def _field(offered: list):
    """Mostly what the page offers, often a hostile value, sometimes several, sometimes the field left out."""
    choices = [st.sampled_from(offered)] if offered else []
    return st.one_of(*choices, VALUE, st.lists(VALUE, min_size=2, max_size=3), st.just(DROP))


def _fuzz(app, auth, rule, url, method, fields, failures, codes):
    if fields:
        params = st.fixed_dictionaries({n: _field(v) for n, v in sorted(fields.items())}).map(
            lambda d: {k: v for k, v in d.items() if v is not DROP})
    else:
        params = st.just({})

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=SEED is None,
              suppress_health_check=list(HealthCheck))
    @seed(int(SEED or 0))
    @given(data=params)
    def one(data):
        with app.app_context():
            before = _fingerprint()
        where = f"{method} {url} {dict((k, (v if len(str(v)) < 80 else str(v)[:80] + '…')) for k, v in data.items())}"
        try:
            resp = auth.get(url, query_string=data) if method == "GET" else auth.post(url, data=data)
        except Exception as exc:  # the test client re-raises what would have been a 500
            with app.app_context():
                db.session.remove()
            raise AssertionError(f"{where} raised {type(exc).__name__}: {str(exc)[:200]}") from None
        with app.app_context():
            after = _fingerprint()
            db.session.remove()
        codes.append(resp.status_code)
        if resp.status_code == 302 and "/login" in (resp.location or ""):
            auth.login("admin@demo.local")
        assert resp.status_code < 500, f"{where} answered {resp.status_code}"
        assert not (400 <= resp.status_code < 500 and before != after), (
            f"{where} answered {resp.status_code} but changed the base")

    try:
        one()
    except AssertionError as exc:   # hypothesis has shrunk it to the simplest input that fails
        failures.append(str(exc).splitlines()[0])
