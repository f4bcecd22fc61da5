"""accounts: key accounts (own table keyed by company_id; companies is untouched), hand-overs,
client requests with their department routes, steps and attachments.

Revision ID: 0008_accounts
Revises: 0006_sales
Create Date: 2026-11-27 07:18:24.746890

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_accounts'
down_revision = '0006_sales'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('account_handovers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('from_manager_id', sa.Integer(), nullable=True),
    sa.Column('to_manager_id', sa.Integer(), nullable=True),
    sa.Column('deputy_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['by_id'], ['users.id'], name=op.f('fk_account_handovers_by_id_users')),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_account_handovers_company_id_companies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['deputy_id'], ['users.id'], name=op.f('fk_account_handovers_deputy_id_users')),
    sa.ForeignKeyConstraint(['from_manager_id'], ['users.id'], name=op.f('fk_account_handovers_from_manager_id_users')),
    sa.ForeignKeyConstraint(['to_manager_id'], ['users.id'], name=op.f('fk_account_handovers_to_manager_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_handovers'))
    )
    with op.batch_alter_table('account_handovers', schema=None) as batch_op:
        batch_op.create_index('ix_account_handovers_company_at', ['company_id', 'at'], unique=False)

    op.create_table('key_accounts',
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('deputy_id', sa.Integer(), nullable=True),
    sa.Column('since', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_key_accounts_company_id_companies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['deputy_id'], ['users.id'], name=op.f('fk_key_accounts_deputy_id_users')),
    sa.PrimaryKeyConstraint('company_id', name=op.f('pk_key_accounts'))
    )
    with op.batch_alter_table('key_accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_key_accounts_deputy_id'), ['deputy_id'], unique=False)

    op.create_table('client_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('account_manager_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('details', sa.Text(), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('asked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('first_answer_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('first_answer_secs', sa.Integer(), nullable=True),
    sa.Column('close_secs', sa.Integer(), nullable=True),
    sa.Column('closed_on_time', sa.Boolean(), nullable=True),
    sa.Column('client_confirmation', sa.String(length=500), nullable=True),
    sa.Column('reopened_count', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['account_manager_id'], ['users.id'], name=op.f('fk_client_requests_account_manager_id_users')),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_client_requests_company_id_companies')),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_client_requests_contact_id_contacts')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_client_requests_created_by_id_users')),
    sa.ForeignKeyConstraint(['parent_id'], ['client_requests.id'], name=op.f('fk_client_requests_parent_id_client_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_client_requests'))
    )
    with op.batch_alter_table('client_requests', schema=None) as batch_op:
        batch_op.create_index('ix_client_requests_closed', ['closed_at', 'due_on', 'closed_on_time'], unique=False)
        batch_op.create_index('ix_client_requests_company_status', ['company_id', 'status'], unique=False)
        batch_op.create_index('ix_client_requests_figures', ['asked_at', 'id', 'account_manager_id', 'company_id', 'status', 'due_on', 'closed_on_time', 'reopened_count', 'first_answer_secs', 'close_secs'], unique=False)
        batch_op.create_index('ix_client_requests_manager_status', ['account_manager_id', 'status', 'due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_client_requests_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index('ix_client_requests_status_due', ['status', 'due_on'], unique=False)

    op.create_table('request_attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('stored_name', sa.String(length=300), nullable=False),
    sa.Column('content_type', sa.String(length=120), nullable=True),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['client_requests.id'], name=op.f('fk_request_attachments_request_id_client_requests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_request_attachments_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_request_attachments'))
    )
    with op.batch_alter_table('request_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_request_attachments_request_id'), ['request_id'], unique=False)

    op.create_table('request_routes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('accepted_by_id', sa.Integer(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('question', sa.Text(), nullable=True),
    sa.Column('relayed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('first_answer_secs', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['accepted_by_id'], ['users.id'], name=op.f('fk_request_routes_accepted_by_id_users')),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_request_routes_answered_by_id_users')),
    sa.ForeignKeyConstraint(['request_id'], ['client_requests.id'], name=op.f('fk_request_routes_request_id_client_requests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_request_routes_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_request_routes'))
    )
    with op.batch_alter_table('request_routes', schema=None) as batch_op:
        batch_op.create_index('ix_request_routes_figures', ['sent_at', 'request_id', 'unit_id', 'status', 'first_answer_secs'], unique=False)
        batch_op.create_index('ix_request_routes_request', ['request_id', 'unit_id'], unique=True)
        batch_op.create_index('ix_request_routes_unit_status', ['unit_id', 'status', 'answered_at'], unique=False)

    op.create_table('request_steps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_request_steps_author_id_users')),
    sa.ForeignKeyConstraint(['request_id'], ['client_requests.id'], name=op.f('fk_request_steps_request_id_client_requests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_request_steps_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_request_steps'))
    )
    with op.batch_alter_table('request_steps', schema=None) as batch_op:
        batch_op.create_index('ix_request_steps_request_at', ['request_id', 'at'], unique=False)



def downgrade():
    with op.batch_alter_table('request_steps', schema=None) as batch_op:
        batch_op.drop_index('ix_request_steps_request_at')

    op.drop_table('request_steps')
    with op.batch_alter_table('request_routes', schema=None) as batch_op:
        batch_op.drop_index('ix_request_routes_unit_status')
        batch_op.drop_index('ix_request_routes_request')
        batch_op.drop_index('ix_request_routes_figures')

    op.drop_table('request_routes')
    with op.batch_alter_table('request_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_attachments_request_id'))

    op.drop_table('request_attachments')
    with op.batch_alter_table('client_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_client_requests_status_due')
        batch_op.drop_index(batch_op.f('ix_client_requests_parent_id'))
        batch_op.drop_index('ix_client_requests_manager_status')
        batch_op.drop_index('ix_client_requests_figures')
        batch_op.drop_index('ix_client_requests_company_status')
        batch_op.drop_index('ix_client_requests_closed')

    op.drop_table('client_requests')
    with op.batch_alter_table('key_accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_key_accounts_deputy_id'))

    op.drop_table('key_accounts')
    with op.batch_alter_table('account_handovers', schema=None) as batch_op:
        batch_op.drop_index('ix_account_handovers_company_at')

    op.drop_table('account_handovers')
