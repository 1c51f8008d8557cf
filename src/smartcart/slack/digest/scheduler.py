"""Scheduled jobs (APScheduler 3.x): the digest, its catch-up tick, and an optional retraining.

- `smartcart-digest`: `SMARTCART_DIGEST_CRON` in `SMARTCART_TIMEZONE` (so 09:00 stays 09:00 local
  across daylight-saving changes); runs the digest of the period that just started.
- `smartcart-digest-retry`: every few minutes (and shortly after start), the same job for the
  current period. It posts nothing when the period is posted or being posted; it retries a failed
  period after a backoff, finishes a crashed one, and catches up a tick missed while the process
  was down, all only within the digest's grace window (`smartcart.slack.digest.runner.GRACE`).
- `smartcart-digest-subscriptions` (whenever the bot has a token): every minute, the digest of
  each channel subscribed from Slack (`/segment digest subscribe`), on that channel's schedule,
  with the same once-per-(channel, period) claim, retries and grace window.
- `smartcart-retrain` (when `SMARTCART_RETRAIN_CRON` is set): retrains from `SMARTCART_DATA`;
  the live model changes only when training succeeded (`SegmentService.train`).
- `smartcart-retention` (when `SMARTCART_AUDIT_RETENTION_DAYS` or
  `SMARTCART_HISTORY_RETENTION_PERIODS` is set): once a day, shortly after start, deletes the
  older audit rows and digest snapshots (smartcart/slack/retention.py).

Every job has an explicit id, `replace_existing=True`, `coalesce=True` (a backlog of missed
fires runs once), `max_instances=1` and a misfire grace time. The digest is once-per-period
through the store, so two schedulers cannot post twice. On top of that, exactly one scheduler
runs across all workers and replicas: `LeasedScheduler` (used by `smartcart serve` and
`smartcart scheduler`) runs the jobs only while it holds the `scheduler` lease in the store's
database (smartcart/slack/lease.py); another process takes over within `SMARTCART_LEASE_SECONDS` when the
holder dies.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from smartcart.engine import SegmentService, TrainingOptions
from smartcart.engine.data import DataSource
from smartcart.slack.digest.ledger import utc_now
from smartcart.slack.digest.runner import DigestRunner
from smartcart.slack.digest.subscriptions import settings_for, stored_subscriptions
from smartcart.slack.lease import Lease, LeaseKeeper
from smartcart.slack.logs import request_scope
from smartcart.slack.metrics import count_rows_scored
from smartcart.slack.retention import retention_job, wanted
from smartcart.slack.settings import Settings, SettingsError, require

logger = logging.getLogger(__name__)

DIGEST_JOB = "smartcart-digest"
DIGEST_RETRY_JOB = "smartcart-digest-retry"
RETRAIN_JOB = "smartcart-retrain"
SUBSCRIPTIONS_JOB = "smartcart-digest-subscriptions"
RETENTION_JOB = "smartcart-retention"
RETENTION_EVERY = timedelta(days=1)
SUBSCRIPTIONS_EVERY = timedelta(minutes=1)
MISFIRE_GRACE_SECONDS = 3600
RETRY_EVERY = timedelta(minutes=5)
FIRST_RETRY_AFTER = timedelta(seconds=30)

Job = Callable[[], Any]


@dataclass
class ScheduledJobs:
    digest: Job | None = None
    retrain: Job | None = None
    subscriptions: Job | None = None
    retention: Job | None = None

    def __bool__(self) -> bool:
        return any(getattr(self, f.name) is not None for f in fields(self))


def digest_job(runner: DigestRunner, automatic: bool = True) -> Job:
    def run_digest() -> None:
        with request_scope("digest"):
            result = runner.run(manual=not automatic)
            level = logging.DEBUG if result.quiet else logging.INFO
            if result.state in ("failed", "failed_ambiguous") and not result.quiet:
                level = logging.WARNING
            logger.log(level, "digest %s: %s", result.period, result.message)

    return run_digest


def retrain_job(
    service: SegmentService, data: str | DataSource, options: TrainingOptions | None = None
) -> Job:
    def retrain() -> None:
        with request_scope("retrain"):
            retrain_logged()

    def retrain_logged() -> None:
        before = service.live_version()
        try:
            result = service.train(data, options or TrainingOptions())
        except Exception:
            logger.exception(
                "scheduled retraining from %s failed; model %s stays live", data, before
            )
            return
        count_rows_scored(len(result.data.customers))
        logger.info("scheduled retraining: model %s is live (was %s)", result.model.version, before)

    return retrain


def run_subscribed_digests(
    settings: Settings,
    service: SegmentService,
    at: datetime | None = None,
    manual: bool = False,
    clock: Callable[[], datetime] = utc_now,
) -> list:
    """One digest run per stored subscription (the environment's channel has its own jobs)."""
    outcomes = []
    for subscription in stored_subscriptions(service.store):
        if subscription.channel == settings.SMARTCART_DIGEST_CHANNEL:
            continue
        runner = DigestRunner(settings_for(settings, subscription), service, clock=clock)
        try:
            outcomes.append(runner.run(at=at, manual=manual))
        except Exception:
            logger.exception("digest for %s failed", subscription.channel)
    return outcomes


def subscriptions_job(settings: Settings, service: SegmentService) -> Job:
    def run_subscriptions() -> None:
        for result in run_subscribed_digests(settings, service):
            if not result.quiet:
                logger.info("digest %s for %s: %s", result.period, result.channel, result.message)

    return run_subscriptions


def scheduled_jobs(
    settings: Settings, service: SegmentService, runner: DigestRunner | None = None
) -> ScheduledJobs:
    """The jobs the settings ask for; SettingsError when one lacks what it needs."""
    jobs = ScheduledJobs()
    if settings.SMARTCART_DIGEST_CHANNEL:
        require(settings, ("SLACK_BOT_TOKEN",), "to post the digest")
        jobs.digest = digest_job(runner or DigestRunner(settings, service))
    if settings.SMARTCART_RETRAIN_CRON:
        require(settings, ("SMARTCART_DATA",), "by SMARTCART_RETRAIN_CRON (it retrains from it)")
        jobs.retrain = retrain_job(service, settings.data_source())
    if settings.SLACK_BOT_TOKEN is not None:
        jobs.subscriptions = subscriptions_job(settings, service)
    if wanted(settings):
        jobs.retention = retention_job(settings, service.store)
    return jobs


def build_scheduler(settings: Settings, jobs: ScheduledJobs) -> BackgroundScheduler:
    """A BackgroundScheduler (not started) in SMARTCART_TIMEZONE with the jobs added."""
    scheduler = BackgroundScheduler(timezone=settings.timezone)
    add_jobs(scheduler, settings, jobs)
    return scheduler


def add_jobs(scheduler: BackgroundScheduler, settings: Settings, jobs: ScheduledJobs) -> None:
    options = {
        "replace_existing": True,
        "coalesce": True,
        "max_instances": 1,
        "misfire_grace_time": MISFIRE_GRACE_SECONDS,
    }
    zone = settings.timezone
    if jobs.digest is not None:
        cron = digest_trigger(settings.SMARTCART_DIGEST_CRON, settings.SMARTCART_TIMEZONE)
        scheduler.add_job(jobs.digest, cron, id=DIGEST_JOB, name="segment digest", **options)
    repeated = [
        (jobs.digest, RETRY_EVERY, DIGEST_RETRY_JOB, "segment digest: retries and catch-up"),
        (
            jobs.subscriptions,
            SUBSCRIPTIONS_EVERY,
            SUBSCRIPTIONS_JOB,
            "digests of subscribed channels",
        ),
        (jobs.retention, RETENTION_EVERY, RETENTION_JOB, "retention of audit rows and snapshots"),
    ]
    for job, every, job_id, name in repeated:
        if job is not None:  # first shortly after start, then every `every`
            scheduler.add_job(
                job,
                IntervalTrigger(seconds=every.total_seconds(), timezone=zone),
                id=job_id,
                name=name,
                next_run_time=datetime.now(zone) + FIRST_RETRY_AFTER,
                **options,
            )
    if jobs.retrain is not None:
        retrain = CronTrigger.from_crontab(settings.SMARTCART_RETRAIN_CRON, timezone=zone)
        scheduler.add_job(jobs.retrain, retrain, id=RETRAIN_JOB, name="retraining", **options)


def digest_trigger(cron: str, timezone: str) -> CronTrigger:
    return CronTrigger.from_crontab(cron, timezone=timezone)


def start_scheduler(
    settings: Settings, service: SegmentService, runner: DigestRunner | None = None
) -> BackgroundScheduler | None:
    """Start the scheduler in the background; None (with a log line) when nothing is set."""
    jobs = scheduled_jobs(settings, service, runner)
    if not jobs:
        logger.warning(
            "nothing scheduled: set SLACK_BOT_TOKEN, SMARTCART_DIGEST_CHANNEL or SMARTCART_RETRAIN_CRON"
        )
        return None
    scheduler = build_scheduler(settings, jobs)
    scheduler.start()
    for job in scheduler.get_jobs():
        logger.info("scheduled %s (%s): next at %s", job.id, job.trigger, job.next_run_time)
    return scheduler


class LeasedScheduler:
    """The scheduler, running its jobs only while this process holds the scheduler lease.

    Contends for the lease from `start()`; on acquiring it builds and starts a fresh
    BackgroundScheduler, on losing it shuts that down (a job running then finishes; each job also
    checks the lease before it starts). `shutdown()` releases the lease for the next holder.
    """

    def __init__(self, settings: Settings, service: SegmentService, jobs: ScheduledJobs) -> None:
        self.settings = settings
        self.jobs = ScheduledJobs(
            **{f.name: self.guarded(getattr(jobs, f.name), f.name) for f in fields(ScheduledJobs)}
        )
        self.scheduler: BackgroundScheduler | None = None
        self.wait_for_jobs = False  # on pausing: True only when shutting down for good
        self.lock = threading.Lock()
        lease = Lease(service.store.engine, ttl=settings.SMARTCART_LEASE_SECONDS)
        self.keeper = LeaseKeeper(lease, self.resume, self.pause)

    def guarded(self, job: Job | None, name: str) -> Job | None:
        if job is None:
            return None

        def run_if_holding() -> None:
            if not self.keeper.held:
                logger.info("%s skipped: this process no longer holds the scheduler lease", name)
                return
            job()

        return run_if_holding

    @property
    def holding(self) -> bool:
        return self.keeper.held

    @property
    def running(self) -> bool:
        """Alive: waiting for the lease, or holding it with its jobs' scheduler running."""
        with self.lock:
            return not self.holding or (self.scheduler is not None and self.scheduler.running)

    def start(self) -> LeasedScheduler:
        self.keeper.start()
        return self

    def resume(self) -> None:
        with self.lock:
            self.scheduler = build_scheduler(self.settings, self.jobs)
            self.scheduler.start()
            for line in describe_jobs(self.scheduler):
                logger.info("scheduled %s", line)

    def pause(self) -> None:
        with self.lock:
            if self.scheduler is not None:
                self.scheduler.shutdown(wait=self.wait_for_jobs)
                self.scheduler = None
                logger.info("scheduler stopped: the lease is not held here")

    def shutdown(self, wait: bool = False) -> None:
        """Stop contending; stop the jobs (waiting for a running one if `wait`); release."""
        self.wait_for_jobs = wait
        self.keeper.stop()


def start_leased_scheduler(
    settings: Settings, service: SegmentService, runner: DigestRunner | None = None
) -> LeasedScheduler | None:
    """Contend for the scheduler lease in the background; None (logged) when nothing is set."""
    jobs = scheduled_jobs(settings, service, runner)
    if not jobs:
        logger.warning("nothing scheduled: set SMARTCART_DIGEST_CHANNEL or SMARTCART_RETRAIN_CRON")
        return None
    return LeasedScheduler(settings, service, jobs).start()


def describe_jobs(scheduler: BackgroundScheduler) -> list[str]:
    return [
        f"{job.id}: next at {job.next_run_time} ({job.trigger})" for job in scheduler.get_jobs()
    ]


def start_standalone(settings: Settings, service: SegmentService) -> LeasedScheduler:
    """`smartcart scheduler`: like in `serve`, but having nothing to schedule is an error."""
    scheduler = start_leased_scheduler(settings, service)
    if scheduler is None:
        raise SettingsError(
            "SLACK_BOT_TOKEN, SMARTCART_DIGEST_CHANNEL and SMARTCART_RETRAIN_CRON are not set: "
            "nothing to schedule"
        )
    return scheduler


def wait_until_stopped(
    scheduler: BackgroundScheduler | LeasedScheduler, stop: threading.Event | None = None
) -> None:
    """Block until SIGINT/SIGTERM (or `stop` is set), then shut the scheduler down."""
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, lambda *_: stop.set())
    try:
        while not stop.wait(1.0):
            pass
    finally:
        scheduler.shutdown(wait=True)
