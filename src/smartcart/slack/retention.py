"""Retention: audit rows older than SMARTCART_AUDIT_RETENTION_DAYS and digest snapshots beyond
the latest SMARTCART_HISTORY_RETENTION_PERIODS periods are deleted by the scheduler once a day
(`smartcart-retention`, in the process holding the scheduler lease), and each deletion is logged
(how many, older than what). Unset, both are kept.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from smartcart.engine.history import snapshots
from smartcart.engine.store import Store
from smartcart.slack.logs import request_scope
from smartcart.slack.settings import Settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetentionRun:
    """What one run deleted (None: that retention is not set)."""

    audit_rows: int | None = None
    audit_before: datetime | None = None
    snapshots: int | None = None
    oldest_period_kept: str | None = None


def wanted(settings: Settings) -> bool:
    """Whether any retention is set."""
    return bool(
        settings.SMARTCART_AUDIT_RETENTION_DAYS or settings.SMARTCART_HISTORY_RETENTION_PERIODS
    )


def apply_retention(settings: Settings, store: Store, now: datetime | None = None) -> RetentionRun:
    """Delete what the settings no longer keep, and log what went."""
    run = RetentionRun()
    days = settings.SMARTCART_AUDIT_RETENTION_DAYS
    if days:
        before = (now or datetime.now(UTC)) - timedelta(days=days)
        deleted = store.delete_audit_before(before)
        logger.info(
            "retention: deleted %d audit rows older than %s (SMARTCART_AUDIT_RETENTION_DAYS=%d)",
            deleted,
            before.isoformat(timespec="seconds"),
            days,
        )
        run = RetentionRun(audit_rows=deleted, audit_before=before)
    periods = settings.SMARTCART_HISTORY_RETENTION_PERIODS
    if periods:
        deleted, oldest = snapshots.delete_old_snapshots(store, periods)
        logger.info(
            "retention: deleted %d digest snapshots older than period %s "
            "(SMARTCART_HISTORY_RETENTION_PERIODS=%d)",
            deleted,
            oldest or "(none stored)",
            periods,
        )
        run = RetentionRun(run.audit_rows, run.audit_before, deleted, oldest)
    return run


def retention_job(settings: Settings, store: Store):
    """The scheduler's daily job; a failure is logged and tried again the next day."""

    def run_retention() -> None:
        with request_scope("retention"):
            try:
                apply_retention(settings, store)
            except Exception:
                logger.exception("retention failed; it runs again in a day")

    return run_retention
