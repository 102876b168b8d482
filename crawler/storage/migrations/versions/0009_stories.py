"""stories: one event seen through several sources (stories, story_members, story_keys)

Revision ID: 0009_stories
Revises: 0006_login_throttle
"""

import sqlalchemy as sa
from alembic import op

from crawler.storage.models import UTCDateTime

revision = "0009_stories"
down_revision = "0006_login_throttle"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("head_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["head_id"], ["documents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_stories_head_id", "stories", ["head_id"])
    op.create_table(
        "story_members",
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("story_id", sa.Integer(), nullable=True),
        sa.Column("head_id", sa.Integer(), nullable=True),
        sa.Column("joined_by", sa.JSON(), nullable=True),
        sa.Column("joined_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("split_by_editor", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("split_by", sa.String(length=100), nullable=True),
        sa.Column("split_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["story_id"], ["stories.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("document_id"),
    )
    op.create_index("ix_story_members_story_id", "story_members", ["story_id"])
    op.create_index("ix_story_members_head_id", "story_members", ["head_id"])
    op.create_table(
        "story_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=420), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_story_keys_document_id", "story_keys", ["document_id"])
    op.create_index("ix_story_keys_key_source", "story_keys", ["key", "source_id"])


def downgrade() -> None:
    op.drop_index("ix_story_keys_key_source", table_name="story_keys")
    op.drop_index("ix_story_keys_document_id", table_name="story_keys")
    op.drop_table("story_keys")
    op.drop_index("ix_story_members_head_id", table_name="story_members")
    op.drop_index("ix_story_members_story_id", table_name="story_members")
    op.drop_table("story_members")
    op.drop_index("ix_stories_head_id", table_name="stories")
    op.drop_table("stories")
