"""forgotten customers: erasures on request, recorded by a keyed hash

Revision 0006_forgotten_customers: one row per customer erased with `smartcart forget`, keyed
by the HMAC of their id under SMARTCART_ERASURE_KEY (the row keeps that an erasure happened,
not to whom), with a fingerprint of the key, when, by whom, why and how many rows went.
Later `score` and `train` runs leave these customers out until `smartcart forget --undo`.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_forgotten_customers"
down_revision = "0005_customer_lifetime"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "forgotten_customers",
        sa.Column("customer_hash", sa.String(64), primary_key=True),
        sa.Column("key_check", sa.String(16), nullable=False),
        sa.Column("forgotten_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("forgotten_by", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(500), nullable=True),
        sa.Column("removed", sa.JSON(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("forgotten_customers")
