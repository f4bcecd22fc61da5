"""search name trigrams: PostgreSQL looks for a typo in the folded names through their own trigram index; over the
whole searchable text it re-checked every body sharing the query's trigrams (10-12 ms a typo at 200,000 companies).

Revision ID: 0014_search_name_trigrams
Revises: 0013_home_figures
"""
from alembic import op

revision = '0014_search_name_trigrams'
down_revision = '0013_home_figures'
branch_labels = None
depends_on = None


def upgrade():
    from app.models.search import POSTGRES_NAME_TRIGRAMS_DDL

    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_NAME_TRIGRAMS_DDL)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_search_documents_name_trgm")
