"""home figures: the division's week counts every person's activities in a date range, and each person's home
page counts their open deals; without these indexes both read far more than they count.

Revision ID: 0013_home_figures
Revises: 0012_auth_security
"""
from alembic import op


revision = '0013_home_figures'
down_revision = '0012_auth_security'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_activities_at', 'activities', ['occurred_at'])
    op.create_index('ix_deals_owner_stage', 'deals', ['owner_id', 'stage'])


def downgrade():
    op.drop_index('ix_deals_owner_stage', table_name='deals')
    op.drop_index('ix_activities_at', table_name='activities')
