"""The store's schema as made before Alembic (main at 7935c76), frozen to test adoption.

`smartcart/engine/store/tables.py`, `campaign_tables.py` and `Store.migrate()` of that time: numbered
migrations applied by `create_all` on these tables, recorded in `smartcart_schema`. Tests build a
database the old way at any version, put rows in it, and upgrade it with today's code.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

metadata = sa.MetaData()

# schema.ALL_COLUMNS of that time, less ID, with their types (tables._customer_columns).
CUSTOMER_COLUMNS = [
    ("Year_Birth", sa.Integer),
    ("Education", sa.String(32)),
    ("Marital_Status", sa.String(32)),
    ("Income", sa.Float),
    ("Kidhome", sa.Integer),
    ("Teenhome", sa.Integer),
    ("Dt_Customer", sa.Date),
    *(
        (name, sa.Integer)
        for name in [
            "Recency",
            "MntWines",
            "MntFruits",
            "MntMeatProducts",
            "MntFishProducts",
            "MntSweetProducts",
            "MntGoldProds",
            "NumDealsPurchases",
            "NumWebPurchases",
            "NumCatalogPurchases",
            "NumStorePurchases",
            "NumWebVisitsMonth",
            "Complain",
            "Response",
            "AcceptedCmp1",
            "AcceptedCmp2",
            "AcceptedCmp3",
            "AcceptedCmp4",
            "AcceptedCmp5",
        ]
    ),
]


def _customer_columns() -> list[sa.Column]:
    columns = [sa.Column("customer_id", sa.BigInteger, primary_key=True, autoincrement=False)]
    columns += [sa.Column(name, kind, nullable=True) for name, kind in CUSTOMER_COLUMNS]
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
# by heartbeat and anyone may take the row over once it has expired (smartcart/slack/lease.py).
leases = sa.Table(
    "leases",
    metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("holder", sa.String(200), nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
    sa.Column("acquired_at", sa.Float, nullable=False),
)


campaigns = sa.Table(
    "campaigns",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(64), nullable=False, unique=True),
    sa.Column("persona", sa.String(40), nullable=False),
    sa.Column("filters", sa.JSON, nullable=False),
    sa.Column("holdout", sa.Float, nullable=False),
    sa.Column("target_size", sa.Integer, nullable=False),
    sa.Column("control_size", sa.Integer, nullable=False),
    sa.Column("model_version", sa.String(40), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("channel_id", sa.String(64), nullable=False),
    sa.Column("exports", sa.Integer, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("responses_source", sa.String(300), nullable=True),
    sa.Column("responses_loaded_at", sa.DateTime(timezone=True), nullable=True),
)
campaign_members = sa.Table(
    "campaign_members",
    metadata,
    sa.Column(
        "campaign_id",
        sa.Integer,
        sa.ForeignKey("campaigns.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("customer_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("holdout_group", sa.String(8), nullable=False),
)
campaign_responses = sa.Table(
    "campaign_responses",
    metadata,
    sa.Column(
        "campaign_id",
        sa.Integer,
        sa.ForeignKey("campaigns.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("customer_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("revenue", sa.Float, nullable=True),
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
    (
        4,
        "campaigns: holdout groups and responses",
        _create(campaigns, campaign_members, campaign_responses),
    ),
    (5, "leases: the one scheduler across workers and replicas", _create(leases)),
]


def make_database(engine: Engine, version: int) -> None:
    """The old `Store.migrate()`, stopped after `version`: each migration in its transaction."""
    with engine.begin() as connection:
        metadata.create_all(connection, tables=[schema_versions])
    for number, name, migration in MIGRATIONS[:version]:
        with engine.begin() as connection:
            migration(connection)
            connection.execute(
                schema_versions.insert().values(
                    version=number, name=name, applied_at=datetime.now(UTC)
                )
            )


AT = datetime(2024, 4, 1, 7, 0, tzinfo=UTC)
CUSTOMER = {name: 1 for name, kind in CUSTOMER_COLUMNS if kind is sa.Integer}
CUSTOMER.update(
    Education="Graduation", Marital_Status="Married", Income=58138.0, Dt_Customer=date(2012, 9, 4)
)
# Rows for every table, by the migration that made it: what adoption must keep.
ROWS: dict[int, list[tuple[sa.Table, list[dict]]]] = {
    1: [
        (customers, [{"customer_id": 5524, **CUSTOMER, "loaded_at": AT}]),
        (
            assignments,
            [
                {
                    "customer_id": 5524,
                    "model_version": "v1",
                    "cluster": 2,
                    "persona": "premium",
                    "confidence": 0.8,
                    "scored_at": AT,
                }
            ],
        ),
        (
            audit_log,
            [
                {
                    "at": AT,
                    "user_id": "U1",
                    "channel_id": "C1",
                    "action": "lookup",
                    "target": "5524",
                    "allowed": True,
                    "rows": 1,
                }
            ],
        ),
    ],
    2: [
        (
            history_snapshots,
            [
                {
                    "id": 1,
                    "period": "2024-W14",
                    "scheduled_at": AT,
                    "taken_at": AT,
                    "model_version": "v1",
                    "customers": 1,
                    "source": "customers.csv",
                    "psi": {"Income": 0.01},
                }
            ],
        ),
        (
            history_segments,
            [
                {
                    "snapshot_id": 1,
                    "persona": "premium",
                    "period": "2024-W14",
                    "model_version": "v1",
                    "customers": 1,
                    "revenue": 1200.0,
                    "avg_spend": 1200.0,
                    "response_rate": 0.0,
                }
            ],
        ),
        (history_members, [{"snapshot_id": 1, "customer_id": 5524, "persona": "premium"}]),
        (
            digest_runs,
            [
                {
                    "id": 1,
                    "channel": "C1",
                    "period": "2024-W14",
                    "scheduled_at": AT,
                    "state": "posted",
                    "owner": "host:1",
                    "attempts": 1,
                    "message_ts": "1712.0001",
                    "created_at": AT,
                    "updated_at": AT,
                    "posted_at": AT,
                }
            ],
        ),
        (
            digest_events,
            [{"run_id": 1, "at": AT, "to_state": "posted", "owner": "host:1", "detail": "ok"}],
        ),
    ],
    3: [
        (
            digest_subscriptions,
            [
                {
                    "channel": "C2",
                    "cron": "0 9 * * mon",
                    "timezone": "Europe/Berlin",
                    "created_by": "U1",
                    "created_at": AT,
                }
            ],
        )
    ],
    4: [
        (
            campaigns,
            [
                {
                    "id": 1,
                    "name": "spring",
                    "persona": "premium",
                    "filters": {"top": 10},
                    "holdout": 0.1,
                    "target_size": 1,
                    "control_size": 0,
                    "model_version": "v1",
                    "created_at": AT,
                    "created_by": "U1",
                    "channel_id": "C1",
                    "exports": 1,
                    "updated_at": AT,
                }
            ],
        ),
        (campaign_members, [{"campaign_id": 1, "customer_id": 5524, "holdout_group": "target"}]),
        (campaign_responses, [{"campaign_id": 1, "customer_id": 5524, "revenue": 80.0}]),
    ],
    5: [
        (leases, [{"name": "scheduler", "holder": "host:1", "expires_at": 1e9, "acquired_at": 1e9}])
    ],
}


def fill(engine: Engine, version: int) -> None:
    """A row in every table a database at `version` has."""
    with engine.begin() as connection:
        for number in range(1, version + 1):
            for table, rows in ROWS[number]:
                connection.execute(table.insert(), rows)
