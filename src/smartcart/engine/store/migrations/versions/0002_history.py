"""digest history: snapshots, per-persona figures and members

Revision 0002_history (the engine's part of `smartcart_schema` version 2): one snapshot per
digest period, its figures per persona, and each customer's persona in it.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_history"
down_revision = "0001_customers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "history_snapshots",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("period", sa.String(40), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("model_version", sa.String(40), nullable=False),
        sa.Column("customers", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(300), nullable=False),
        sa.Column("psi", sa.JSON(), nullable=False),
        sa.UniqueConstraint("period"),
    )
    op.create_index("ix_history_snapshots_scheduled_at", "history_snapshots", ["scheduled_at"])
    op.create_table(
        "history_segments",
        sa.Column("snapshot_id", sa.Integer(), primary_key=True),
        sa.Column("persona", sa.String(40), primary_key=True),
        sa.Column("period", sa.String(40), nullable=False),
        sa.Column("model_version", sa.String(40), nullable=False),
        sa.Column("customers", sa.Integer(), nullable=False),
        sa.Column("revenue", sa.Float(), nullable=False),
        sa.Column("avg_spend", sa.Float(), nullable=True),
        sa.Column("response_rate", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["snapshot_id"], ["history_snapshots.id"], ondelete="CASCADE"),
    )
    op.create_table(
        "history_members",
        sa.Column("snapshot_id", sa.Integer(), primary_key=True),
        sa.Column("customer_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("persona", sa.String(40), nullable=False),
        sa.ForeignKeyConstraint(["snapshot_id"], ["history_snapshots.id"], ondelete="CASCADE"),
    )


def downgrade() -> None:
    op.drop_table("history_members")
    op.drop_table("history_segments")
    op.drop_index("ix_history_snapshots_scheduled_at", table_name="history_snapshots")
    op.drop_table("history_snapshots")
