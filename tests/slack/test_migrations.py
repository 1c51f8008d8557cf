"""The bot's tables and the whole database's migrations on SQLite and PostgreSQL: the bot's
revisions build its live tables, databases made before Alembic (`smartcart_schema` 1 to 5)
upgrade in place with their rows, and processes starting at once upgrade once, under the lock.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from smartcart.engine.store.migrating import locked_transaction
from smartcart.engine.store.migrations import ENGINE
from smartcart.engine.store.store import Store
from smartcart.engine.store.tables import metadata as engine_metadata
from smartcart.slack.digest.tables import digest_runs
from smartcart.slack.digest.tables import metadata as digest_metadata
from smartcart.slack.lease import metadata as lease_metadata
from smartcart.slack.migrations import open_store, status, upgrade
from tests.support import REPO, legacy_schema
from tests.support.schemas import (
    ENGINE_REVISIONS,
    contents,
    differences,
    drop_everything,
    schema_of,
)

BOT_REVISIONS = ["0001_digest_runs", "0002_digest_subscriptions", "0003_leases"]
# What each `smartcart_schema` version held (README of that time): engine and bot revisions.
LEGACY = {
    1: ("0001_customers", None),
    2: ("0002_history", "0001_digest_runs"),
    3: ("0002_history", "0002_digest_subscriptions"),
    4: ("0003_campaigns", "0002_digest_subscriptions"),
    5: ("0003_campaigns", "0003_leases"),
}
ALL_TABLES = [engine_metadata, digest_metadata, lease_metadata]
# Columns added after the numbered migrations, empty in the rows kept.
NEW_COLUMNS = {
    "customers": {
        "customer_key": None,
        "profile": None,
        "predicted_orders_365d": None,
        "predicted_clv_365d": None,
        "historic_clv": None,
        "probability_alive": None,
        "churn_risk": None,
        "expected_next_order_at": None,
        "average_days_between_orders": None,
        "average_order_value": None,
    },
    # 0007_history_churn_risk: the snapshots kept read as before, without churn bands.
    "history_members": {"churn_risk": None, "predicted_clv_365d": None},
}


def after(revisions: list[str], stamped: str | None) -> list[str]:
    return revisions[revisions.index(stamped) + 1 :] if stamped else revisions


def test_a_new_database_gets_the_engine_and_the_bot_tables(database_url):
    store = open_store(database_url)
    assert [(s.name, s.current, s.up_to_date) for s in status(store)] == [
        ("engine", (ENGINE_REVISIONS[-1],), True),
        ("bot", (BOT_REVISIONS[-1],), True),
    ]
    assert set(digest_metadata.tables) | set(lease_metadata.tables) == {
        "digest_runs",
        "digest_events",
        "digest_subscriptions",
        "leases",
    }
    assert differences(store.engine, ALL_TABLES) == []
    assert [u.applied for u in upgrade(store)] == [[], []]
    store.engine.dispose()


def test_a_channel_and_period_can_be_claimed_once(database_url):
    store = open_store(database_url)
    row = {
        "channel": "C1",
        "period": "2024-W14",
        "scheduled_at": datetime(2024, 4, 1, 7, tzinfo=UTC),
        "state": "working",
        "owner": "a",
        "attempts": 1,
        "created_at": datetime.now(UTC),
        "updated_at": datetime.now(UTC),
    }
    with store.engine.begin() as connection:
        connection.execute(digest_runs.insert().values(row))
    with pytest.raises(IntegrityError), store.engine.begin() as connection:
        connection.execute(digest_runs.insert().values({**row, "owner": "b"}))
    store.engine.dispose()


@pytest.fixture
def new_schema(database_url) -> dict:
    """What a new database is made of with today's code (made, read, then emptied again)."""
    store = open_store(database_url)
    made = schema_of(store.engine)
    drop_everything(store.engine)
    store.engine.dispose()
    return made


@pytest.mark.parametrize("version", [1, 2, 3, 4, 5])
def test_a_database_made_before_alembic_upgrades_in_place_with_its_rows(
    database_url, new_schema, version
):
    old = sa.create_engine(database_url)
    legacy_schema.make_database(old, version)
    legacy_schema.fill(old, version)
    rows = contents(old)
    assert len(rows) == 1 + sum(len(legacy_schema.ROWS[n]) for n in range(1, version + 1))

    store = Store(database_url)
    before = status(store)
    assert [(s.current, s.legacy_version) for s in before] == [((), version), ((), version)]
    done = upgrade(store)

    engine_at, bot_at = LEGACY[version]
    assert [(u.name, u.adopted) for u in done] == [
        ("engine", (version, engine_at)),
        ("bot", (version, bot_at)),
    ]
    assert [[r.id for r in u.applied] for u in done] == [
        after(ENGINE_REVISIONS, engine_at),
        after(BOT_REVISIONS, bot_at),
    ]
    assert all(s.up_to_date for s in status(store))
    kept = contents(store.engine)
    # smartcart_schema's rows included; columns added since (0004 to 0006) are empty
    assert {name: [dict(r) for r in kept[name]] for name in rows} == {
        name: [{**r, **NEW_COLUMNS.get(name, {})} for r in table] for name, table in rows.items()
    }
    adopted = schema_of(store.engine)
    adopted.pop("smartcart_schema")
    assert adopted == new_schema
    assert differences(store.engine, ALL_TABLES) == []
    assert [u.adopted for u in upgrade(store)] == [None, None]
    store.engine.dispose()
    old.dispose()


