"""Digest subscriptions as the bot runs them: the environment's channel plus stored channels.

Every subscribed channel gets its own digest run per period (the ledger's claim on (channel,
period) keeps it to exactly one), from a copy of the settings with that channel's schedule
(`settings_for`), so a subscription has the same guarantees as SMARTCART_DIGEST_CHANNEL: retries,
catch-up within the grace window, never posted twice. The scheduler runs them
(`bot.digest.scheduler.run_subscribed_digests`).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import sqlalchemy as sa

from bot.settings import Settings
from bot.views.home import DigestSchedule
from segmentation.periods import period_at
from segmentation.snapshots import as_utc
from segmentation.store import Store, digest_runs
from segmentation.subscriptions import ENVIRONMENT, Subscription, stored_subscriptions

logger = logging.getLogger(__name__)


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
