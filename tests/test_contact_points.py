"""Phones, emails, INNs and addresses are decided once: the company form, the contact form, the imports, the
staff response dialog, the public response form and the response import give the same verdict on the same value,
and the engine and search compare by the lenient key of the same module."""
from __future__ import annotations

import html
import io
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Company, Contact, Email, Phone, Response
from app.services import contact_points, imports, matching, responses
from app.services.contact_points import ContactPointError
from app.services.errors import FieldErrors
from tests.companies_support import company_form, make_company
from tests.promotion_support import make_campaign

VALID_INN_12 = "500100732259"

# (field, as typed, what is stored)
GOOD = [
    ("phone", "8 (495) 123-45-67", "+74951234567"),
    ("phone", "+7 916 111-22-33", "+79161112233"),
    ("email", "ivan@example.ru", "ivan@example.ru"),
    ("email", "Ivan.Petrov@Example.RU", "ivan.petrov@example.ru"),
    ("inn", "7707083893", "7707083893"),
    ("inn", "7707 083 893", "7707083893"),
    ("inn", VALID_INN_12, VALID_INN_12),
]
# (field, as typed, the message every path shows)
BAD = [
    ("phone", "+7 100 123-45-67", "“+7 100 123-45-67” is not a phone number we can read."),
    ("phone", "call me maybe", "“call me maybe” is not a phone number we can read."),
    ("phone", "12", "“12” is not a phone number we can read."),
    ("email", "a..b@x.ru", "“a..b@x.ru” is not a valid email address."),
    ("email", "Ivan <ivan@example.ru>", "“Ivan <ivan@example.ru>” is not a valid email address."),
    ("email", "ivan@", "“ivan@” is not a valid email address."),
    ("inn", "7707083894", "The INN 7707083894 is not valid. This INN's check digits do not match: check it for a typo."),
    ("inn", "12345", ("The INN 12345 is not valid. A Russian INN has 10 digits (organisations) or 12 digits "
                      "(sole traders).")),
    ("inn", "ИНН 7707083893", ("The INN ИНН 7707083893 is not valid. A Russian INN has 10 digits (organisations) or "
                               "12 digits (sole traders).")),
]


def _cases(fields: set[str]):
    out = [pytest.param(f, raw, ("stored", stored), id=f"good-{f}-{raw}") for f, raw, stored in GOOD if f in fields]
    out += [pytest.param(f, raw, ("refused", msg), id=f"bad-{f}-{raw}") for f, raw, msg in BAD if f in fields]
    return out


def _count(*models) -> int:
    return sum(db.session.scalar(select(func.count(m.id))) for m in models)


def _page(resp) -> str:
    return html.unescape(resp.get_data(as_text=True))


def _next_to(page: str, name: str, message: str) -> bool:
    """The message is in the field block of `name` (the same <div class="field"> as its input)."""
    for block in re.findall(r'<div class="field[^"]*"[^>]*>(.*?)</div>', page, re.DOTALL):
        if f'name="{name}"' in block and message in block:
            return True
    return False


# ---------------------------------------------------------------- the rules themselves


@pytest.mark.parametrize("field,raw,stored", [(f, r, s) for f, r, s in GOOD])
def test_the_strict_rule_stores_a_good_value_normalised_and_its_key_is_the_same(field, raw, stored):
    strict = {"phone": contact_points.normalize_phone, "email": contact_points.normalize_email,
              "inn": contact_points.normalize_inn}[field]
    key = {"phone": contact_points.phone_key, "email": contact_points.email_key, "inn": contact_points.inn_key}[field]
    assert strict(raw) == stored
    assert key(raw) == stored  # what matching and search compare finds what was stored


@pytest.mark.parametrize("field,raw,message", [(f, r, m) for f, r, m in BAD])
def test_the_strict_rule_refuses_a_bad_value_naming_the_field(field, raw, message):
    strict = {"phone": contact_points.normalize_phone, "email": contact_points.normalize_email,
              "inn": contact_points.normalize_inn}[field]
    with pytest.raises(ContactPointError) as exc:
        strict(raw)
    assert (exc.value.field, exc.value.message, str(exc.value)) == (field, message, message)
    assert isinstance(exc.value, FieldErrors) and exc.value.errors == {field: message}


def test_the_lenient_keys_still_compare_what_the_strict_rules_refuse():
    assert contact_points.phone_key("+7 100 123-45-67") == "+71001234567"  # possible, not valid: still a key
    assert contact_points.phone_key("8 495 123-45-67 доб. 12") == contact_points.normalize_phone("8 495 123-45-67 доб. 12")
    assert contact_points.phone_key("call me maybe") is None and contact_points.phone_key("") is None
    assert contact_points.email_key("a..b@x.ru") == "a..b@x.ru"
    assert contact_points.email_key("Ivan <Ivan@Example.RU>") == "ivan@example.ru"
    assert contact_points.email_key("mailto:Ivan@Example.RU") == "ivan@example.ru"
    assert contact_points.email_key("not an email") is None
    assert contact_points.inn_key("7707083894") is None  # a wrong check digit is no evidence either way
    assert contact_points.inn_digits("7707-083-894") == "7707083894"  # but a stored one is still found by it


