"""how each item was read (documents.extraction: source | generic), runs' generic items and warnings

Revision ID: 0005_generic_extraction
Revises: 0004_linked_items
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_generic_extraction"
down_revision = "0004_linked_items"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMNs with server defaults: no table rebuild, existing rows read as "source".
    op.add_column("documents", sa.Column("extraction", sa.String(length=10), nullable=False,
                                         server_default="source"))
    op.add_column("crawl_runs", sa.Column("items_generic", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("crawl_runs", sa.Column("warning_count", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    op.drop_column("crawl_runs", "warning_count")
    op.drop_column("crawl_runs", "items_generic")
    op.drop_column("documents", "extraction")
