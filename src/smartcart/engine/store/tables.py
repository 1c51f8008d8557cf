"""The engine's tables, as the code uses them (the store, snapshots, campaigns).

They are created and changed only by the frozen Alembic revisions in smartcart/engine/store/migrations/
(applied by `Store.migrate()` and `smartcart db upgrade`): changing a table here means adding a
revision there; tests/engine/store/test_migrations.py fails while the two disagree.
"""

from __future__ import annotations

import sqlalchemy as sa

from smartcart.engine.data import schema

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
    # Customers from orders (revision 0004_customer_keys): their own text id and their figures
    # as a JSON object; `customer_id` is then the key's number (data.customer_number).
    columns.append(
        sa.Column("customer_key", sa.String(320), nullable=True, unique=True, index=True)
    )
    columns.append(sa.Column("profile", sa.Text, nullable=True))
    # Their lifetime value and churn risk (revision 0005_customer_lifetime; smartcart.engine.
    # lifetime), empty for the study's customers and for order data without a lifetime model.
    columns += [
        sa.Column("predicted_orders_365d", sa.Float, nullable=True),
        sa.Column("predicted_clv_365d", sa.Float, nullable=True),
        sa.Column("historic_clv", sa.Float, nullable=True),
        sa.Column("probability_alive", sa.Float, nullable=True),
        sa.Column("churn_risk", sa.String(8), nullable=True, index=True),
        sa.Column("expected_next_order_at", sa.Date, nullable=True),
        sa.Column("average_days_between_orders", sa.Float, nullable=True),
        sa.Column("average_order_value", sa.Float, nullable=True),
    ]
    return columns


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


# History of the digest (revision 0002_history): one snapshot per digest period, its figures per
# persona, and each customer's persona in it (for movements between personas).
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
    # Revision 0007_history_churn_risk: the member's churn band and predicted value when the
    # snapshot was taken (empty without a lifetime model, and in older snapshots).
    sa.Column("churn_risk", sa.String(8), nullable=True),
    sa.Column("predicted_clv_365d", sa.Float, nullable=True),
)


# Campaigns (revision 0003_campaigns): one row per campaign (`export --campaign`), the group of
# each of its customers (target or control, fixed by a hash of campaign and customer id), and
# the responses loaded for its readout (campaigns.py, readouts.py).
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


# Erasures on request (revision 0006_forgotten_customers; store/erasure.py): who was forgotten,
# only as the HMAC of their id under SMARTCART_ERASURE_KEY, with a fingerprint of that key.
forgotten_customers = sa.Table(
    "forgotten_customers",
    metadata,
    sa.Column("customer_hash", sa.String(64), primary_key=True),
    sa.Column("key_check", sa.String(16), nullable=False),
    sa.Column("forgotten_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("forgotten_by", sa.String(64), nullable=False),
    sa.Column("reason", sa.String(500), nullable=True),
    sa.Column("removed", sa.JSON, nullable=False),
)
