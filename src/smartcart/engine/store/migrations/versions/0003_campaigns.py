"""campaigns: holdout groups and responses

Revision 0003_campaigns (`smartcart_schema` version 4): one row per campaign, the group of each
of its customers (target or control) and the responses loaded for its readout.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_campaigns"
down_revision = "0002_history"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("persona", sa.String(40), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("holdout", sa.Float(), nullable=False),
        sa.Column("target_size", sa.Integer(), nullable=False),
        sa.Column("control_size", sa.Integer(), nullable=False),
        sa.Column("model_version", sa.String(40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("channel_id", sa.String(64), nullable=False),
        sa.Column("exports", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("responses_source", sa.String(300), nullable=True),
        sa.Column("responses_loaded_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "campaign_members",
        sa.Column("campaign_id", sa.Integer(), primary_key=True),
        sa.Column("customer_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("holdout_group", sa.String(8), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], ondelete="CASCADE"),
    )
    op.create_table(
        "campaign_responses",
        sa.Column("campaign_id", sa.Integer(), primary_key=True),
        sa.Column("customer_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("revenue", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], ondelete="CASCADE"),
    )


def downgrade() -> None:
    op.drop_table("campaign_responses")
    op.drop_table("campaign_members")
    op.drop_table("campaigns")
