"""customer keys: text ids and the figures of customers from orders

Revision 0004_customer_keys: `customers.customer_key`, the customer's own id as text (an email,
a phone, the retailer's id) for customers derived from orders, unique when present, and
`customers.profile`, their figures as a JSON object (the study's customers keep their columns
and leave both empty). Rows stored by earlier releases are untouched.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_customer_keys"
down_revision = "0003_campaigns"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        batch.add_column(sa.Column("customer_key", sa.String(320), nullable=True))
        batch.add_column(sa.Column("profile", sa.Text(), nullable=True))
    op.create_index("ix_customers_customer_key", "customers", ["customer_key"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_customers_customer_key", table_name="customers")
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("profile")
        batch.drop_column("customer_key")
