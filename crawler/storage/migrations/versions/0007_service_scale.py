"""service at scale: run_leases (one run per source at a time), active_runs (queued and running
runs), alert_deliveries.claimed_by/claimed_at (one dispatcher per delivery)

Revision ID: 0007_service_scale
Revises: 0006_login_throttle
"""

import sqlalchemy as sa
from alembic import op

from crawler.storage.models import UTCDateTime

revision = "0007_service_scale"
down_revision = "0006_login_throttle"
branch_labels = None
# alert_deliveries comes from the scheduler branch (0003_scheduler), not from this one's parents.
depends_on = "0003_scheduler"


def upgrade() -> None:
    op.create_table(
        "run_leases",
        sa.Column("source_id", sa.String(length=100), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("taken_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source_id"),
    )
    op.create_table(
        "active_runs",
        sa.Column("source_id", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("since", UTCDateTime(timezone=True), nullable=False),
        sa.Column("worker", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("source_id"),
    )
    # Plain ADD COLUMN (no batch rebuild): existing deliveries are unclaimed.
    op.add_column("alert_deliveries", sa.Column("claimed_by", sa.String(length=100), nullable=True))
    op.add_column("alert_deliveries", sa.Column("claimed_at", UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("alert_deliveries", "claimed_at")
    op.drop_column("alert_deliveries", "claimed_by")
    op.drop_table("active_runs")
    op.drop_table("run_leases")
