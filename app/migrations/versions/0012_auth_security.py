"""auth and the public form (issue 14): public responses wait unconfirmed with the visitor's consent (time, policy
version and text hash); portal settings an administrator sets (the privacy policy, two-step sign-in for all); two-step sign-in (a TOTP
secret per person, hashed one-time recovery codes).

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
    with op.batch_alter_table('users') as batch_op:
        batch_op.add_column(sa.Column('totp_secret', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('totp_enabled_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.BigInteger(), nullable=True))
    op.create_table('recovery_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=128), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_recovery_codes_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_codes'))
    )
    with op.batch_alter_table('recovery_codes') as batch_op:
        batch_op.create_index(batch_op.f('ix_recovery_codes_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('recovery_codes') as batch_op:
        batch_op.drop_index(batch_op.f('ix_recovery_codes_user_id'))
    op.drop_table('recovery_codes')
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_enabled_at')
        batch_op.drop_column('totp_secret')
    with op.batch_alter_table('responses') as batch_op:
        batch_op.drop_index(batch_op.f('ix_responses_unconfirmed'))
        batch_op.drop_column('consent_policy_hash')
        batch_op.drop_column('consent_policy_version')
        batch_op.drop_column('consent_at')
        batch_op.drop_column('unconfirmed')
    op.drop_table('portal_settings')
