"""The bot's tables in the store's database, and opening that database with every table ready.

The bot's Alembic environment (env.py, the frozen revisions in versions/, version table
`alembic_version_bot`) makes the digest's delivery ledger and subscriptions
(smartcart/slack/digest/tables.py) and the scheduler's lease (smartcart/slack/lease.py); the engine's own environment
(`smartcart.engine.store.migrations.ENGINE`) makes the engine's tables. `open_store` upgrades both, under
their lock, whenever the bot or the CLI opens the database, so a new database needs no extra
step; `smartcart db upgrade` does the same as a release step.

Before Alembic, the bot's tables came with the store's numbered migrations (`smartcart_schema`):
2 digest runs and events, 3 subscriptions, 5 leases; `legacy` says which bot revision each
number amounts to, for adopting such a database.
"""

from __future__ import annotations

from smartcart.engine.store import Migrations, Status, Store, Upgrade
from smartcart.engine.store.migrations import ENGINE

BOT = Migrations(
    name="bot",
    location="smartcart.slack:migrations",
    version_table="alembic_version_bot",
    legacy={
        1: None,
        2: "0001_digest_runs",
        3: "0002_digest_subscriptions",
        4: "0002_digest_subscriptions",
        5: "0003_leases",
    },
)
# The engine's tables first: an application's tables may refer to them, never the reverse.
ENVIRONMENTS = (ENGINE, BOT)


def upgrade(store: Store) -> list[Upgrade]:
    """Bring every environment's tables up to date (each under its lock)."""
    return [environment.upgrade(store.engine) for environment in ENVIRONMENTS]


def status(store: Store) -> list[Status]:
    return [environment.status(store.engine) for environment in ENVIRONMENTS]


def open_store(url: str) -> Store:
    """The store at this URL with the engine's and the bot's tables created or upgraded."""
    store = Store(url)
    upgrade(store)
    return store


__all__ = ["BOT", "ENVIRONMENTS", "open_store", "status", "upgrade"]
