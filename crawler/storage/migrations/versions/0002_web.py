"""triage web app: users, editorial title and 摘要 on triage states, full-text search index

Revision ID: 0002_web
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from crawler.storage.models import UTCDateTime
from crawler.storage.search import POSTGRES_TABLE, SQLITE_TABLE, execute_index, index_body

revision = "0002_web"
down_revision = "0001"
branch_labels = None
depends_on = None
BACKFILL_BATCH = 500


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("language", sa.String(length=10), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", name="uq_users_name"),
    )
    # Plain ADD COLUMN: a batch rebuild of triage_states is not needed for nullable columns.
    op.add_column("triage_states", sa.Column("editorial_title", sa.Text(), nullable=True))
    op.add_column("triage_states", sa.Column("editorial_summary", sa.Text(), nullable=True))
    op.create_index("ix_triage_month_section", "triage_states", ["bulletin_month", "section"])
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute(f"CREATE VIRTUAL TABLE {SQLITE_TABLE} USING fts5(body, tokenize = 'unicode61 remove_diacritics 0')")
        op.execute(f"CREATE TRIGGER {SQLITE_TABLE}_delete AFTER DELETE ON documents "
                   f"BEGIN DELETE FROM {SQLITE_TABLE} WHERE rowid = old.id; END")
    else:
        op.create_table(
            POSTGRES_TABLE,
            sa.Column("document_id", sa.Integer(), nullable=False),
            sa.Column("body", sa.dialects.postgresql.TSVECTOR(), nullable=False),
            sa.ForeignKeyConstraint(["document_id"], ["documents.id"], ondelete="CASCADE"),
            sa.PrimaryKeyConstraint("document_id"),
        )
        op.create_index("ix_document_search_body", POSTGRES_TABLE, ["body"], postgresql_using="gin")
    _index_stored_documents(bind)


def _index_stored_documents(bind) -> None:
    """Documents stored before this migration, read in batches by id (their texts may be large)."""
    query = sa.text("SELECT id, title, summary, text FROM documents WHERE id > :after ORDER BY id LIMIT :n")
    after = 0
    while batch := bind.execute(query, {"after": after, "n": BACKFILL_BATCH}).all():
        execute_index(bind, [{"id": r.id, "body": index_body(r.title, r.summary, r.text)} for r in batch],
                      replace=False)
        after = batch[-1].id


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"DROP TRIGGER IF EXISTS {SQLITE_TABLE}_delete")
        op.execute(f"DROP TABLE IF EXISTS {SQLITE_TABLE}")
    else:
        op.drop_table(POSTGRES_TABLE)
    op.drop_index("ix_triage_month_section", table_name="triage_states")
    op.drop_column("triage_states", "editorial_summary")
    op.drop_column("triage_states", "editorial_title")
    op.drop_table("users")
