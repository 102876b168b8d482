"""how an item's relevance was made (documents.relevance_detail: prior, terms, model, parts) and by
which trained model (documents.relevance_model_version)

Revision ID: 0008_relevance_model
Revises: 0006_login_throttle
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_relevance_model"
down_revision = "0006_login_throttle"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable plain ADD COLUMNs: no table rebuild; rows stored before read as scored by terms only.
    op.add_column("documents", sa.Column("relevance_detail", sa.JSON(), nullable=True))
    op.add_column("documents", sa.Column("relevance_model_version", sa.String(length=80), nullable=True))


def downgrade() -> None:
    op.drop_column("documents", "relevance_model_version")
    op.drop_column("documents", "relevance_detail")
