"""history churn risk: each digest member's churn risk band and predicted value

Revision 0007_history_churn_risk: `history_members` gains `churn_risk` and `predicted_clv_365d`
(from the customers' lifetime columns when the snapshot was taken), so the next digest can tell
who moved into high churn risk and what they were worth. Empty for snapshots taken before, and
for customers without a lifetime model: those digests say nothing of churn.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_history_churn_risk"
down_revision = "0006_forgotten_customers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("history_members") as batch:
        batch.add_column(sa.Column("churn_risk", sa.String(8), nullable=True))
        batch.add_column(sa.Column("predicted_clv_365d", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("history_members") as batch:
        batch.drop_column("predicted_clv_365d")
        batch.drop_column("churn_risk")
