"""dedup weights: the matching weights learnt from the base on the last full scan, per kind.

Revision ID: 0009_dedup_weights
Revises: 0008_accounts
Create Date: 2026-12-02 23:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_dedup_weights'
down_revision = '0008_accounts'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('dedup_settings') as batch_op:
        batch_op.add_column(sa.Column('learnt_weights', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('dedup_settings') as batch_op:
        batch_op.drop_column('learnt_weights')
