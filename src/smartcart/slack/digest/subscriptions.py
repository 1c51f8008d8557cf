"""Digest subscriptions: which channels get the digest, on which schedule, and how they run.

Stored channels live in `digest_subscriptions` (one row per channel; subscribing again replaces
the schedule). The deployment's own channel (SMARTCART_DIGEST_CHANNEL) is not stored: it is
added as a subscription from the environment (`environment_subscription`).

Every subscribed channel gets its own digest run per period (the ledger's claim on (channel,
period) keeps it to exactly one), from a copy of the settings with that channel's schedule
(`settings_for`), so a subscription has the same guarantees as SMARTCART_DIGEST_CHANNEL: retries,
catch-up within the grace window, never posted twice. The scheduler runs them
(`smartcart.slack.digest.scheduler.run_subscribed_digests`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from smartcart.engine.history import as_utc, period_at
from smartcart.engine.store import Store
from smartcart.slack.digest.tables import digest_runs, digest_subscriptions
from smartcart.slack.settings import Settings

logger = logging.getLogger(__name__)

STORED, ENVIRONMENT = "stored", "environment"


@dataclass(frozen=True)
class Subscription:
    channel: str
    cron: str
    timezone: str
    source: str = STORED
    created_by: str | None = None


@dataclass(frozen=True)
class DigestSchedule:
    """One channel's digest: when the next one is due (local time) and the last one posted."""

    channel: str
    next_run: datetime | None
    timezone: str
    last_posted: datetime | None = None
    last_period: str | None = None


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


def environment_subscription(settings: Settings) -> Subscription | None:
    channel = settings.SMARTCART_DIGEST_CHANNEL
    if not channel:
        return None
    return Subscription(
        channel, settings.SMARTCART_DIGEST_CRON, settings.SMARTCART_TIMEZONE, ENVIRONMENT
    )


def all_subscriptions(settings: Settings, store: Store) -> list[Subscription]:
    """The environment's channel first, then stored ones (a stored copy of it is ignored)."""
    from_env = environment_subscription(settings)
    stored = stored_subscriptions(store)
    if from_env is None:
        return stored
    return [from_env, *(s for s in stored if s.channel != from_env.channel)]


def settings_for(settings: Settings, subscription: Subscription) -> Settings:
    """The settings a digest run for this channel uses (its channel, cron and time zone)."""
    return settings.model_copy(
        update={
            "SMARTCART_DIGEST_CHANNEL": subscription.channel,
            "SMARTCART_DIGEST_CRON": subscription.cron,
            "SMARTCART_TIMEZONE": subscription.timezone,
        }
    )


def digest_schedules(
    settings: Settings, store: Store, now: datetime | None = None
) -> list[DigestSchedule]:
    """For each subscribed channel: the next digest and the last one posted."""
    moment = now or datetime.now(UTC)
    schedules = []
    for subscription in all_subscriptions(settings, store):
        period = period_at(subscription.cron, subscription.timezone, moment)
        posted = last_posted(store, subscription.channel)
        schedules.append(
            DigestSchedule(
                channel=subscription.channel,
                next_run=period.following,
                timezone=subscription.timezone,
                last_posted=posted[0] if posted else None,
                last_period=posted[1] if posted else None,
            )
        )
    return schedules


def last_posted(store: Store, channel: str) -> tuple[datetime, str] | None:
    """When the channel's latest digest was posted, and its period (None if never)."""
    query = (
        sa.select(digest_runs.c.posted_at, digest_runs.c.period)
        .where(digest_runs.c.channel == channel, digest_runs.c.state == "posted")
        .order_by(digest_runs.c.posted_at.desc())
        .limit(1)
    )
    with store.engine.connect() as connection:
        row = connection.execute(query).first()
    if row is None or row.posted_at is None:
        return None
    return as_utc(row.posted_at), row.period
