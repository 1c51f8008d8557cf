"""Digest periods (`smartcart/engine/history/periods.py`): the cron's fire time in the local zone, DST."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from smartcart.engine.history import periods
from smartcart.engine.history.periods import period_at

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
WEEKLY = "0 9 * * mon"


def week(key_time: datetime) -> periods.Period:
    return period_at(WEEKLY, "Europe/Berlin", key_time)


def test_weekly_period_is_the_iso_week_of_the_local_fire_time_across_dst():
    # Berlin moves to summer time on Sunday 2024-03-31.
    sunday = week(datetime(2024, 3, 31, 12, tzinfo=BERLIN))
    assert sunday.key == "2024-W13"
    assert sunday.scheduled == datetime(2024, 3, 25, 9, tzinfo=BERLIN)
    assert sunday.scheduled.utcoffset() == timedelta(hours=1)
    just_before = week(datetime(2024, 4, 1, 6, 59, tzinfo=UTC))  # 08:59 summer time
    assert just_before.key == "2024-W13"
    monday = week(datetime(2024, 4, 1, 7, 0, tzinfo=UTC))  # 09:00 summer time
    assert monday.key == "2024-W14"
    assert monday.scheduled.astimezone(UTC) == datetime(2024, 4, 1, 7, tzinfo=UTC)
    assert sunday.following == monday.scheduled
    assert "week 14 of 2024" in monday.label


def test_period_in_new_york_when_clocks_fall_back():
    before = period_at(WEEKLY, "America/New_York", datetime(2024, 11, 3, 12, tzinfo=NEW_YORK))
    assert before.scheduled.astimezone(UTC) == datetime(2024, 10, 28, 13, tzinfo=UTC)
    after = period_at(WEEKLY, "America/New_York", datetime(2024, 11, 4, 14, tzinfo=UTC))
    assert (after.key, after.scheduled.hour) == ("2024-W45", 9)
    assert after.scheduled.astimezone(UTC) == datetime(2024, 11, 4, 14, tzinfo=UTC)


def test_a_cron_firing_several_times_a_week_gets_a_period_per_fire():
    daily = period_at("30 7 * * *", "Europe/Berlin", datetime(2024, 4, 2, 12, tzinfo=BERLIN))
    assert daily.key == "2024-04-02T07:30"
    twice = period_at("0 9 * * mon,thu", "UTC", datetime(2024, 4, 5, tzinfo=UTC))
    assert twice.key == "2024-04-04T09:00"
    monthly = period_at("0 6 1 * *", "UTC", datetime(2024, 4, 20, tzinfo=UTC))
    assert monthly.key == "2024-W14"
