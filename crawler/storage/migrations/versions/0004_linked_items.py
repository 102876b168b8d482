"""cross-source item links (documents.linked_to, document_link_keys) and per-day completeness

Revision ID: 0004_linked_items
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from crawler.storage.models import UTCDateTime

revision = "0004_linked_items"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (no batch rebuild): rebuilding `documents` on SQLite would cascade-delete
    # every version and triage state that refers to it.
    op.add_column("documents", sa.Column("linked_to", sa.Integer(), nullable=True))
    op.create_index("ix_documents_linked_to", "documents", ["linked_to"])
    op.create_table(
        "document_link_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_document_link_keys_document_id", "document_link_keys", ["document_id"])
    op.create_index("ix_document_link_keys_key", "document_link_keys", ["key"])
    op.create_table(
        "day_completeness",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.String(length=100), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("expected", sa.Integer(), nullable=False),
        sa.Column("found", sa.Integer(), nullable=False),
        sa.Column("checked_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["crawl_runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_day_completeness_run_id", "day_completeness", ["run_id"])
    op.create_index("ix_day_completeness_source_day", "day_completeness", ["source_id", "day"])


def downgrade() -> None:
    op.drop_index("ix_day_completeness_source_day", table_name="day_completeness")
    op.drop_index("ix_day_completeness_run_id", table_name="day_completeness")
    op.drop_table("day_completeness")
    op.drop_index("ix_document_link_keys_key", table_name="document_link_keys")
    op.drop_index("ix_document_link_keys_document_id", table_name="document_link_keys")
    op.drop_table("document_link_keys")
    op.drop_index("ix_documents_linked_to", table_name="documents")
    op.drop_column("documents", "linked_to")  # native on SQLite >= 3.35, no table rebuild
