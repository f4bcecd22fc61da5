"""Indexes the client-base list pages need on 200,000 rows (the foundation tables keep their own).

Partial indexes over the current (not deleted) rows, one per sort order, let both SQLite and PostgreSQL
read a page straight from the index instead of sorting the whole table.
"""
from sqlalchemy import Index

from app.models.companies import Company
from app.models.contacts import Contact, Email, Phone


def _live(name: str, model, *columns) -> Index:
    where = model.deleted_at.is_(None)
    return Index(name, *columns, sqlite_where=where, postgresql_where=where)


_live("ix_companies_live_name", Company, Company.name_sort, Company.id)
_live("ix_companies_live_city", Company, Company.city, Company.name_sort, Company.id)
_live("ix_companies_live_created", Company, Company.created_at, Company.id)
_live("ix_contacts_live_name", Contact, Contact.name, Contact.id)
_live("ix_contacts_live_created", Contact, Contact.created_at, Contact.id)
_live("ix_companies_live_manager", Company, Company.account_manager_id, Company.name_sort, Company.id)
# A company's own phones and emails (contact_id IS NULL): without this pair the planner walks the
# contact_id index over every company-level row.
Index("ix_phones_company_contact", Phone.company_id, Phone.contact_id)
Index("ix_emails_company_contact", Email.company_id, Email.contact_id)
