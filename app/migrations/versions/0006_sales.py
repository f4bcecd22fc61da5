"""Sales work: materials library (with products, client types, sellers, uses), weekly plans and tasks, surveys.

Revision ID: 0006_sales
Revises: 0005_workflows
Create Date: 2026-11-27 (surveys.campaign_id is a plain integer until campaigns are merged)

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_sales'
down_revision = '0005_workflows'
branch_labels = None
depends_on = None


def upgrade():
    # Covering indexes on two foundation tables, for the revenue analysis (see app/models/deals.py).
    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.create_index('ix_deals_revenue', ['stage', 'closed_on', 'company_id'], unique=False)
    with op.batch_alter_table('deal_lines', schema=None) as batch_op:
        batch_op.create_index('ix_deal_lines_revenue', ['deal_id', 'product_id', 'amount'], unique=False)
    op.create_table('materials',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('link', sa.String(length=1000), nullable=True),
    sa.Column('file_name', sa.String(length=255), nullable=True),
    sa.Column('stored_name', sa.String(length=64), nullable=True),
    sa.Column('content_type', sa.String(length=120), nullable=True),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('edition', sa.String(length=40), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('private', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_materials_author_id_users')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_materials_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_materials')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_materials_stored_name'))
    )
    with op.batch_alter_table('materials', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_materials_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_materials_unit_id'), ['unit_id'], unique=False)

    op.create_table('surveys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_surveys_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_surveys'))
    )
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_surveys_campaign_id'), ['campaign_id'], unique=False)

    op.create_table('week_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seller_id', sa.Integer(), nullable=False),
    sa.Column('week_start', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('worked', sa.Text(), nullable=True),
    sa.Column('not_worked', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['approved_by_id'], ['users.id'], name=op.f('fk_week_plans_approved_by_id_users')),
    sa.ForeignKeyConstraint(['seller_id'], ['users.id'], name=op.f('fk_week_plans_seller_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_week_plans')),
    sa.UniqueConstraint('seller_id', 'week_start', name=op.f('uq_week_plans_seller_id'))
    )
    with op.batch_alter_table('week_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_week_plans_seller_id'), ['seller_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_week_plans_week_start'), ['week_start'], unique=False)

    op.create_table('material_client_types',
    sa.Column('material_id', sa.Integer(), nullable=False),
    sa.Column('client_type_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['client_type_id'], ['client_types.id'], name=op.f('fk_material_client_types_client_type_id_client_types'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['material_id'], ['materials.id'], name=op.f('fk_material_client_types_material_id_materials'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('material_id', 'client_type_id', name=op.f('pk_material_client_types'))
    )
    with op.batch_alter_table('material_client_types', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_material_client_types_client_type_id'), ['client_type_id'], unique=False)

    op.create_table('material_products',
    sa.Column('material_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['material_id'], ['materials.id'], name=op.f('fk_material_products_material_id_materials'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_material_products_product_id_products'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('material_id', 'product_id', name=op.f('pk_material_products'))
    )
    with op.batch_alter_table('material_products', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_material_products_product_id'), ['product_id'], unique=False)

    op.create_table('material_sellers',
    sa.Column('material_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['material_id'], ['materials.id'], name=op.f('fk_material_sellers_material_id_materials'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_material_sellers_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('material_id', 'user_id', name=op.f('pk_material_sellers'))
    )
    with op.batch_alter_table('material_sellers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_material_sellers_user_id'), ['user_id'], unique=False)

    op.create_table('survey_invites',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('nonce', sa.String(length=32), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_survey_invites_company_id_companies')),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_survey_invites_survey_id_surveys'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_invites')),
    sa.UniqueConstraint('survey_id', 'company_id', name=op.f('uq_survey_invites_survey_id'))
    )
    with op.batch_alter_table('survey_invites', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_invites_survey_id'), ['survey_id'], unique=False)

    op.create_table('survey_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('text', sa.String(length=500), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('choices', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_survey_questions_survey_id_surveys'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_questions'))
    )
    with op.batch_alter_table('survey_questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_questions_survey_id'), ['survey_id'], unique=False)

    op.create_table('survey_targets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('product_line', sa.String(length=120), nullable=False),
    sa.Column('client_type_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['client_type_id'], ['client_types.id'], name=op.f('fk_survey_targets_client_type_id_client_types')),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_survey_targets_survey_id_surveys'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_targets'))
    )
    with op.batch_alter_table('survey_targets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_targets_survey_id'), ['survey_id'], unique=False)

    op.create_table('survey_responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('invite_id', sa.Integer(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_survey_responses_company_id_companies')),
    sa.ForeignKeyConstraint(['invite_id'], ['survey_invites.id'], name=op.f('fk_survey_responses_invite_id_survey_invites'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_survey_responses_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_survey_responses_survey_id_surveys'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_responses'))
    )
    with op.batch_alter_table('survey_responses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_responses_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_responses_survey_id'), ['survey_id'], unique=False)

    op.create_table('survey_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['question_id'], ['survey_questions.id'], name=op.f('fk_survey_answers_question_id_survey_questions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['response_id'], ['survey_responses.id'], name=op.f('fk_survey_answers_response_id_survey_responses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_answers'))
    )
    with op.batch_alter_table('survey_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_answers_question_id'), ['question_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_answers_response_id'), ['response_id'], unique=False)

    op.create_table('material_uses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('material_id', sa.Integer(), nullable=False),
    sa.Column('deal_id', sa.Integer(), nullable=True),
    sa.Column('activity_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_material_uses_activity_id_activities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['deal_id'], ['deals.id'], name=op.f('fk_material_uses_deal_id_deals'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['material_id'], ['materials.id'], name=op.f('fk_material_uses_material_id_materials'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_material_uses_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_material_uses'))
    )
    with op.batch_alter_table('material_uses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_material_uses_activity_id'), ['activity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_material_uses_deal_id'), ['deal_id'], unique=False)
        batch_op.create_index('ix_material_uses_material_deal', ['material_id', 'deal_id'], unique=False)

    op.create_table('plan_tasks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('deal_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('expected_result', sa.String(length=500), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('done', sa.Boolean(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=True),
    sa.Column('successful', sa.Boolean(), nullable=True),
    sa.Column('outcome', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_plan_tasks_activity_id_activities'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_plan_tasks_company_id_companies')),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_plan_tasks_contact_id_contacts')),
    sa.ForeignKeyConstraint(['deal_id'], ['deals.id'], name=op.f('fk_plan_tasks_deal_id_deals')),
    sa.ForeignKeyConstraint(['plan_id'], ['week_plans.id'], name=op.f('fk_plan_tasks_plan_id_week_plans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_tasks'))
    )
    with op.batch_alter_table('plan_tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_tasks_company_id'), ['company_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_tasks_deal_id'), ['deal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_tasks_plan_id'), ['plan_id'], unique=False)



def downgrade():
    with op.batch_alter_table('deal_lines', schema=None) as batch_op:
        batch_op.drop_index('ix_deal_lines_revenue')
    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.drop_index('ix_deals_revenue')
    with op.batch_alter_table('plan_tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_tasks_plan_id'))
        batch_op.drop_index(batch_op.f('ix_plan_tasks_deal_id'))
        batch_op.drop_index(batch_op.f('ix_plan_tasks_company_id'))

    op.drop_table('plan_tasks')
    with op.batch_alter_table('material_uses', schema=None) as batch_op:
        batch_op.drop_index('ix_material_uses_material_deal')
        batch_op.drop_index(batch_op.f('ix_material_uses_deal_id'))
        batch_op.drop_index(batch_op.f('ix_material_uses_activity_id'))

    op.drop_table('material_uses')
    with op.batch_alter_table('survey_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_answers_response_id'))
        batch_op.drop_index(batch_op.f('ix_survey_answers_question_id'))

    op.drop_table('survey_answers')
    with op.batch_alter_table('survey_responses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_responses_survey_id'))
        batch_op.drop_index(batch_op.f('ix_survey_responses_created_at'))

    op.drop_table('survey_responses')
    with op.batch_alter_table('survey_targets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_targets_survey_id'))

    op.drop_table('survey_targets')
    with op.batch_alter_table('survey_questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_questions_survey_id'))

    op.drop_table('survey_questions')
    with op.batch_alter_table('survey_invites', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_invites_survey_id'))

    op.drop_table('survey_invites')
    with op.batch_alter_table('material_sellers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_material_sellers_user_id'))

    op.drop_table('material_sellers')
    with op.batch_alter_table('material_products', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_material_products_product_id'))

    op.drop_table('material_products')
    with op.batch_alter_table('material_client_types', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_material_client_types_client_type_id'))

    op.drop_table('material_client_types')
    with op.batch_alter_table('week_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_week_plans_week_start'))
        batch_op.drop_index(batch_op.f('ix_week_plans_seller_id'))

    op.drop_table('week_plans')
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_surveys_campaign_id'))

    op.drop_table('surveys')
    with op.batch_alter_table('materials', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_materials_unit_id'))
        batch_op.drop_index(batch_op.f('ix_materials_author_id'))

    op.drop_table('materials')
