"""digest runs and their events

Revision 0001_digest_runs (the bot's part of `smartcart_schema` version 2): the delivery ledger,
one run per (channel, period) whose unique constraint is the claim, and every state transition.
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_digest_runs"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "digest_runs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("period", sa.String(40), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("owner", sa.String(40), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("sending_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("message_ts", sa.String(32), nullable=True),
        sa.Column("chart_file_id", sa.String(32), nullable=True),
        sa.Column("error", sa.String(500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("channel", "period", name="uq_digest_runs_channel_period"),
    )
    op.create_table(
        "digest_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("from_state", sa.String(20), nullable=True),
        sa.Column("to_state", sa.String(20), nullable=False),
        sa.Column("owner", sa.String(40), nullable=False),
        sa.Column("detail", sa.String(500), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["digest_runs.id"], ondelete="CASCADE"),
    )
    op.create_index("ix_digest_events_run_id", "digest_events", ["run_id"])


def downgrade() -> None:
    op.drop_index("ix_digest_events_run_id", table_name="digest_events")
    op.drop_table("digest_events")
    op.drop_table("digest_runs")
