"""The weekly digest: posted once per (channel, period), whatever happens.

A run is a small state machine in the style of Apache Superset's report executor: the digest
run's row in the store (see `smartcart.slack.digest.ledger`) has a state, and the class whose
`current_states` holds that state (`smartcart.slack.digest.states`) decides the next step; an `Attempt`
(`smartcart.slack.digest.attempt`) does the work: builds the message (`smartcart.slack.digest.message`), posts it with
the digest's Slack client (`smartcart.slack.digest.client`) and reads the channel's history when needed.
Every transition is written to `digest_events` and logged.

    (no row) --claim--> working --chat.postMessage ok--> posted (message ts) [+ chart in thread]
                          |  \\--Slack said no / digest not buildable--> failed
                          |   \\--timeout or reset after sending--> failed_ambiguous
    working, lease over (the run crashed) --take over--> working (resume)
    failed (within the grace window, after a backoff) --take over--> working
    failed_ambiguous --channel history has the message--> posted
                     --history shows it is not there--> working (post)
                     --history unreadable--> failed_ambiguous (reported, not replayed)

Exactly once: the claim is an INSERT on the unique (channel, period). Before calling
chat.postMessage the run records its intent (`sending_at`) and right after it the message ts.
A crash between the two leaves `working` with `sending_at` and no ts: whoever resumes first reads
the channel's history (conversations.history) for a message carrying this run's metadata
(`smartcart_digest` with the period) and adopts its ts instead of posting again. A run that
crashed before the intent simply posts. Slack's 429s (Retry-After) are retried by slack_sdk's
retry handlers, and so are connection failures when the request never left (URLError). A 5xx, a
timeout or a dropped connection after chat.postMessage was sent is ambiguous (Slack may have
posted it: a gateway's 502/504 often comes after the message went out): the run reads the
channel's history first, adopts the message when it is there, and posts again only when the
history shows it is not (at most POSTS_PER_RUN posts per run). A run left `failed_ambiguous` is settled
the same way by the next run, or by a person with `smartcart digest resolve`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from slack_sdk import WebClient

from smartcart.engine import SegmentService
from smartcart.engine.history import Comparison, Period, period_at
from smartcart.engine.reports import Templates
from smartcart.slack.digest.attempt import Attempt
from smartcart.slack.digest.client import digest_client
from smartcart.slack.digest.ledger import RunLedger, utc_now
from smartcart.slack.digest.message import DigestMessage, render_digest
from smartcart.slack.digest.outcome import Outcome
from smartcart.slack.digest.states import state_for
from smartcart.slack.metrics import count_digest_run
from smartcart.slack.settings import Settings, require

LEASE = timedelta(minutes=10)  # a `working` run untouched this long has crashed
GRACE = timedelta(hours=24)  # automatic ticks retry a period this long after its fire time
RECONCILE_DELAY = 2.0  # seconds between an ambiguous answer and reading the channel's history
# Reads of the run's ledger row before giving up on a row that keeps changing under us.
LEDGER_LOOKS = 3


@dataclass
class DryRun:
    period: Period
    comparison: Comparison
    message: DigestMessage
    chart_path: Path

    def as_dict(self) -> dict:
        comparison = self.comparison
        return {
            "period": self.period.key,
            "period_label": self.period.label,
            "scheduled_at": self.period.scheduled.isoformat(),
            "previous_period": comparison.previous.period if comparison.previous else None,
            "customers": comparison.current.customers,
            "model_version": comparison.current.model_version,
            "personas": comparison.rows,
            "moved": comparison.moved,
            "joined": comparison.joined,
            "left": comparison.left,
            "moves": comparison.moves,
            "warnings": comparison.warnings,
            "psi": comparison.current.psi,
            "text": self.message.text,
            "markdown": self.message.markdown,
            "blocks": self.message.blocks,
            "chart": str(self.chart_path),
        }


class DigestRunner:
    """Runs the digest for the period of a moment; safe to call from any number of places."""

    def __init__(
        self,
        settings: Settings,
        service: SegmentService,
        client: WebClient | None = None,
        templates: Templates | None = None,
        clock=utc_now,
        lease: timedelta = LEASE,
        grace: timedelta = GRACE,
        reconcile_delay: float = RECONCILE_DELAY,
    ) -> None:
        self.settings = settings
        self.service = service
        self._client = client
        self.templates = templates or Templates(settings.SMARTCART_TEMPLATES)
        self.clock = clock
        self.lease = lease
        self.grace = grace
        self.reconcile_delay = reconcile_delay
        self.ledger = RunLedger(service.store, clock)
        self._lock = threading.Lock()

    @property
    def client(self) -> WebClient:
        if self._client is None:
            self._client = digest_client(self.settings)
        return self._client

    def period(self, at: datetime | None = None) -> Period:
        settings = self.settings
        moment = at or self.clock()
        return period_at(settings.SMARTCART_DIGEST_CRON, settings.SMARTCART_TIMEZONE, moment)

    def run(self, at: datetime | None = None, manual: bool = True) -> Outcome:
        """Post the digest of `at`'s period unless it is posted or being posted.

        `manual` (a person running `smartcart digest --now`) skips the grace window and the
        backoff that automatic ticks respect.
        """
        require(
            self.settings, ("SMARTCART_DIGEST_CHANNEL", "SLACK_BOT_TOKEN"), "to post the digest"
        )
        period = self.period(at)
        with self._lock:
            for _ in range(LEDGER_LOOKS):
                run = self.ledger.get(self.channel, period.key)
                result = state_for(run)(Attempt(self, period, manual), run).next()
                if result is not None:
                    if not result.quiet:
                        count_digest_run(result.state or "none")
                    return result
        raise RuntimeError(f"digest {period.key}: the run kept changing under us")

    def dry_run(self, at: datetime | None = None, chart_path: Path | None = None) -> DryRun:
        """The digest as it would be posted now; writes the chart, stores and claims nothing."""
        period = self.period(at)
        comparison = self.service.digest(period, self.settings.data_source(), save=False)
        path = (chart_path or Path("var") / "digest" / f"digest-{period.key}.png").absolute()
        message = render_digest(comparison, period, self.templates, path)
        return DryRun(period, comparison, message, path)

    def status(self, at: datetime | None = None) -> dict:
        period = self.period(at)
        channel = self.settings.SMARTCART_DIGEST_CHANNEL
        run = self.ledger.get(channel, period.key) if channel else None
        return {
            "channel": channel,
            "period": period.key,
            "period_label": period.label,
            "next_digest": period.following.isoformat() if period.following else None,
            "run": run.as_dict() if run else None,
            "recent": [r.as_dict() for r in self.ledger.recent()],
        }

    @property
    def channel(self) -> str:
        assert self.settings.SMARTCART_DIGEST_CHANNEL is not None  # checked by run()
        return self.settings.SMARTCART_DIGEST_CHANNEL
