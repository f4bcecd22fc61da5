"""workflows: boards, their columns, cards with checklists, comments, links and history

Revision ID: 0005_workflows
Revises: 0004_promotion
Create Date: 2026-11-27 07:04:10.761661

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_workflows'
down_revision = '0004_promotion'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('boards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workflow_key', sa.String(length=80), nullable=False),
    sa.Column('title_ru', sa.String(length=300), nullable=False),
    sa.Column('title_en', sa.String(length=300), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('started_by_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['started_by_id'], ['users.id'], name=op.f('fk_boards_started_by_id_users')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_boards_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_boards'))
    )
    with op.batch_alter_table('boards', schema=None) as batch_op:
        batch_op.create_index('ix_boards_key_unit', ['workflow_key', 'unit_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_boards_unit_id'), ['unit_id'], unique=False)

    op.create_table('board_columns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('board_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('title_ru', sa.String(length=120), nullable=False),
    sa.Column('title_en', sa.String(length=120), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('wip_limit', sa.Integer(), nullable=True),
    sa.Column('is_done', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['board_id'], ['boards.id'], name=op.f('fk_board_columns_board_id_boards'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_board_columns'))
    )
    with op.batch_alter_table('board_columns', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_board_columns_board_id'), ['board_id'], unique=False)

    op.create_table('board_cards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('board_id', sa.Integer(), nullable=False),
    sa.Column('column_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('priority', sa.String(length=10), nullable=False),
    sa.Column('blocked', sa.Boolean(), nullable=False),
    sa.Column('carried_over', sa.Boolean(), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_board_cards_assignee_id_users')),
    sa.ForeignKeyConstraint(['board_id'], ['boards.id'], name=op.f('fk_board_cards_board_id_boards'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['column_id'], ['board_columns.id'], name=op.f('fk_board_cards_column_id_board_columns')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_board_cards_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_board_cards'))
    )
    with op.batch_alter_table('board_cards', schema=None) as batch_op:
        batch_op.create_index('ix_board_cards_assignee_due', ['assignee_id', 'due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_board_cards_column_id'), ['column_id'], unique=False)
        batch_op.create_index('ix_board_cards_column_pos', ['board_id', 'column_id', 'position'], unique=False)
        batch_op.create_index(batch_op.f('ix_board_cards_done_at'), ['done_at'], unique=False)

    op.create_table('card_checklist_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('card_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.String(length=300), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('done', sa.Boolean(), nullable=False),
    sa.Column('done_by_id', sa.Integer(), nullable=True),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['card_id'], ['board_cards.id'], name=op.f('fk_card_checklist_items_card_id_board_cards'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['done_by_id'], ['users.id'], name=op.f('fk_card_checklist_items_done_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_card_checklist_items'))
    )
    with op.batch_alter_table('card_checklist_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_card_checklist_items_card_id'), ['card_id'], unique=False)

    op.create_table('card_comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('card_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_card_comments_author_id_users')),
    sa.ForeignKeyConstraint(['card_id'], ['board_cards.id'], name=op.f('fk_card_comments_card_id_board_cards'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_card_comments'))
    )
    with op.batch_alter_table('card_comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_card_comments_card_id'), ['card_id'], unique=False)

    op.create_table('card_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('card_id', sa.Integer(), nullable=False),
    sa.Column('board_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('from_column_id', sa.Integer(), nullable=True),
    sa.Column('to_column_id', sa.Integer(), nullable=True),
    sa.Column('other_user_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=300), nullable=True),
    sa.ForeignKeyConstraint(['board_id'], ['boards.id'], name=op.f('fk_card_events_board_id_boards'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['card_id'], ['board_cards.id'], name=op.f('fk_card_events_card_id_board_cards'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['from_column_id'], ['board_columns.id'], name=op.f('fk_card_events_from_column_id_board_columns'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['other_user_id'], ['users.id'], name=op.f('fk_card_events_other_user_id_users')),
    sa.ForeignKeyConstraint(['to_column_id'], ['board_columns.id'], name=op.f('fk_card_events_to_column_id_board_columns'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_card_events_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_card_events'))
    )
    with op.batch_alter_table('card_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_card_events_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_card_events_board_id'), ['board_id'], unique=False)
        batch_op.create_index('ix_card_events_card_at', ['card_id', 'at'], unique=False)

    op.create_table('card_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('card_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['card_id'], ['board_cards.id'], name=op.f('fk_card_links_card_id_board_cards'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_card_links'))
    )
    with op.batch_alter_table('card_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_card_links_card_id'), ['card_id'], unique=False)
        batch_op.create_index('ix_card_links_target', ['kind', 'target_id'], unique=False)



def downgrade():
    with op.batch_alter_table('card_links', schema=None) as batch_op:
        batch_op.drop_index('ix_card_links_target')
        batch_op.drop_index(batch_op.f('ix_card_links_card_id'))

    op.drop_table('card_links')
    with op.batch_alter_table('card_events', schema=None) as batch_op:
        batch_op.drop_index('ix_card_events_card_at')
        batch_op.drop_index(batch_op.f('ix_card_events_board_id'))
        batch_op.drop_index(batch_op.f('ix_card_events_at'))

    op.drop_table('card_events')
    with op.batch_alter_table('card_comments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_card_comments_card_id'))

    op.drop_table('card_comments')
    with op.batch_alter_table('card_checklist_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_card_checklist_items_card_id'))

    op.drop_table('card_checklist_items')
    with op.batch_alter_table('board_cards', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_board_cards_done_at'))
        batch_op.drop_index('ix_board_cards_column_pos')
        batch_op.drop_index(batch_op.f('ix_board_cards_column_id'))
        batch_op.drop_index('ix_board_cards_assignee_due')

    op.drop_table('board_cards')
    with op.batch_alter_table('board_columns', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_board_columns_board_id'))

    op.drop_table('board_columns')
    with op.batch_alter_table('boards', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_boards_unit_id'))
        batch_op.drop_index('ix_boards_key_unit')

    op.drop_table('boards')
