"""crm: indexes for the companies list (sort by created) and the contacts list (sort by name)

Revision ID: 0002_crm
Revises: 0001_foundation
"""
from alembic import op

revision = "0002_crm"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("companies", schema=None) as batch_op:
        batch_op.create_index("ix_companies_created_at", ["created_at"], unique=False)
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.create_index("ix_contacts_name", ["name"], unique=False)


def downgrade():
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_index("ix_contacts_name")
    with op.batch_alter_table("companies", schema=None) as batch_op:
        batch_op.drop_index("ix_companies_created_at")