def test_a_foreign_tax_id_is_free_text_and_blank_is_nothing():
    assert contact_points.normalize_inn(" GB123456789 ", "GB") == "GB123456789"
    assert contact_points.normalize_inn("  ") is None and contact_points.inn_error(None) is None
    assert contact_points.inn_error("7707083894").endswith("check it for a typo.")


def test_addresses_are_tidied_strictly_and_compared_leniently():
    clean = contact_points.normalize_address({"kind": "legal", "street": "  ул.  Ленина,   д. 5 ", "country": "ru",
                                              "city": "", "csrf_token": "x"})
    assert clean == {"kind": "legal", "street": "ул. Ленина, д. 5", "city": None, "country": "RU"}
    with pytest.raises(FieldErrors) as exc:
        contact_points.normalize_address({"kind": "home", "street": " ", "postcode": "1" * 21})
    assert set(exc.value.errors) == {"kind", "street", "postcode"}
    assert contact_points.address_key("ул. Ленина, д. 5") == contact_points.address_key("улица Ленина 5")


def test_the_engine_search_and_merges_use_these_keys_not_copies():
    from app.matching import normalize
    from app.services import merges, search

    assert normalize.normalise_phone is contact_points.phone_key
    assert normalize.normalise_email is contact_points.email_key
    assert normalize.normalise_inn is contact_points.inn_key
    assert normalize.inn_is_valid is contact_points.inn_is_valid
    assert normalize.normalise_address is contact_points.address_key
    assert merges._normal_phone({"e164": "+74951234567"}) == "+74951234567"
    assert merges._normal_email({"address": "INFO@A.ru"}) == "info@a.ru"
    assert search._identifier_keys("8 (495) 123-45-67", "RU")[0] == "p74951234567"
    assert search._identifier_keys("+7 100 123-45-67", "RU")[0] == "p71001234567"  # search finds, never stores


def test_no_other_module_parses_phones_or_emails_itself():
    root = Path(contact_points.__file__).parents[1]
    home = Path(contact_points.__file__)
    offenders = [str(p.relative_to(root)) for p in root.rglob("*.py") if p != home
                 and re.search(r"^\s*(import phonenumbers|from phonenumbers|from email_validator|import email_validator)",
                               p.read_text(encoding="utf-8"), re.MULTILINE)]
    assert offenders == []


def test_the_messages_are_translated(app):
    with app.test_request_context(headers={"Accept-Language": "ru"}):
        with pytest.raises(ContactPointError) as exc:
            contact_points.normalize_inn("12345")
        assert exc.value.message == "ИНН 12345 некорректен. ИНН в России — 10 цифр (организации) или 12 цифр (ИП)."
        with pytest.raises(ContactPointError) as exc:
            contact_points.normalize_phone("+7 100 123-45-67")
        assert exc.value.message == "«+7 100 123-45-67» — не похоже на номер телефона."


# ---------------------------------------------------------------- the same verdict from every path


@pytest.mark.parametrize("field,raw,verdict", _cases({"inn"}))
def test_the_company_form_inn(app, auth, make_user, field, raw, verdict):
    auth.login(make_user("staff", "crm"))
    resp = auth.post("/crm/companies/new", company_form(inn=raw))
    with app.app_context():
        if verdict[0] == "stored":
            assert resp.status_code == 302
            assert db.session.scalars(select(Company.inn)).all() == [verdict[1]]
        else:
            assert resp.status_code == 422 and _next_to(_page(resp), "inn", verdict[1])
            assert _count(Company) == 0


@pytest.mark.parametrize("field,raw,verdict", _cases({"phone", "email"}))
def test_the_company_page_phone_and_email(app, auth, make_user, field, raw, verdict):
    cid = make_company(app)
    auth.login(make_user("staff", "crm"))
    resp = auth.post(f"/crm/companies/{cid}/points/{field}", {"value": raw}, htmx=True)
    with app.app_context():
        stored = db.session.scalars(select(Phone.e164) if field == "phone" else select(Email.address)).all()
        if verdict[0] == "stored":
            assert resp.status_code == 200 and stored == [verdict[1]]
        else:
            assert resp.status_code == 422 and verdict[1] in _page(resp)
            assert stored == []


@pytest.mark.parametrize("field,raw,verdict", _cases({"phone", "email"}))
def test_the_contact_form(app, auth, make_user, field, raw, verdict):
    auth.login(make_user("staff", "crm"))
    data = {"name": "Петрова Анна", "position": "", "company_id": "", "phones-0": "", "emails-0": "",
            "do_not_contact_reason": "", "do_not_contact_at": "", "notes": "", f"{field}s-0": raw}
    resp = auth.post("/crm/contacts/new", data)
    with app.app_context():
        stored = db.session.scalars(select(Phone.e164) if field == "phone" else select(Email.address)).all()
        if verdict[0] == "stored":
            assert resp.status_code == 302 and stored == [verdict[1]] and _count(Contact) == 1
        else:
            assert resp.status_code == 422 and _next_to(_page(resp), f"{field}s-0", verdict[1])
            assert stored == [] and _count(Contact) == 0


