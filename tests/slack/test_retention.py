"""Retention (smartcart/slack/retention.py) on SQLite and PostgreSQL: audit rows older than
SMARTCART_AUDIT_RETENTION_DAYS and digest snapshots beyond SMARTCART_HISTORY_RETENTION_PERIODS
go, the rest stays, each deletion is logged; the scheduler runs it once a day when set."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from smartcart.engine.service import SegmentService
from smartcart.engine.store.store import Store
from smartcart.engine.store.tables import (
    audit_log,
    history_members,
    history_segments,
    history_snapshots,
)
from smartcart.slack.digest.scheduler import RETENTION_JOB, build_scheduler, scheduled_jobs
from smartcart.slack.retention import apply_retention
from smartcart.slack.settings import load_settings
from tests.support.digest import store_snapshot

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def add_audit_row(store: Store, days_ago: int) -> None:
    with store.engine.begin() as connection:
        connection.execute(
            audit_log.insert().values(
                at=NOW - timedelta(days=days_ago),
                user_id="U1",
                channel_id="C1",
                action="customer",
                target=f"{days_ago}",
                allowed=True,
            )
        )


def add_snapshot(store: Store, week: int) -> None:
    at = datetime(2026, 1, 5, tzinfo=UTC) + timedelta(weeks=week)
    store_snapshot(store, f"W{week:02d}", at, [1])


def column(store: Store, selected: sa.Column) -> list:
    with store.engine.connect() as connection:
        return sorted(connection.execute(sa.select(selected)).scalars())


def test_old_audit_rows_and_snapshots_go_and_the_deletion_is_logged(
    store, settings_env, monkeypatch, caplog
):
    for days in (1, 29, 31, 400):
        add_audit_row(store, days)
    for week in range(5):
        add_snapshot(store, week)
    monkeypatch.setenv("SMARTCART_AUDIT_RETENTION_DAYS", "30")
    monkeypatch.setenv("SMARTCART_HISTORY_RETENTION_PERIODS", "2")
    with caplog.at_level(logging.INFO, logger="smartcart.slack.retention"):
        run = apply_retention(load_settings(), store, now=NOW)

    assert (run.audit_rows, run.snapshots, run.oldest_period_kept) == (2, 3, "W03")
    assert column(store, audit_log.c.target) == ["1", "29"]
    assert column(store, history_snapshots.c.period) == ["W03", "W04"]
    kept_ids = column(store, history_snapshots.c.id)
    assert set(column(store, history_members.c.snapshot_id)) == set(kept_ids)
    assert set(column(store, history_segments.c.snapshot_id)) == set(kept_ids)
    assert caplog.messages == [
        "retention: deleted 2 audit rows older than 2026-05-02T12:00:00+00:00 "
        "(SMARTCART_AUDIT_RETENTION_DAYS=30)",
        "retention: deleted 3 digest snapshots older than period W03 "
        "(SMARTCART_HISTORY_RETENTION_PERIODS=2)",
    ]


def test_unset_retention_keeps_everything_and_schedules_nothing(store, settings_env, tmp_path):
    add_audit_row(store, 4000)
    add_snapshot(store, 0)
    settings = load_settings()
    assert apply_retention(settings, store, now=NOW).audit_rows is None
    assert column(store, audit_log.c.target) == ["4000"]
    service = SegmentService(tmp_path / "models", store)
    assert scheduled_jobs(settings, service).retention is None


def test_the_scheduler_runs_retention_daily_when_set(store, settings_env, monkeypatch, tmp_path):
    monkeypatch.setenv("SMARTCART_HISTORY_RETENTION_PERIODS", "12")
    settings = load_settings()
    jobs = scheduled_jobs(settings, SegmentService(tmp_path / "models", store))
    job = build_scheduler(settings, jobs).get_job(RETENTION_JOB)
    assert job is not None and job.trigger.interval == timedelta(days=1)
    add_snapshot(store, 0)
    jobs.retention()  # what the scheduler calls
    assert column(store, history_snapshots.c.period) == ["W00"]
