"""The scheduler lease: one holder at a time, renewal, takeover after expiry or a SIGKILL."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from smartcart.engine.store.store import Store
from smartcart.slack.lease import Lease, LeaseKeeper
from smartcart.slack.migrations import open_store
from tests.support import wait_for

SMARTCART = str(Path(sys.executable).parent / "smartcart")


@pytest.fixture
def store(database_url: str) -> Store:
    store = open_store(database_url)
    yield store
    store.engine.dispose()


def test_one_holder_at_a_time_and_release_hands_over(store):
    first = Lease(store.engine, ttl=30, holder="first")
    second = Lease(store.engine, ttl=30, holder="second")
    assert first.try_hold().held
    assert not second.try_hold().held
    assert first.try_hold().held  # renewal
    assert first.current_holder() == "first"
    first.release()
    assert first.current_holder() is None
    taken = second.try_hold()
    assert taken.held and taken.previous == "first"
    assert not first.try_hold().held


def test_an_expired_lease_is_taken_over(store):
    dead = Lease(store.engine, ttl=0.2, holder="dead")
    assert dead.try_hold().held
    time.sleep(0.3)
    heir = Lease(store.engine, ttl=30, holder="heir")
    taken = heir.try_hold()
    assert taken.held and taken.previous == "dead" and taken.previous_expired
    assert not dead.try_hold().held


def test_racing_contenders_get_exactly_one_lease(store):
    contenders = [Lease(store.engine, ttl=30, holder=f"c{i}") for i in range(8)]
    start = threading.Barrier(len(contenders))
    results: dict[str, bool] = {}

    def contend(lease: Lease) -> None:
        start.wait()
        results[lease.holder] = lease.try_hold().held

    threads = [threading.Thread(target=contend, args=(lease,)) for lease in contenders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [holder for holder, held in results.items() if held]
    assert len(winners) == 1
    assert contenders[0].current_holder() == winners[0]


def test_keepers_run_the_work_only_while_holding(store, caplog):
    caplog.set_level(logging.INFO, logger="smartcart.slack.lease")
    running: dict[str, bool] = {}

    def keeper(name: str) -> LeaseKeeper:
        lease = Lease(store.engine, ttl=1.0, holder=name)
        return LeaseKeeper(
            lease, lambda: running.__setitem__(name, True), lambda: running.pop(name, None)
        )

    first = keeper("first").start()
    wait_for(lambda: first.held)
    second = keeper("second").start()
    time.sleep(0.8)  # a few of its heartbeats
    assert running == {"first": True} and not second.held
    first.stop()
    wait_for(lambda: second.held)
    assert running == {"second": True}
    second.stop()
    assert running == {}
    messages = [record.getMessage() for record in caplog.records]
    assert "lease scheduler: acquired by first" in messages
    assert "lease scheduler: released by first" in messages
    assert "lease scheduler: acquired by second" in messages


def start_scheduler_process(env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("w") as out:
        return subprocess.Popen(
            [SMARTCART, "-v", "scheduler"], env=env, stdout=out, stderr=subprocess.STDOUT
        )


def holder_pid(lease: Lease) -> int | None:
    holder = lease.current_holder()
    return int(holder.split(":")[1]) if holder else None


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # processes are slow to start
def test_two_scheduler_processes_one_holds_and_the_other_takes_over_after_sigkill(
    settings_env, database_url, store, tmp_path
):
    env = {
        **os.environ,
        "SMARTCART_DATABASE_URL": database_url,
        "SMARTCART_RETRAIN_CRON": "0 3 * * sun",
        "SMARTCART_DATA": str(tmp_path / "customers.csv"),
        "SMARTCART_LEASE_SECONDS": "1.5",
    }
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    processes = [start_scheduler_process(env, log) for log in logs]
    watcher = Lease(store.engine)
    try:
        pids = {process.pid: (process, log) for process, log in zip(processes, logs, strict=True)}
        first = wait_for(lambda: holder_pid(watcher))
        assert first in pids
        # both are up and contending, and the holder stays the holder
        wait_for(lambda: all("contending" in log.read_text() for log in logs))
        time.sleep(2)
        assert holder_pid(watcher) == first
        os.kill(first, signal.SIGKILL)
        pids[first][0].wait(timeout=10)
        (survivor,) = set(pids) - {first}
        assert wait_for(lambda: holder_pid(watcher) == survivor)
        survivor_process, survivor_log = pids[survivor]
        survivor_process.send_signal(signal.SIGTERM)
        assert survivor_process.wait(timeout=20) == 0
        text = survivor_log.read_text()
        assert "(expired)" in text and "took over from" in text and "released by" in text
        assert "acquired by" in pids[first][1].read_text()
        assert watcher.current_holder() is None  # released on a clean stop
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()


def test_only_the_lease_holder_runs_scheduled_jobs(settings_env, store, monkeypatch):
    from smartcart.engine.service import SegmentService
    from smartcart.slack.digest.scheduler import RETRAIN_JOB, LeasedScheduler, ScheduledJobs
    from smartcart.slack.settings import load_settings

    monkeypatch.setenv("SMARTCART_RETRAIN_CRON", "0 3 * * sun")
    monkeypatch.setenv("SMARTCART_LEASE_SECONDS", "1")
    settings = load_settings()
    service = SegmentService(settings.SMARTCART_MODEL_DIR, store)
    ran: list[str] = []

    def scheduler(name: str) -> LeasedScheduler:
        return LeasedScheduler(settings, service, ScheduledJobs(retrain=lambda: ran.append(name)))

    first = scheduler("first").start()
    wait_for(lambda: first.holding)
    second = scheduler("second").start()
    time.sleep(0.5)
    try:
        assert first.scheduler is not None and first.scheduler.get_job(RETRAIN_JOB)
        assert second.scheduler is None and not second.holding
        first.jobs.retrain()
        second.jobs.retrain()  # a job that fires where the lease is not held does nothing
        assert ran == ["first"]
        first.shutdown(wait=True)
        wait_for(lambda: second.holding and second.scheduler is not None)
        assert first.scheduler is None
    finally:
        first.shutdown()
        second.shutdown()
