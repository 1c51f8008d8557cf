"""customer lifetime: each customer's lifetime value and churn risk

Revision 0005_customer_lifetime: the columns of smartcart.engine.lifetime's LIFETIME_COLUMNS on
`customers` (predicted orders and value over the next 365 days, value so far, probability of
still being a customer, churn risk band, expected next order, days between orders, average
order value), indexed on `churn_risk`. All empty for rows stored by earlier releases, for the
study's customers, and for order data without a lifetime model.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_customer_lifetime"
down_revision = "0004_customer_keys"
branch_labels = None
depends_on = None

FLOATS = (
    "predicted_orders_365d",
    "predicted_clv_365d",
    "historic_clv",
    "probability_alive",
)
AVERAGES = ("average_days_between_orders", "average_order_value")


def upgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        for name in FLOATS:
            batch.add_column(sa.Column(name, sa.Float(), nullable=True))
        batch.add_column(sa.Column("churn_risk", sa.String(8), nullable=True))
        batch.add_column(sa.Column("expected_next_order_at", sa.Date(), nullable=True))
        for name in AVERAGES:
            batch.add_column(sa.Column(name, sa.Float(), nullable=True))
    op.create_index("ix_customers_churn_risk", "customers", ["churn_risk"])


def downgrade() -> None:
    op.drop_index("ix_customers_churn_risk", table_name="customers")
    with op.batch_alter_table("customers") as batch:
        for name in (*FLOATS, "churn_risk", "expected_next_order_at", *AVERAGES):
            batch.drop_column(name)
