"""Digest periods, from the digest's cron expression (croniter) in its time zone.

A digest belongs to the period opened by the latest fire time of the digest cron at or before
the run, in the digest's time zone (`period_at`). The key is that fire time's ISO week
(`2024-W14`) when the cron fires only once in that ISO week (the default `0 9 * * mon` always
does), else the local fire time (`2024-04-01T09:00`), so a daily cron gets a period per day.
A run at any moment (a scheduled tick, a late retry, `smartcart digest --now`) therefore maps to
the same key as the tick it belongs to, whatever the clock's daylight-saving offset.

The engine only computes periods; the bot's scheduler decides when to run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from croniter import CroniterBadCronError, CroniterBadDateError, croniter

ONE_SECOND = timedelta(seconds=1)


@dataclass(frozen=True)
class Period:
    """A digest period: its key and the local fire time of the cron that opened it."""

    key: str
    scheduled: datetime
    following: datetime | None

    @property
    def label(self) -> str:
        when = self.scheduled.strftime("%a %d %b %Y %H:%M %Z")
        if "-W" in self.key:
            year, week = self.key.split("-W")
            return f"week {int(week)} of {year} ({when})"
        return when


def period_at(cron: str, timezone: str, at: datetime) -> Period:
    """The period a run at `at` belongs to (see the module's docstring)."""
    local = at.astimezone(ZoneInfo(timezone))
    try:
        scheduled = latest_fire(cron, local)
        following = next_fire(cron, scheduled)
        key = period_key(cron, scheduled, following)
    except CroniterBadCronError as error:
        raise ValueError(
            f"SMARTCART_DIGEST_CRON {cron!r} is not a cron expression: {error}"
        ) from None
    except CroniterBadDateError:
        raise ValueError(f"SMARTCART_DIGEST_CRON {cron!r} never fires") from None
    return Period(key, scheduled, following)


def latest_fire(cron: str, at: datetime) -> datetime:
    """The latest fire time at or before `at` (aware, in the cron's time zone).

    croniter walks the local wall clock (naive times), which keeps 09:00 at 09:00 across
    daylight-saving changes and avoids its loops on ambiguous times; the zone is put back after.
    """
    wall = at.replace(tzinfo=None)
    fires = croniter(cron, wall + ONE_SECOND)
    fire = fires.get_prev(datetime)
    while fire > wall:
        fire = fires.get_prev(datetime)
    return fire.replace(tzinfo=at.tzinfo)


def previous_fire(cron: str, before: datetime) -> datetime:
    """The latest fire time strictly before `before`."""
    fire = croniter(cron, before.replace(tzinfo=None)).get_prev(datetime)
    return fire.replace(tzinfo=before.tzinfo)


def next_fire(cron: str, after: datetime) -> datetime:
    """The first fire time strictly after `after`."""
    fire = croniter(cron, after.replace(tzinfo=None)).get_next(datetime)
    return fire.replace(tzinfo=after.tzinfo)


def period_key(cron: str, scheduled: datetime, following: datetime) -> str:
    week = scheduled.isocalendar()[:2]
    neighbours = (previous_fire(cron, scheduled), following)
    if all(n.isocalendar()[:2] != week for n in neighbours):
        return f"{week[0]}-W{week[1]:02d}"
    return scheduled.strftime("%Y-%m-%dT%H:%M")
