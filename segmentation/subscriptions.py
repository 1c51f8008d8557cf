"""Digest subscriptions: which channels get the digest, on which schedule.

Stored channels live in `digest_subscriptions` (one row per channel; subscribing again replaces
the schedule). The deployment's own channel (SMARTCART_DIGEST_CHANNEL) is not stored: callers add
it as a subscription from the environment (`Subscription(..., source="environment")`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from segmentation.store import Store, digest_subscriptions

STORED, ENVIRONMENT = "stored", "environment"


@dataclass(frozen=True)
class Subscription:
    channel: str
    cron: str
    timezone: str
    source: str = STORED
    created_by: str | None = None


def stored_subscriptions(store: Store) -> list[Subscription]:
    query = sa.select(digest_subscriptions).order_by(digest_subscriptions.c.created_at)
    with store.engine.connect() as connection:
        rows = connection.execute(query).mappings().all()
    return [
        Subscription(r["channel"], r["cron"], r["timezone"], STORED, r["created_by"]) for r in rows
    ]


def subscribe(store: Store, channel: str, cron: str, timezone: str, user_id: str) -> bool:
    """Store the channel's schedule; True when it was new, False when it replaced one."""
    table = digest_subscriptions
    values = {"cron": cron, "timezone": timezone, "created_by": user_id}
    with store.engine.begin() as connection:
        updated = connection.execute(
            table.update().where(table.c.channel == channel).values(**values)
        ).rowcount
        if updated:
            return False
        connection.execute(
            table.insert().values(channel=channel, created_at=datetime.now(UTC), **values)
        )
        return True


def unsubscribe(store: Store, channel: str) -> bool:
    """Forget the channel's subscription; False when it had none."""
    table = digest_subscriptions
    with store.engine.begin() as connection:
        return bool(connection.execute(table.delete().where(table.c.channel == channel)).rowcount)
