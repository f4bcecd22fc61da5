"""search index: one folded document per company and contact, searched by the engine's own text index
(FTS5 trigram on SQLite; pg_trgm GIN and a Russian tsvector GIN on PostgreSQL); search_tokens keeps only
the identifier keys (phones, emails, INN).

Revision ID: 0011_search_index
Revises: 0008_accounts
Create Date: 2026-12-02 22:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_search_index'
down_revision = '0010_job_owner'
branch_labels = None
depends_on = None


def upgrade():
    from app.models.search import (POSTGRES_EXTENSION_DDL, POSTGRES_INDEX_DDL, SQLITE_INDEX_DDL)

    dialect = op.get_bind().dialect.name
    if dialect == 'postgresql':
        op.execute(POSTGRES_EXTENSION_DDL)
    op.create_table('search_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=300).with_variant(sa.String(length=300, collation='C'), 'postgresql'), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('active_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_documents'))
    )
    with op.batch_alter_table('search_documents', schema=None) as batch_op:
        batch_op.create_index('ix_search_documents_entity', ['kind', 'entity_id'], unique=True)
        batch_op.create_index('ix_search_documents_name', ['name'], unique=False)
    for statement in (POSTGRES_INDEX_DDL if dialect == 'postgresql' else SQLITE_INDEX_DDL):
        op.execute(statement)
    # Words now live in the documents; the token table keeps the identifier keys only.
    op.execute("DELETE FROM search_tokens WHERE field NOT IN ('phone', 'email', 'inn') "
               "OR (field = 'email' AND token NOT LIKE 'e%@%')")
    from sqlalchemy.orm import Session

    from app.services import search

    session = Session(bind=op.get_bind())
    search.fill_documents(session)


def downgrade():
    from app.models.search import SQLITE_DROP_DDL

    if op.get_bind().dialect.name == 'sqlite':
        for statement in SQLITE_DROP_DDL:
            op.execute(statement)
    else:
        op.execute("DROP INDEX IF EXISTS ix_search_documents_tsv")
        op.execute("DROP INDEX IF EXISTS ix_search_documents_trgm")
    with op.batch_alter_table('search_documents', schema=None) as batch_op:
        batch_op.drop_index('ix_search_documents_name')
        batch_op.drop_index('ix_search_documents_entity')
    op.drop_table('search_documents')
    # The word tokens of the old index come back with `flask crm reindex` on the older release.
