"""jobs: the process that queued or runs each job (pid@host of an embedded portal, or the rq worker's name),
so a start-up sweep can tell a dead process's jobs from a live one's.

Revision ID: 0009_job_owner
Revises: 0008_accounts
"""
from alembic import op
import sqlalchemy as sa


revision = '0010_job_owner'
down_revision = '0009_dedup_weights'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('jobs') as batch_op:
        batch_op.add_column(sa.Column('owner', sa.String(length=120), nullable=True))


def downgrade():
    with op.batch_alter_table('jobs') as batch_op:
        batch_op.drop_column('owner')
