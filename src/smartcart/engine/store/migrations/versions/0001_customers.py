"""customers, assignments and audit log

Revision 0001_customers: the store as first made (`smartcart_schema` version 1): customers as
loaded, in the published columns, their current segment, and the audit trail.
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_customers"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("customer_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("Year_Birth", sa.Integer(), nullable=True),
        sa.Column("Education", sa.String(32), nullable=True),
        sa.Column("Marital_Status", sa.String(32), nullable=True),
        sa.Column("Income", sa.Float(), nullable=True),
        sa.Column("Kidhome", sa.Integer(), nullable=True),
        sa.Column("Teenhome", sa.Integer(), nullable=True),
        sa.Column("Dt_Customer", sa.Date(), nullable=True),
        sa.Column("Recency", sa.Integer(), nullable=True),
        sa.Column("MntWines", sa.Integer(), nullable=True),
        sa.Column("MntFruits", sa.Integer(), nullable=True),
        sa.Column("MntMeatProducts", sa.Integer(), nullable=True),
        sa.Column("MntFishProducts", sa.Integer(), nullable=True),
        sa.Column("MntSweetProducts", sa.Integer(), nullable=True),
        sa.Column("MntGoldProds", sa.Integer(), nullable=True),
        sa.Column("NumDealsPurchases", sa.Integer(), nullable=True),
        sa.Column("NumWebPurchases", sa.Integer(), nullable=True),
        sa.Column("NumCatalogPurchases", sa.Integer(), nullable=True),
        sa.Column("NumStorePurchases", sa.Integer(), nullable=True),
        sa.Column("NumWebVisitsMonth", sa.Integer(), nullable=True),
        sa.Column("Complain", sa.Integer(), nullable=True),
        sa.Column("Response", sa.Integer(), nullable=True),
        sa.Column("AcceptedCmp1", sa.Integer(), nullable=True),
        sa.Column("AcceptedCmp2", sa.Integer(), nullable=True),
        sa.Column("AcceptedCmp3", sa.Integer(), nullable=True),
        sa.Column("AcceptedCmp4", sa.Integer(), nullable=True),
        sa.Column("AcceptedCmp5", sa.Integer(), nullable=True),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "assignments",
        sa.Column("customer_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("model_version", sa.String(40), nullable=False),
        sa.Column("cluster", sa.Integer(), nullable=False),
        sa.Column("persona", sa.String(40), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_assignments_persona", "assignments", ["persona"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("channel_id", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("allowed", sa.Boolean(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=True),
        sa.Column("detail", sa.String(500), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("audit_log")
    op.drop_index("ix_assignments_persona", table_name="assignments")
    op.drop_table("assignments")
    op.drop_table("customers")
