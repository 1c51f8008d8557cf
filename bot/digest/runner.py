"""The weekly digest: posted once per (channel, period), whatever happens.

A run is a small state machine in the style of Apache Superset's report executor: the digest
run's row in the store (see `bot.digest.ledger`) has a state, and the class whose
`current_states` holds that state decides the next step. Every transition is written to
`digest_events` and logged.

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
history shows it is not (at most RETRIES posts per run). A run left `failed_ambiguous` is settled
the same way by the next run, or by a person with `smartcart digest resolve`.
"""

from __future__ import annotations

import logging
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.client import HTTPException
from pathlib import Path
from typing import Any
from urllib.error import URLError

import pandas as pd
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.answers import Answer, context, finalize, header, split_mrkdwn_sections
from bot.app import create_web_client
from bot.digest.ledger import (
    AMBIGUOUS,
    FAILED,
    POSTED,
    WORKING,
    DigestRun,
    LostClaim,
    RunLedger,
    utc_now,
)
from bot.settings import Settings, require
from segmentation.charts import history_chart
from segmentation.comparison import GONE, NEW, Comparison, persona_name, persona_short
from segmentation.periods import Period, period_at
from segmentation.service import SegmentService
from segmentation.snapshots import recent_history, stored_snapshot
from segmentation.templating import Templates

logger = logging.getLogger(__name__)

TEMPLATE = "digest.md.j2"
METADATA_EVENT = "smartcart_digest"
LEASE = timedelta(minutes=10)  # a `working` run untouched this long has crashed
GRACE = timedelta(hours=24)  # automatic ticks retry a period this long after its fire time
RETRY_BACKOFF = timedelta(minutes=5)  # first wait before an automatic retry; doubles, capped
MAX_BACKOFF = timedelta(hours=2)
HISTORY_SLACK = timedelta(minutes=10)  # conversations.history looks back this far before intent
HISTORY_PAGES = 5
RETRIES = 3
RECONCILE_DELAY = 2.0  # seconds between an ambiguous answer and reading the channel's history
POST_METHOD = "chat.postMessage"


# -- the message ---------------------------------------------------------------------------------


@dataclass
class DigestMessage:
    text: str  # plain-text fallback (notifications)
    markdown: str  # the rendered template
    blocks: list[dict]
    chart: bytes
    chart_name: str


def render_digest(
    comparison: Comparison, period: Period, templates: Templates, chart_path: Path
) -> DigestMessage:
    """The digest as one Block Kit message, and its chart written to `chart_path` (PNG)."""
    markdown = templates.render(TEMPLATE, **template_context(comparison, period)).strip()
    current = comparison.current
    blocks = [
        header(f"Segment digest · {period.label}"),
        *split_mrkdwn_sections(markdown),
        context(
            f"Period {period.key} · {current.customers:,} customers from {current.source} · "
            f"model {current.model_version} · chart in the thread"
        ),
    ]
    answer = finalize(Answer(text=fallback_text(comparison, period), blocks=blocks))
    chart_path.parent.mkdir(parents=True, exist_ok=True)
    write_chart(comparison.history, chart_path)
    return DigestMessage(
        answer.text, markdown, answer.blocks, chart_path.read_bytes(), chart_path.name
    )


def write_chart(history: tuple[list[str], dict[str, list[int]]], path: Path) -> Path:
    periods, sizes = history
    return history_chart(periods, sizes, {p: persona_name(p) for p in sizes}, path)


def fallback_text(comparison: Comparison, period: Period) -> str:
    warnings = len(comparison.warnings)
    moved = "" if comparison.first else f", {comparison.moved:,} moved between personas"
    flag = f", {warnings} warning{'s' if warnings != 1 else ''}" if warnings else ""
    return f"Segment digest {period.key}: {comparison.current.customers:,} customers{moved}{flag}"


def template_context(comparison: Comparison, period: Period) -> dict[str, Any]:
    previous = comparison.previous
    return {
        "period": period.key,
        "period_label": period.label,
        "previous_period": previous.period if previous else None,
        "first": comparison.first,
        "customers": comparison.current.customers,
        "customer_change": None
        if previous is None
        else comparison.current.customers - previous.customers,
        "model_version": comparison.current.model_version,
        "model_changed": comparison.model_changed,
        "personas": comparison.rows,
        "moved": comparison.moved,
        "joined": comparison.joined,
        "left": comparison.left,
        "moves": [
            {**m, "from": persona_short(m["from"]), "to": persona_short(m["to"])}
            for m in comparison.moves
        ],
        "migration_table": migration_text(comparison.migrations),
        "warnings": comparison.warnings,
    }


