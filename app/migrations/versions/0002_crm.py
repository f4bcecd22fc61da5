"""crm: partial indexes over current rows, one per list sort order (companies by name, city, created,
manager; contacts by name, created), so a list page is read from an index on 200,000 rows; and
(company_id, contact_id) on phones and emails for a company's own contact points

Revision ID: 0002_crm
Revises: 0001_foundation
"""
from alembic import op
import sqlalchemy as sa

revision = "0002_crm"
down_revision = '0001_foundation'
branch_labels = None
depends_on = None

LIVE = {"sqlite_where": sa.text("deleted_at IS NULL"), "postgresql_where": sa.text("deleted_at IS NULL")}
INDEXES = {
    "companies": [("ix_companies_live_name", ["name_sort", "id"]),
                  ("ix_companies_live_city", ["city", "name_sort", "id"]),
                  ("ix_companies_live_created", ["created_at", "id"]),
                  ("ix_companies_live_manager", ["account_manager_id", "name_sort", "id"])],
    "contacts": [("ix_contacts_live_name", ["name", "id"]),
                 ("ix_contacts_live_created", ["created_at", "id"])],
}


# A company's own phones and emails (contact_id IS NULL) are found by both columns at once.
PAIRS = {"phones": "ix_phones_company_contact", "emails": "ix_emails_company_contact"}


def upgrade():
    for table, indexes in INDEXES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, columns in indexes:
                batch_op.create_index(name, columns, unique=False, **LIVE)
    for table, name in PAIRS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(name, ["company_id", "contact_id"], unique=False)


def downgrade():
    for table, name in PAIRS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(name)
    for table, indexes in INDEXES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, _columns in indexes:
                batch_op.drop_index(name, **LIVE)
