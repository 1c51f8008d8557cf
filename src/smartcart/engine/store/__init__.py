"""The SQL store: customers, their segments, the audit trail, erasures, bulk writes, schema
migrations."""

from smartcart.engine.store.bulk import CustomerWriter, insert_rows
from smartcart.engine.store.erasure import Erasure, ErasureError, Forgotten
from smartcart.engine.store.migrating import Migrations, Status, Upgrade, run_environment
from smartcart.engine.store.store import Store, customer_frame, now
from smartcart.engine.store.tables import (
    campaign_members,
    campaign_responses,
    campaigns,
    history_members,
    history_segments,
    history_snapshots,
)

__all__ = [
    "CustomerWriter",
    "Erasure",
    "ErasureError",
    "Forgotten",
    "Migrations",
    "Status",
    "Store",
    "Upgrade",
    "campaign_members",
    "campaign_responses",
    "campaigns",
    "customer_frame",
    "history_members",
    "history_segments",
    "history_snapshots",
    "insert_rows",
    "now",
    "run_environment",
]