# Column labels of the migration table, short enough for a phone-width Slack code block.
TABLE_LABELS = {
    "premium": "Premium",
    "family_budget": "Family",
    "digital_active": "Digital",
    "moderate_loyal": "Moderate",
    NEW: "new",
    GONE: "gone",
}


def migration_text(table: pd.DataFrame) -> str:
    """The from -> to table as fixed-width text (rows: before, columns: now)."""
    if table.empty:
        return "(no earlier digest)"

    def label(persona: str) -> str:
        return TABLE_LABELS.get(persona) or persona_short(persona)[:12]

    width = max(8, *(len(label(p)) for p in [*table.index, *table.columns])) + 1
    lines = ["from\\to".ljust(width) + "".join(label(c).rjust(width) for c in table.columns)]
    for source, row in table.iterrows():
        lines.append(label(source).ljust(width) + "".join(f"{v:,}".rjust(width) for v in row))
    return "\n".join(lines)


def digest_samples() -> dict[str, dict[str, dict]]:
    """Contexts that walk through the digest template's branches (for template checks)."""
    row = {
        "persona": "premium",
        "name": "High-Value Premium Customers",
        "short": "Premium",
        "customers": 410,
        "share": 0.18,
        "revenue": 540000.0,
        "avg_spend": 1317.0,
        "response_rate": 0.31,
    }
    later = {
        "period": "2024-W15",
        "period_label": "week 15 of 2024",
        "previous_period": "2024-W14",
        "first": False,
        "customers": 2240,
        "customer_change": 12,
        "model_version": "v2",
        "model_changed": True,
        "personas": [{**row, "size_change": 12, "share_change": 0.4}],
        "moved": 37,
        "joined": 12,
        "left": 0,
        "moves": [{"from": "Family", "to": "Premium", "customers": 20}],
        "migration_table": "from \\ to  Premium",
        "warnings": ["Input drift: Income has a population stability index of 0.31"],
    }
    first = {
        **later,
        "first": True,
        "previous_period": None,
        "customer_change": None,
        "model_changed": False,
        "personas": [{**row, "size_change": None, "share_change": None}],
        "warnings": [],
    }
    return {TEMPLATE: {"first digest": first, "with changes and warnings": later}}


# -- Slack client --------------------------------------------------------------------------------


class ServerErrorsRetryHandler(ServerErrorRetryHandler):
    """Retries any 5xx (slack_sdk's handler only 500 and 503), except on chat.postMessage.

    A 5xx from chat.postMessage may come after Slack posted the message: the run reconciles
    from the channel's history instead (see `Attempt.post`). Reads are safe to repeat.
    """

    def _can_retry(self, *, state, request, response=None, error=None) -> bool:
        if request.url.rstrip("/").endswith(POST_METHOD):
            return False
        return response is not None and 500 <= response.status_code < 600


def digest_client(settings: Settings) -> WebClient:
    """The bot's WebClient with retries that never replay a request Slack may have received."""
    client = create_web_client(settings)
    client.retry_handlers = [
        RateLimitErrorRetryHandler(max_retry_count=RETRIES),
        ServerErrorsRetryHandler(max_retry_count=RETRIES),
        ConnectionErrorRetryHandler(max_retry_count=RETRIES, error_types=[URLError]),
    ]
    return client


def is_ambiguous(error: BaseException) -> bool:
    """True when a failed request may still have reached Slack (sent, then no answer, or a 5xx).

    urllib wraps failures while connecting or sending in URLError; a timeout or a dropped
    connection while waiting for the answer comes as a bare OSError or HTTPException.
    """
    if isinstance(error, SlackApiError):
        return server_error(error)
    if isinstance(error, URLError | SlackClientError):
        return False
    return isinstance(error, OSError | HTTPException)


