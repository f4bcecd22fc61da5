"""Helpers for the client-base tests: records created through the same services the pages use."""
from __future__ import annotations

from app.extensions import db
from app.services import companies, contact_points, contacts

VALID_INN = "7707083893"


def make_company(app, manager_id: int | None = None, phone: str | None = None, **fields) -> int:
    with app.app_context():
        data = {"legal_name": "Ромашка", "legal_form": "ООО", "inn": VALID_INN, "city": "Москва",
                "account_manager_id": manager_id, **fields}
        company = companies.create_company(db.session, data)
        if phone:
            contact_points.add_company_phone(db.session, company.id, phone, "RU")
        db.session.commit()
        return company.id


def make_contact(app, company_id: int | None, name: str = "Иванов Иван", phones=(), emails=()) -> int:
    with app.app_context():
        contact = contacts.save_contact(db.session, {"name": name, "company_id": company_id}, list(phones), list(emails), "RU")
        db.session.commit()
        return contact.id


def company_form(**overrides) -> dict:
    data = {"legal_name": "Ромашка", "legal_form": "ООО", "inn": VALID_INN, "country": "RU", "status": "prospect",
            "city": "Москва", "region": "Москва", "client_type_id": "", "account_manager_id": "", "tags": ""}
    data.update(overrides)
    return data
