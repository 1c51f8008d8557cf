"""What one digest run did: the `Outcome` the runner returns to the CLI and the scheduler."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from smartcart.slack.digest.ledger import DigestRun


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