def server_error(error: SlackApiError) -> bool:
    status = getattr(error.response, "status_code", None)
    return isinstance(status, int) and 500 <= status < 600


def describe(error: BaseException) -> str:
    if isinstance(error, SlackApiError):
        status = getattr(error.response, "status_code", "?")
        return f"Slack answered {status} {error.response.get('error', 'error')}"
    return f"{type(error).__name__}: {error}".strip()


# -- outcomes ------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What one run did; `posted` is True only when this run posted the message."""

    channel: str
    period: str
    state: str | None
    posted: bool
    message: str
    message_ts: str | None = None
    chart_file_id: str | None = None
    error: str | None = None
    quiet: bool = False  # nothing to do (an automatic tick finding the period done)

    def as_dict(self) -> dict:
        return {k: v for k, v in vars(self).items() if k != "quiet"}


def outcome(run: DigestRun, posted: bool, message: str, quiet: bool = False) -> Outcome:
    return Outcome(
        channel=run.channel,
        period=run.period,
        state=run.state,
        posted=posted,
        message=message,
        message_ts=run.message_ts,
        chart_file_id=run.chart_file_id,
        error=run.error,
        quiet=quiet,
    )


def when(moment: datetime | None) -> str:
    return "?" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


# -- the runner and its states -------------------------------------------------------------------


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
            for _ in range(RETRIES):
                run = self.ledger.get(self.channel, period.key)
                result = state_for(run)(Attempt(self, period, manual), run).next()
                if result is not None:
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


