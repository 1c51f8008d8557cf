"""The weekly digest in Slack: the delivery ledger, the message, the run's state machine, the scheduler."""

from smartcart.slack.digest.ledger import LostClaim
from smartcart.slack.digest.message import digest_samples
from smartcart.slack.digest.resolve import CannotResolve, resolve_run
from smartcart.slack.digest.runner import DigestRunner
from smartcart.slack.digest.scheduler import (
    start_leased_scheduler,
    start_standalone,
    wait_until_stopped,
)
from smartcart.slack.digest.subscriptions import (
    ENVIRONMENT,
    DigestSchedule,
    all_subscriptions,
    digest_schedules,
    settings_for,
    subscribe,
    unsubscribe,
)

__all__ = [
    "CannotResolve",
    "DigestRunner",
    "DigestSchedule",
    "ENVIRONMENT",
    "LostClaim",
    "all_subscriptions",
    "digest_samples",
    "digest_schedules",
    "resolve_run",
    "settings_for",
    "start_leased_scheduler",
    "start_standalone",
    "subscribe",
    "unsubscribe",
    "wait_until_stopped",
]
