"""digest subscriptions of channels

Revision 0002_digest_subscriptions (`smartcart_schema` version 3): the channels an admin
subscribed to the digest, each with its schedule.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_digest_subscriptions"
down_revision = "0001_digest_runs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "digest_subscriptions",
        sa.Column("channel", sa.String(64), primary_key=True),
        sa.Column("cron", sa.String(100), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("digest_subscriptions")