class Attempt:
    """One run's view of one period: its owner token, what it may do, and how it does it."""

    def __init__(self, runner: DigestRunner, period: Period, manual: bool) -> None:
        self.runner = runner
        self.ledger = runner.ledger
        self.period = period
        self.manual = manual
        self.owner = uuid.uuid4().hex[:12]
        self.now = runner.clock()

    @property
    def channel(self) -> str:
        return self.runner.channel

    def in_grace(self) -> bool:
        """Automatic ticks act only within GRACE of the fire time, and before the next fire."""
        if self.manual:
            return True
        deadline = self.period.scheduled + self.runner.grace
        if self.period.following is not None:
            deadline = min(deadline, self.period.following)
        return self.now < deadline

    def lease_alive(self, run: DigestRun) -> bool:
        return self.now < run.updated_at + self.runner.lease

    def backoff_over(self, run: DigestRun) -> bool:
        if self.manual:
            return True
        wait = min(RETRY_BACKOFF * 2 ** max(run.attempts - 1, 0), MAX_BACKOFF)
        return self.now >= run.updated_at + wait

    # -- doing the work (the run is ours and `working`) ---------------------------------------

    def execute(self, run: DigestRun) -> Outcome:
        try:
            return self._execute(run)
        except LostClaim as error:
            logger.warning("%s", error)
            return Outcome(self.channel, self.period.key, WORKING, False, str(error))

    def _execute(self, run: DigestRun) -> Outcome:
        if run.sending_at is not None:  # an earlier attempt may have posted it
            found = self.look_for_message(run)
            if found is not None:
                return found
        try:
            message = self.build()
        except Exception as error:  # data, model or template problem: nothing was sent
            logger.exception("digest %s could not be built", self.period.key)
            run = self.ledger.failed(run, self.owner, f"digest not built: {describe(error)}")
            return outcome(run, False, f"The digest for {self.period.label} failed: {run.error}")
        return self.post(self.ledger.sending(run, self.owner), message)

    def build(self) -> DigestMessage:
        runner = self.runner
        comparison = runner.service.digest(self.period, runner.settings.data_source(), save=True)
        with tempfile.TemporaryDirectory(prefix="smartcart-digest-") as folder:
            path = Path(folder) / f"segment-sizes-{self.period.key}.png"
            return render_digest(comparison, self.period, runner.templates, path)

    def post(self, run: DigestRun, message: DigestMessage) -> Outcome:
        """chat.postMessage; after an ambiguous answer, the channel's history decides what next."""
        for _ in range(RETRIES):
            try:
                response = self.send(run, message)
            except (SlackClientError, OSError, HTTPException) as error:
                if not is_ambiguous(error):
                    run = self.ledger.failed(run, self.owner, describe(error))
                    return outcome(
                        run, False, f"The digest for {self.period.label} failed: {run.error}"
                    )
                reconciled = self.reconcile(run, describe(error))
                if reconciled is not None:
                    return reconciled
                continue  # the history shows it is not there: post again
            run = self.ledger.posted(run, self.owner, response["ts"], f"posted to {self.channel}")
            run = self.upload_chart(run, message.chart, message.chart_name, response.get("channel"))
            return outcome(
                run, True, f"Posted the digest for {self.period.label} to {self.channel}."
            )
        detail = f"{RETRIES} posts answered ambiguously and none is in the channel history"
        run = self.ledger.failed(run, self.owner, detail, ambiguous=True)
        return outcome(run, False, f"The digest for {self.period.label} was not posted: {detail}")

    def send(self, run: DigestRun, message: DigestMessage):
        return self.runner.client.chat_postMessage(
            channel=self.channel,
            text=message.text,
            blocks=message.blocks,
            metadata={
                "event_type": METADATA_EVENT,
                "event_payload": {"period": self.period.key, "run": run.id},
            },
            unfurl_links=False,
            unfurl_media=False,
        )

    def reconcile(self, run: DigestRun, error: str) -> Outcome | None:
        """An ambiguous post: adopt the message if the history has it; None to post again.

        When the history cannot be read the run is left `failed_ambiguous` (never re-posted
        blindly); the next run, or `smartcart digest resolve`, settles it.
        """
        self.ledger.note(run, self.owner, f"{error} after sending; reading the channel history")
        time.sleep(self.runner.reconcile_delay)
        try:
            ts = self.find_posted(run)
        except (SlackClientError, OSError, HTTPException) as history_error:
            detail = f"{error}; cannot check the channel history ({describe(history_error)})"
            run = self.ledger.failed(run, self.owner, detail, ambiguous=True)
            return outcome(
                run,
                False,
                f"The digest for {self.period.label} may have reached Slack; it will not be re-posted blindly: {detail}",
            )
        if ts is None:
            return None
        run = self.ledger.posted(run, self.owner, ts, f"{error}, but the channel history has it")
        run = self.upload_missing_chart(run)
        return outcome(
            run,
            True,
            f"Posted the digest for {self.period.label} to {self.channel} ({error}, but the channel history has it).",
        )

    def upload_chart(
        self, run: DigestRun, chart: bytes, name: str, channel_id: str | None = None
    ) -> DigestRun:
        try:
            response = self.runner.client.files_upload_v2(
                channel=channel_id or self.channel,
                thread_ts=run.message_ts,
                content=chart,
                filename=name,
                title=f"Segment sizes, last digests ({self.period.key})",
            )
        except (SlackClientError, OSError, HTTPException) as error:
            logger.warning("digest %s: chart upload failed: %s", run.period, describe(error))
            return run
        file_id = (response.get("files") or [{}])[0].get("id") or (response.get("file") or {}).get(
            "id"
        )
        self.ledger.chart_uploaded(run, file_id or "uploaded")
        return self.ledger.get(run.channel, run.period) or run

    def upload_missing_chart(self, run: DigestRun) -> DigestRun:
        store = self.runner.service.store
        snapshot = stored_snapshot(store, run.period, members=False)
        if snapshot is None:
            return run
        with tempfile.TemporaryDirectory(prefix="smartcart-digest-") as folder:
            path = write_chart(
                recent_history(store, snapshot), Path(folder) / f"segment-sizes-{run.period}.png"
            )
            return self.upload_chart(run, path.read_bytes(), path.name)

    # -- finding a message that may have been posted -------------------------------------------

    def look_for_message(self, run: DigestRun) -> Outcome | None:
        """After an interrupted or ambiguous post: adopt the message if Slack has it.

        Returns None when the channel's history shows it is not there (safe to post).
        """
        try:
            ts = self.find_posted(run)
        except (SlackClientError, OSError, HTTPException) as error:
            detail = f"cannot check the channel history ({describe(error)}); not re-posting"
            run = self.ledger.failed(run, self.owner, detail, ambiguous=True)
            return outcome(
                run, False, f"The digest for {self.period.label} may be posted already: {detail}"
            )
        if ts is None:
            return None
        run = self.ledger.posted(
            run, self.owner, ts, "found in the channel history; not posted again"
        )
        if run.chart_file_id is None:
            run = self.upload_missing_chart(run)
        return outcome(
            run,
            False,
            f"The digest for {self.period.label} was already in {self.channel} (ts {ts}); not posted again.",
        )

    def find_posted(self, run: DigestRun) -> str | None:
        assert run.sending_at is not None
        oldest = (run.sending_at - HISTORY_SLACK).timestamp()
        cursor = None
        for _ in range(HISTORY_PAGES):
            page = self.runner.client.conversations_history(
                channel=self.channel,
                oldest=f"{oldest:.6f}",
                limit=200,
                include_all_metadata=True,
                cursor=cursor,
            )
            for message in page.get("messages") or []:
                if self.is_ours(message):
                    return message["ts"]
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None
        return None

    def is_ours(self, message: dict) -> bool:
        metadata = message.get("metadata") or {}
        payload = metadata.get("event_payload") or {}
        return (
            metadata.get("event_type") == METADATA_EVENT
            and payload.get("period") == self.period.key
        )


