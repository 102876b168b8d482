"""login throttling and session epochs: login_attempts, login_locks, users.session_epoch

Revision ID: 0006_login_throttle
Revises: 0005_generic_extraction
"""

import sqlalchemy as sa
from alembic import op

from crawler.storage.models import UTCDateTime

revision = "0006_login_throttle"
down_revision = "0005_generic_extraction"
branch_labels = None
# The users table comes from the web branch (0002_web), not from this one's parents.
depends_on = "0002_web"


def upgrade() -> None:
    # A plain ADD COLUMN with a server default (no batch rebuild): existing sessions carry no epoch
    # and read as 0, so nobody is logged out by the upgrade itself.
    op.add_column("users", sa.Column("session_epoch", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("address", sa.String(length=100), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_login_attempts_name_at", "login_attempts", ["name", "at"])
    op.create_index("ix_login_attempts_address_at", "login_attempts", ["address", "at"])
    op.create_table(
        "login_locks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("locked_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("locked_until", UTCDateTime(timezone=True), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("last_address", sa.String(length=100), nullable=False),
        sa.Column("refused", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("lifted_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("lifted_by", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_login_locks_kind_key", "login_locks", ["kind", "key"])


def downgrade() -> None:
    op.drop_index("ix_login_locks_kind_key", table_name="login_locks")
    op.drop_table("login_locks")
    op.drop_index("ix_login_attempts_address_at", table_name="login_attempts")
    op.drop_index("ix_login_attempts_name_at", table_name="login_attempts")
    op.drop_table("login_attempts")
    op.drop_column("users", "session_epoch")  # native on SQLite >= 3.35, no table rebuild
