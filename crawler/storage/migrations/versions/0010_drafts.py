"""bulletin drafts: drafts (one per item: title, 摘要, kind, model, prompt version, when, by whom)

Revision ID: 0010_drafts
Revises: 0006_login_throttle
"""

import sqlalchemy as sa
from alembic import op

from crawler.storage.models import UTCDateTime

revision = "0010_drafts"
down_revision = "0006_login_throttle"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A new table only: the editorial title and 摘要 already live on triage_states (0002_web).
    op.create_table(
        "drafts",
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=True),
        sa.Column("prompt_version", sa.String(length=100), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("document_id"),
    )


def downgrade() -> None:
    op.drop_table("drafts")