class DigestState:
    """One state of a run: `next()` acts and returns the outcome, or None to look again."""

    current_states: tuple[str | None, ...] = ()

    def __init__(self, attempt: Attempt, run: DigestRun | None) -> None:
        self.attempt = attempt
        self.run = run

    def next(self) -> Outcome | None:
        raise NotImplementedError

    def skip(self, message: str, quiet: bool = False) -> Outcome:
        if self.run is None:
            return Outcome(
                self.attempt.channel, self.attempt.period.key, None, False, message, quiet=quiet
            )
        return outcome(self.run, False, message, quiet)

    def late(self) -> Outcome:
        return self.skip(
            f"The grace window for {self.attempt.period.label} is over; not retried automatically (run `smartcart digest --now`).",
            quiet=True,
        )


class NotClaimed(DigestState):
    current_states = (None,)

    def next(self) -> Outcome | None:
        attempt = self.attempt
        if not attempt.in_grace():
            return self.late()
        run = attempt.ledger.claim(
            attempt.channel, attempt.period.key, attempt.period.scheduled, attempt.owner
        )
        return None if run is None else attempt.execute(run)


class Working(DigestState):
    current_states = (WORKING,)

    def next(self) -> Outcome | None:
        attempt, run = self.attempt, self.run
        if attempt.lease_alive(run):
            return self.skip(
                f"Another run has been posting the digest for {attempt.period.label} since {when(run.created_at)}; nothing posted.",
                quiet=True,
            )
        taken = attempt.ledger.take_over(
            run, attempt.owner, f"resuming run {run.owner}, silent since {when(run.updated_at)}"
        )
        return None if taken is None else attempt.execute(taken)


class Posted(DigestState):
    current_states = (POSTED,)

    def next(self) -> Outcome | None:
        attempt, run = self.attempt, self.run
        quiet = run.chart_file_id is not None or run.message_ts is None  # resolved without ts
        if not quiet and attempt.in_grace():
            run = attempt.upload_missing_chart(run)
        self.run = run
        return self.skip(
            f"The digest for {attempt.period.label} was already posted to {run.channel} at {when(run.posted_at)} (ts {run.message_ts}); nothing posted.",
            quiet=quiet,
        )


class Failed(DigestState):
    current_states = (FAILED,)

    def next(self) -> Outcome | None:
        attempt, run = self.attempt, self.run
        if not attempt.in_grace():
            return self.late()
        if not attempt.backoff_over(run):
            return self.skip(
                f"The digest for {attempt.period.label} failed ({run.error}); retrying later.",
                quiet=True,
            )
        taken = attempt.ledger.take_over(run, attempt.owner, f"retrying after: {run.error}")
        return None if taken is None else attempt.execute(taken)


class Ambiguous(Failed):
    """Retried like a failure, but `execute` first looks for the message in the channel."""

    current_states = (AMBIGUOUS,)


STATES: list[type[DigestState]] = [NotClaimed, Working, Posted, Failed, Ambiguous]


def state_for(run: DigestRun | None) -> type[DigestState]:
    current = None if run is None else run.state
    for state in STATES:
        if current in state.current_states:
            return state
    raise ValueError(f"unknown digest run state {current!r}")
