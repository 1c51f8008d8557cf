"""The store's tables and its migrations (each applied once, in order, in its own transaction).

Append new migrations; never edit or reorder applied ones.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from segmentation import schema
from segmentation.campaign_tables import create_campaign_tables

metadata = sa.MetaData()


def _customer_columns() -> list[sa.Column]:
    columns = [sa.Column("customer_id", sa.BigInteger, primary_key=True, autoincrement=False)]
    for name in schema.ALL_COLUMNS:
        if name == schema.ID:
            continue
        if name == "Dt_Customer":
            kind = sa.Date
        elif name == "Income":
            kind = sa.Float
        elif name in schema.CATEGORY_COLUMNS:
            kind = sa.String(32)
        else:
            kind = sa.Integer
        columns.append(sa.Column(name, kind, nullable=True))
    columns.append(sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False))
    return columns


schema_versions = sa.Table(
    "smartcart_schema",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
)
customers = sa.Table("customers", metadata, *_customer_columns())
assignments = sa.Table(
    "assignments",
    metadata,
    sa.Column("customer_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("model_version", sa.String(40), nullable=False),
    sa.Column("cluster", sa.Integer, nullable=False),
    sa.Column("persona", sa.String(40), nullable=False, index=True),
    sa.Column("confidence", sa.Float, nullable=False),
    sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
)
audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("user_id", sa.String(64), nullable=False),
    sa.Column("channel_id", sa.String(64), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("target", sa.String(200), nullable=False),
    sa.Column("allowed", sa.Boolean, nullable=False),
    sa.Column("rows", sa.Integer, nullable=True),
    sa.Column("detail", sa.String(500), nullable=True),
)


# History of the digest (migration 2): one snapshot per digest period, its figures per persona,
# each customer's persona in it (for movements between personas), and the digest runs with one
# row per (channel, period) whose unique constraint is the claim, plus every state transition.
history_snapshots = sa.Table(
    "history_snapshots",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("period", sa.String(40), nullable=False, unique=True),
    sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("model_version", sa.String(40), nullable=False),
    sa.Column("customers", sa.Integer, nullable=False),
    sa.Column("source", sa.String(300), nullable=False),
    sa.Column("psi", sa.JSON, nullable=False),
)
history_segments = sa.Table(
    "history_segments",
    metadata,
    sa.Column(
        "snapshot_id",
        sa.Integer,
        sa.ForeignKey("history_snapshots.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("persona", sa.String(40), primary_key=True),
    sa.Column("period", sa.String(40), nullable=False),
    sa.Column("model_version", sa.String(40), nullable=False),
    sa.Column("customers", sa.Integer, nullable=False),
    sa.Column("revenue", sa.Float, nullable=False),
    sa.Column("avg_spend", sa.Float, nullable=True),
    sa.Column("response_rate", sa.Float, nullable=True),
)
history_members = sa.Table(
    "history_members",
    metadata,
    sa.Column(
        "snapshot_id",
        sa.Integer,
        sa.ForeignKey("history_snapshots.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("customer_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("persona", sa.String(40), nullable=False),
)
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

# Channels an admin subscribed to the digest, each with its schedule (migration 3).
digest_subscriptions = sa.Table(
    "digest_subscriptions",
    metadata,
    sa.Column("channel", sa.String(64), primary_key=True),
    sa.Column("cron", sa.String(100), nullable=False),
    sa.Column("timezone", sa.String(64), nullable=False),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

# Leases (migration 4, issue 9): who holds a role that exactly one process may have at a time
# (the scheduler). `expires_at` is Unix time in seconds (0 once released); the holder renews it
# by heartbeat and anyone may take the row over once it has expired (bot/lease.py).
leases = sa.Table(
    "leases",
    metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("holder", sa.String(200), nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
    sa.Column("acquired_at", sa.Float, nullable=False),
)


def _create(*tables: sa.Table) -> Callable[[Connection], None]:
    def migrate(connection: Connection) -> None:
        metadata.create_all(connection, tables=list(tables))

    return migrate


# (version, name, migration). Append new ones; never edit or reorder applied ones.
MIGRATIONS: list[tuple[int, str, Callable[[Connection], None]]] = [
    (1, "customers, assignments and audit log", _create(customers, assignments, audit_log)),
    (
        2,
        "digest history: snapshots, segments, members, runs and their events",
        _create(history_snapshots, history_segments, history_members, digest_runs, digest_events),
    ),
    (3, "digest subscriptions of channels", _create(digest_subscriptions)),
    (4, "campaigns: holdout groups and responses", create_campaign_tables),
    (5, "leases: the one scheduler across workers and replicas", _create(leases)),
]
