"""The digest's delivery ledger and subscriptions: the bot's tables in the store's database.

`digest_runs` has one row per (channel, period), whose unique constraint is the claim, and
`digest_events` every state transition of a run (smartcart/slack/digest/ledger.py); `digest_subscriptions`
the channels an admin subscribed, each with its schedule (smartcart/slack/digest/subscriptions.py).

They are created and changed only by the bot's frozen Alembic revisions (smartcart/slack/migrations/):
changing a table here means adding a revision there; tests/slack/test_migrations.py fails while
the two disagree.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

digest_runs = sa.Table(
    "digest_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("channel", sa.String(64), nullable=False),
    sa.Column("period", sa.String(40), nullable=False),
    sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("owner", sa.String(40), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("sending_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("message_ts", sa.String(32), nullable=True),
    sa.Column("chart_file_id", sa.String(32), nullable=True),
    sa.Column("error", sa.String(500), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
    sa.UniqueConstraint("channel", "period", name="uq_digest_runs_channel_period"),
)
digest_events = sa.Table(
    "digest_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "run_id",
        sa.Integer,
        sa.ForeignKey("digest_runs.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("from_state", sa.String(20), nullable=True),
    sa.Column("to_state", sa.String(20), nullable=False),
    sa.Column("owner", sa.String(40), nullable=False),
    sa.Column("detail", sa.String(500), nullable=True),
)

digest_subscriptions = sa.Table(
    "digest_subscriptions",
    metadata,
    sa.Column("channel", sa.String(64), primary_key=True),
    sa.Column("cron", sa.String(100), nullable=False),
    sa.Column("timezone", sa.String(64), nullable=False),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