# ----------------------------------------------------------------------------------------------
# Processes starting at once: real subprocesses, each opening the database as the bot does.
# ----------------------------------------------------------------------------------------------

STARTER = """
import json, logging, sys, time
from pathlib import Path

logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
from smartcart.slack.migrations import upgrade
from smartcart.engine.store.store import Store

url, go = sys.argv[1], Path(sys.argv[2])
print("ready", flush=True)
while not go.exists():
    time.sleep(0.005)
done = upgrade(Store(url))
print(json.dumps([[u.name, u.adopted, [r.id for r in u.applied]] for u in done]), flush=True)
"""
WAITING = "waiting for another process to finish upgrading the schema"


class Starters:
    """Processes that each upgrade the database once the test says go."""

    def __init__(self, count: int, url: str, folder: Path) -> None:
        self.go = folder / "go"
        self.outputs = [(folder / f"out{i}.txt", folder / f"err{i}.txt") for i in range(count)]
        self.processes = []
        for out, err in self.outputs:
            with out.open("w") as stdout, err.open("w") as stderr:
                self.processes.append(
                    subprocess.Popen(
                        [sys.executable, "-c", STARTER, url, str(self.go)],
                        cwd=REPO,
                        stdout=stdout,
                        stderr=stderr,
                    )
                )
        self.wait_until(lambda out, err: out.startswith("ready"))

    def wait_until(self, condition, seconds: float = 180) -> None:
        deadline = time.monotonic() + seconds
        while not all(condition(out.read_text(), err.read_text()) for out, err in self.outputs):
            for process, (_, err) in zip(self.processes, self.outputs, strict=True):
                assert process.poll() is None, err.read_text()
            assert time.monotonic() < deadline, [err.read_text() for _, err in self.outputs]
            time.sleep(0.05)

    def results(self) -> list[list]:
        """Each process's [name, adopted, applied] per environment, after a clean exit."""
        for process, (_, err) in zip(self.processes, self.outputs, strict=True):
            assert process.wait(timeout=180) == 0, err.read_text()
        return [json.loads(out.read_text().splitlines()[-1]) for out, _ in self.outputs]

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait()


@pytest.fixture
def starters(tmp_path: Path):
    started = []

    def start(count: int, url: str) -> Starters:
        started.append(Starters(count, url, tmp_path))
        return started[-1]

    yield start
    for each in started:
        each.stop()


def did(results: list[list], name: str) -> list[tuple]:
    """What the processes that did something in environment `name` did: (adopted, applied)."""
    mine = [(adopted, applied) for result in results for n, adopted, applied in result if n == name]
    return [(tuple(a) if a else None, applied) for a, applied in mine if a or applied]


@pytest.mark.parametrize("legacy_version", [None, 3])
def test_processes_starting_at_once_upgrade_once(database_url, starters, legacy_version):
    if legacy_version:
        old = sa.create_engine(database_url)
        legacy_schema.make_database(old, legacy_version)
        legacy_schema.fill(old, legacy_version)
        old.dispose()
    processes = starters(3, database_url)
    processes.go.touch()
    results = processes.results()

    engine_at, bot_at = LEGACY[legacy_version] if legacy_version else (None, None)
    adopted = (legacy_version, engine_at) if legacy_version else None
    assert did(results, "engine") == [(adopted, after(ENGINE_REVISIONS, engine_at))]
    adopted = (legacy_version, bot_at) if legacy_version else None
    assert did(results, "bot") == [(adopted, after(BOT_REVISIONS, bot_at))]
    store = Store(database_url)
    assert all(s.up_to_date for s in status(store))
    assert differences(store.engine, ALL_TABLES) == []
    store.engine.dispose()


def test_processes_wait_for_the_one_upgrading(database_url, starters):
    """While the lock is held (here by the test), starting processes say they wait, and wait;
    once it is free, one of them upgrades each environment and the others find it done."""
    store = Store(database_url)
    with locked_transaction(store.engine, ENGINE.version_table):
        processes = starters(2, database_url)
        processes.go.touch()
        processes.wait_until(lambda out, err: WAITING in err)
        assert all(process.poll() is None for process in processes.processes)
    results = processes.results()
    assert did(results, "engine") == [(None, ENGINE_REVISIONS)]
    assert did(results, "bot") == [(None, BOT_REVISIONS)]
    assert [s.current for s in status(store)] == [(ENGINE_REVISIONS[-1],), (BOT_REVISIONS[-1],)]
    store.engine.dispose()
