"""A key account with its manager, shared by the account-management tests (plain functions, no fixtures)."""
from __future__ import annotations

from app.extensions import db
from app.models.companies import Company
from app.models.contacts import Contact
from app.models.org import Unit
from app.services import key_accounts


def key_account(app, manager_id: int, deputy_id: int | None = None, name: str = "Romashka") -> dict:
    """A company marked as a key account with a contact; returns their ids."""
    with app.app_context():
        company = Company(legal_name=name, legal_form="ООО", name_sort=name.lower(), status="client")
        db.session.add(company)
        db.session.flush()
        contact = Contact(company_id=company.id, name="Irina Petrova")
        db.session.add(contact)
        db.session.commit()
        key_accounts.set_key_account(db.session, company.id, manager_id, deputy_id, "", by_id=None)
        db.session.commit()
        return {"company_id": company.id, "contact_id": contact.id}


def unit_id(app, code: str) -> int:
    with app.app_context():
        return db.session.query(Unit.id).filter(Unit.code == code).scalar()


def login_as(auth, user) -> None:
    """Sign out whoever is signed in, then sign this person in (one test client plays several people)."""
    if auth.token:
        auth.post("/logout")
        auth.token = None
    auth.login(user)
