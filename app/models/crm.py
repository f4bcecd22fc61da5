"""Indexes the client-base list pages need on 200,000 rows (the foundation tables keep their own)."""
from sqlalchemy import Index

from app.models.companies import Company
from app.models.contacts import Contact

# Sorting the companies list by creation date, newest first, without a full-table sort.
Index("ix_companies_created_at", Company.created_at)
# Contacts are listed by name.
Index("ix_contacts_name", Contact.name)
