"""Digest subscriptions as the bot runs them: the environment's channel plus stored channels.

Every subscribed channel gets its own digest run per period (the ledger's claim on (channel,
period) keeps it to exactly one), from a copy of the settings with that channel's schedule, so a
subscription has the same guarantees as SMARTCART_DIGEST_CHANNEL: retries, catch-up within the
grace window, never posted twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from bot.settings import Settings
from bot.views.home import DigestSchedule
from segmentation.digest_runs import utc_now
from segmentation.history import period_at
from segmentation.service import SegmentService
from segmentation.store import Store
from segmentation.subscriptions import (
    ENVIRONMENT,
    Subscription,
    last_posted,
    stored_subscriptions,
)

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


def run_subscribed_digests(
    settings: Settings,
    service: SegmentService,
    at: datetime | None = None,
    manual: bool = False,
    clock: Callable[[], datetime] = utc_now,
) -> list:
    """One digest run per stored subscription (the environment's channel has its own jobs)."""
    from bot.digest import DigestRunner

    outcomes = []
    for subscription in stored_subscriptions(service.store):
        if subscription.channel == settings.SMARTCART_DIGEST_CHANNEL:
            continue
        runner = DigestRunner(settings_for(settings, subscription), service, clock=clock)
        try:
            outcomes.append(runner.run(at=at, manual=manual))
        except Exception:
            logger.exception("digest for %s failed", subscription.channel)
    return outcomes
