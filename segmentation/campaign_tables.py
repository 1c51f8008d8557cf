"""The store's campaign tables (migration 4 in tables.MIGRATIONS); used by campaigns.py.

One row per campaign (`export --campaign`), the group of each of its customers (target or
control, fixed by a hash of campaign and customer id), and the responses loaded for its readout.
They have a MetaData of their own so that store.py can list them without an import cycle.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

campaign_metadata = sa.MetaData()

campaigns = sa.Table(
    "campaigns",
    campaign_metadata,
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
    campaign_metadata,
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
    campaign_metadata,
    sa.Column(
        "campaign_id",
        sa.Integer,
        sa.ForeignKey("campaigns.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("customer_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("revenue", sa.Float, nullable=True),
)


def create_campaign_tables(connection: Connection) -> None:
    campaign_metadata.create_all(
        connection, tables=[campaigns, campaign_members, campaign_responses]
    )
