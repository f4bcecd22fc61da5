"""auth and the public form (issue 14): public responses wait unconfirmed with the visitor's consent (time, policy
version and text hash); portal settings an administrator sets (the privacy policy, two-step sign-in for all).

Revision ID: 0012_auth_security
Revises: 0011_search_index
"""
from alembic import op
import sqlalchemy as sa



revision = '0012_auth_security'
down_revision = '0011_search_index'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('portal_settings',
    sa.Column('key', sa.String(length=60), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_portal_settings_updated_by_id_users')),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_portal_settings'))
    )
    with op.batch_alter_table('responses') as batch_op:
        batch_op.add_column(sa.Column('unconfirmed', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('consent_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('consent_policy_version', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('consent_policy_hash', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_responses_unconfirmed'), ['unconfirmed'], unique=False)


def downgrade():
    with op.batch_alter_table('responses') as batch_op:
        batch_op.drop_index(batch_op.f('ix_responses_unconfirmed'))
        batch_op.drop_column('consent_policy_hash')
        batch_op.drop_column('consent_policy_version')
        batch_op.drop_column('consent_at')
        batch_op.drop_column('unconfirmed')
    op.drop_table('portal_settings')
