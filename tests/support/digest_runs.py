"""Helpers of the digest delivery tests (tests/bot/digest): the channel, a clock, what Slack got."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from smartcart.slack.digest.runner import DigestRunner

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNEL = "C0DIGEST"
BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = datetime(2024, 4, 1, 9, 0, 30, tzinfo=BERLIN)  # just after the 09:00 tick
# For tests about what is posted rather than how the store claims it: SQLite is enough.
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start.astimezone(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


class Crash(BaseException):
    """The process dying: nothing in the digest code catches it."""


def posts(standin) -> list:
    return [c for c in standin.calls("chat.postMessage") if c.body.get("channel") == CHANNEL]


def events(runner: DigestRunner) -> list[tuple]:
    run = runner.ledger.get(CHANNEL, "2024-W14")
    return [(e["from_state"], e["to_state"]) for e in runner.ledger.events(run.id)]
