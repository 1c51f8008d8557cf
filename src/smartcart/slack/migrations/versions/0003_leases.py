"""leases: the one scheduler across workers and replicas

Revision 0003_leases (`smartcart_schema` version 5): who holds a role that exactly one process
may have at a time, until when (Unix seconds).
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_leases"
down_revision = "0002_digest_subscriptions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "leases",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.Column("acquired_at", sa.Float(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("leases")