def _import(app, tmp_path, kind: str, field: str, raw: str) -> dict:
    column = {"phone": "Телефон", "email": "E-mail", "inn": "ИНН"}[field]
    name = "Наименование" if kind == "company" else "ФИО"
    path = tmp_path / "rows.csv"
    path.write_bytes(f"{name};{column}\r\nВектор;{raw}\r\n".encode("cp1251"))
    matching.forget_index()
    mapping = {name: "legal_name" if kind == "company" else "name", column: field if kind == "company" or
               field != "inn" else "company_inn"}
    preview = imports.preview(db.session, path, kind, mapping, "skip")
    report = imports.apply(db.session, path, kind, mapping)
    assert preview[0].errors == ([] if report["failed"] == 0 else [report["rows"][0]["reason"]])
    return report


@pytest.mark.parametrize("field,raw,verdict", _cases({"phone", "email", "inn"}))
def test_the_company_import(app, tmp_path, field, raw, verdict):
    with app.app_context():
        report = _import(app, tmp_path, "company", field, raw)
        row = report["rows"][0]
        if verdict[0] == "stored":
            assert row["outcome"] == "created"
            column = {"phone": Phone.e164, "email": Email.address, "inn": Company.inn}[field]
            assert db.session.scalars(select(column)).all() == [verdict[1]]
        else:
            assert (row["outcome"], row["reason"]) == ("failed", verdict[1])
            assert _count(Company, Phone, Email) == 0


@pytest.mark.parametrize("field,raw,verdict", _cases({"phone", "email"}))
def test_the_contact_import(app, tmp_path, field, raw, verdict):
    with app.app_context():
        report = _import(app, tmp_path, "contact", field, raw)
        row = report["rows"][0]
        if verdict[0] == "stored":
            assert row["outcome"] == "created"
            column = Phone.e164 if field == "phone" else Email.address
            assert db.session.scalars(select(column)).all() == [verdict[1]]
        else:
            assert (row["outcome"], row["reason"]) == ("failed", verdict[1])
            assert _count(Contact, Phone, Email) == 0


def test_a_contact_import_refuses_a_bad_company_inn_with_the_same_message(app, tmp_path):
    with app.app_context():
        report = _import(app, tmp_path, "contact", "inn", "7707083894")
        assert report["rows"][0]["reason"] == next(m for f, r, m in BAD if r == "7707083894")
        assert _count(Contact) == 0


def _nothing_stored() -> bool:
    return _count(Response, Company, Contact, Phone, Email) == 0


def _response_value(field: str) -> str:
    return db.session.scalars(select(getattr(Response, field))).one()


@pytest.mark.parametrize("field,raw,verdict", _cases({"phone", "email"}))
def test_the_public_response_form(app, client, field, raw, verdict):
    with app.app_context():
        campaign_id = make_campaign("Website offer", channel="website")
    with app.test_request_context():
        token = responses.form_token(campaign_id)
    resp = client.post(f"/promotion/r/{token}", data={"name": "Ольга", field: raw, "website": "", "consent": "1"})
    with app.app_context():
        if verdict[0] == "stored":
            assert resp.status_code == 302 and _response_value(field) == verdict[1]
            stored = db.session.scalars(select(Phone.e164) if field == "phone" else select(Email.address)).all()
            assert stored == []  # an anonymous response waits unconfirmed: nothing is added to the client base
        else:
            assert resp.status_code == 422 and _next_to(_page(resp), field, verdict[1])
            assert _nothing_stored()


@pytest.mark.parametrize("field,raw,verdict", _cases({"phone", "email"}))
def test_the_staff_response_dialog(app, auth, make_user, field, raw, verdict):
    auth.login(make_user("staff", "promotion"))
    resp = auth.post("/promotion/responses", {"campaign_id": "unknown", "name": "Пётр", field: raw}, htmx=True)
    with app.app_context():
        if verdict[0] == "stored":
            assert resp.status_code == 200 and _response_value(field) == verdict[1]
        else:
            assert resp.status_code == 422 and _next_to(_page(resp), field, verdict[1])
            assert _nothing_stored()


@pytest.mark.parametrize("field,raw,verdict", _cases({"phone", "email"}))
def test_the_response_import(app, auth, make_user, field, raw, verdict):
    auth.login(make_user("staff", "promotion"))
    csv_text = f"Name;{field.title()}\nИван;{raw}\n"
    resp = auth.post("/promotion/responses/import", {"file": (io.BytesIO(csv_text.encode("utf-8-sig")), "r.csv")},
                     content_type="multipart/form-data")
    page = _page(resp)
    with app.app_context():
        if verdict[0] == "stored":
            assert "1 responses recorded" in page and _response_value(field) == verdict[1]
        else:
            assert f"line 2: {verdict[1]}" in page
            assert _nothing_stored()
