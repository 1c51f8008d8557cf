"""The scheduler: cron in local time across daylight saving, job options, real runs."""

from __future__ import annotations

import shutil
import threading
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED

from smartcart.engine.model.artifact import live_version
from smartcart.engine.service import SegmentService
from smartcart.engine.store.store import Store
from smartcart.engine.training import TrainingOptions
from smartcart.slack.bot_engine import build_context
from smartcart.slack.digest.runner import DigestRunner
from smartcart.slack.digest.scheduler import (
    DIGEST_JOB,
    DIGEST_RETRY_JOB,
    MISFIRE_GRACE_SECONDS,
    RETRAIN_JOB,
    ScheduledJobs,
    add_jobs,
    build_scheduler,
    retrain_job,
    scheduled_jobs,
    start_scheduler,
)
from smartcart.slack.settings import Settings, SettingsError, load_settings

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def nothing() -> None:
    pass


def settings_with(monkeypatch, **values: str) -> Settings:
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return load_settings()


def next_fire(scheduler, job_id: str, after: datetime) -> datetime:
    return scheduler.get_job(job_id).trigger.get_next_fire_time(None, after)


@pytest.mark.parametrize(
    ("zone", "before_change", "after_change", "utc_before", "utc_after"),
    [
        # Berlin: summer time from Sunday 2024-03-31 (UTC+1 -> UTC+2)
        ("Europe/Berlin", datetime(2024, 3, 25, 9), datetime(2024, 4, 1, 9), 8, 7),
        # New York: standard time from Sunday 2024-11-03 (UTC-4 -> UTC-5)
        ("America/New_York", datetime(2024, 10, 28, 9), datetime(2024, 11, 4, 9), 13, 14),
    ],
)
def test_the_digest_fires_at_9_local_time_across_a_daylight_saving_change(
    settings_env, monkeypatch, zone, before_change, after_change, utc_before, utc_after
):
    settings = settings_with(monkeypatch, SMARTCART_TIMEZONE=zone)
    scheduler = build_scheduler(settings, ScheduledJobs(digest=nothing))
    local = ZoneInfo(zone)
    first = next_fire(scheduler, DIGEST_JOB, before_change.replace(hour=0, tzinfo=local))
    second = next_fire(scheduler, DIGEST_JOB, first.replace(hour=10))
    assert first == before_change.replace(tzinfo=local)
    assert second == after_change.replace(tzinfo=local)
    assert (first.astimezone(UTC).hour, second.astimezone(UTC).hour) == (utc_before, utc_after)


def test_jobs_have_explicit_ids_and_run_once_at_a_time(settings_env, monkeypatch):
    settings = settings_with(
        monkeypatch, SMARTCART_RETRAIN_CRON="0 3 * * sun", SMARTCART_TIMEZONE="Europe/Berlin"
    )
    jobs = ScheduledJobs(digest=nothing, retrain=nothing)
    scheduler = build_scheduler(settings, jobs)
    scheduler.start(paused=True)
    try:
        add_jobs(scheduler, settings, jobs)  # again: replaced, not duplicated
        found = {job.id: job for job in scheduler.get_jobs()}
        assert set(found) == {DIGEST_JOB, DIGEST_RETRY_JOB, RETRAIN_JOB}
        for job in found.values():
            assert (job.coalesce, job.max_instances) == (True, 1)
            assert job.misfire_grace_time == MISFIRE_GRACE_SECONDS
        retrain = found[RETRAIN_JOB].trigger.get_next_fire_time(
            None, datetime(2024, 3, 30, tzinfo=BERLIN)
        )
        assert retrain == datetime(2024, 3, 31, 3, tzinfo=BERLIN)  # 03:00 exists that night
    finally:
        scheduler.shutdown(wait=False)


def test_the_scheduler_runs_the_digest_job_and_its_retries_post_nothing_more(
    engine_settings, slack_standin, monkeypatch
):
    settings = settings_with(monkeypatch, SMARTCART_DIGEST_CHANNEL="C0SCHED")
    context = build_context(settings)
    monday_morning = datetime(2024, 4, 1, 9, 1, tzinfo=UTC)  # what the runner clock says
    runner = DigestRunner(settings, context.service, clock=lambda: monday_morning)
    scheduler = start_scheduler(settings, context.service, runner)
    ran: dict[str, threading.Event] = {
        DIGEST_JOB: threading.Event(),
        DIGEST_RETRY_JOB: threading.Event(),
    }
    scheduler.add_listener(
        lambda event: ran[event.job_id].set(), EVENT_JOB_EXECUTED | EVENT_JOB_ERROR
    )
    try:
        for job_id in (DIGEST_JOB, DIGEST_RETRY_JOB):
            scheduler.get_job(job_id).modify(next_run_time=datetime.now(UTC))
            assert ran[job_id].wait(20), f"{job_id} did not run"
    finally:
        scheduler.shutdown(wait=True)
        context.service.store.engine.dispose()
    assert len(slack_standin.calls("chat.postMessage")) == 1
    assert len(slack_standin.calls("files.completeUploadExternal")) == 1


def test_scheduled_jobs_follow_the_settings(settings_env, monkeypatch):
    service = SegmentService(settings_env.SMARTCART_MODEL_DIR, Store("sqlite://"))
    no_token = settings_env.model_copy(update={"SLACK_BOT_TOKEN": None})
    assert not scheduled_jobs(no_token, service)
    assert start_scheduler(no_token, service) is None
    token_only = scheduled_jobs(settings_env, service)  # channels may subscribe from Slack
    assert token_only.subscriptions is not None and token_only.digest is None
    digest_only = settings_with(monkeypatch, SMARTCART_DIGEST_CHANNEL="C1")
    jobs = scheduled_jobs(digest_only, service)
    assert jobs.digest is not None and jobs.retrain is None
    retrain = settings_with(monkeypatch, SMARTCART_RETRAIN_CRON="0 3 * * sun")
    with pytest.raises(SettingsError, match="SMARTCART_DATA is not set"):
        scheduled_jobs(retrain, service)


def test_scheduled_retraining_switches_models_only_when_it_succeeds(trained, tmp_path):
    model_dir = tmp_path / "models"
    shutil.copytree(trained.artifact.parent.parent, model_dir)
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    store.migrate()
    service = SegmentService(model_dir, store)
    before = live_version(model_dir)
    broken = tmp_path / "broken.csv"
    broken.write_text("ID\tIncome\n1\t5\n")
    retrain_job(service, str(broken), TrainingOptions(algorithm="kmeans", refits=2))()
    assert live_version(model_dir) == before

    data = tmp_path / "customers.csv"
    shutil.copy(trained.data.source, data)
    retrain_job(service, str(data), TrainingOptions(algorithm="kmeans", refits=2))()
    assert live_version(model_dir) != before
    assert store.count_customers() == len(trained.data.customers)
    store.engine.dispose()
