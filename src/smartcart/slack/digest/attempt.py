"""One run's attempt at one period: build the message, post it once, adopt it if Slack has it.

The states (`smartcart.slack.digest.states`) decide what a run may do; an `Attempt` does it. Before calling
chat.postMessage it records its intent (`sending_at`) and right after it the message ts. When a
run resumes with an intent and no ts, or a post was answered ambiguously (a 5xx, a timeout or a
dropped connection after sending), it reads the channel's history (conversations.history) for a
message carrying its metadata (`smartcart_digest` with the period) and adopts its ts instead of
posting again; it posts again only when the history shows the message is not there (at most
POSTS_PER_RUN posts per run), and never when the history cannot be read.
"""

from __future__ import annotations

import logging
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from http.client import HTTPException
from pathlib import Path
from typing import Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from smartcart.engine import SegmentService
from smartcart.engine.history import Period, recent_history, stored_snapshot
from smartcart.engine.reports import Templates
from smartcart.slack.digest.client import POSTS_PER_RUN, is_ambiguous, slack_error_text
from smartcart.slack.digest.ledger import WORKING, DigestRun, LostClaim, RunLedger
from smartcart.slack.digest.message import DigestMessage, render_digest, write_chart
from smartcart.slack.digest.outcome import Outcome, outcome
from smartcart.slack.settings import Settings

logger = logging.getLogger(__name__)

METADATA_EVENT = "smartcart_digest"
RETRY_BACKOFF = timedelta(minutes=5)  # first wait before an automatic retry; doubles, capped
MAX_BACKOFF = timedelta(hours=2)
HISTORY_SLACK = timedelta(minutes=10)  # conversations.history looks back this far before intent
HISTORY_PAGES = 5


class Runner(Protocol):
    """What an attempt uses of its `smartcart.slack.digest.runner.DigestRunner`."""

    settings: Settings
    service: SegmentService
    templates: Templates
    ledger: RunLedger
    clock: Callable[[], datetime]
    lease: timedelta
    grace: timedelta
    reconcile_delay: float

    @property
    def client(self) -> WebClient: ...

    @property
    def channel(self) -> str: ...


class Attempt:
    """One run's view of one period: its owner token, what it may do, and how it does it."""

    def __init__(self, runner: Runner, period: Period, manual: bool) -> None:
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
            run = self.ledger.failed(
                run, self.owner, f"digest not built: {slack_error_text(error)}"
            )
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
        for _ in range(POSTS_PER_RUN):
            try:
                response = self.send(run, message)
            except (SlackClientError, OSError, HTTPException) as error:
                if not is_ambiguous(error):
                    run = self.ledger.failed(run, self.owner, slack_error_text(error))
                    return outcome(
                        run, False, f"The digest for {self.period.label} failed: {run.error}"
                    )
                reconciled = self.reconcile(run, slack_error_text(error))
                if reconciled is not None:
                    return reconciled
                continue  # the history shows it is not there: post again
            run = self.ledger.posted(run, self.owner, response["ts"], f"posted to {self.channel}")
            run = self.upload_chart(run, message.chart, message.chart_name, response.get("channel"))
            return outcome(
                run, True, f"Posted the digest for {self.period.label} to {self.channel}."
            )
        detail = f"{POSTS_PER_RUN} posts answered ambiguously and none is in the channel history"
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
            detail = (
                f"{error}; cannot check the channel history ({slack_error_text(history_error)})"
            )
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
            logger.warning(
                "digest %s: chart upload failed: %s", run.period, slack_error_text(error)
            )
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
            detail = f"cannot check the channel history ({slack_error_text(error)}); not re-posting"
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
