"""A `smartcart` process killed with SIGKILL in the middle of `score`, `train`, `db upgrade` or
`forget` leaves the store, the live model and the schema as they were (or, past the commit of
`train`, switches both together), on SQLite and PostgreSQL.

Real processes: each command runs as `smartcart ...` in a subprocess with
SMARTCART_TEST_KILL_AT naming the point where it kills itself (smartcart/engine/faults.py), the
last moment before its commit, so every write of the run is done and nothing is committed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import sqlalchemy as sa
from alembic import command

from smartcart.engine import SegmentService
from smartcart.engine.faults import KILL_AT
from smartcart.engine.live_switch import JOURNAL
from smartcart.engine.model.artifact import live_version
from smartcart.engine.store.migrations import ENGINE
from smartcart.engine.store.store import Store
from smartcart.engine.store.tables import metadata

KEY = "crash-test-erasure-key-0123456789"
CLI = "from smartcart.cli import main; main()"


def smartcart(*args: str, env: dict[str, str], kill_at: str | None = None):
    environment = {**os.environ, **env, "SMARTCART_ERASURE_KEY": KEY}
    environment.pop(KILL_AT, None)
    if kill_at:
        environment[KILL_AT] = kill_at
    return subprocess.run(
        [sys.executable, "-c", CLI, *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def killed(result: subprocess.CompletedProcess) -> bool:
    return result.returncode == -signal.SIGKILL


def contents(store: Store) -> dict[str, list]:
    """Every engine table's rows, sorted (what a crash must leave as it was)."""
    with store.engine.connect() as connection:
        return {
            table.name: sorted(map(repr, connection.execute(sa.select(table)).all()))
            for table in metadata.sorted_tables
            if sa.inspect(connection).has_table(table.name)
        }


def assignment_versions(store: Store) -> set[str]:
    with store.engine.connect() as connection:
        return set(
            connection.execute(sa.text("SELECT DISTINCT model_version FROM assignments")).scalars()
        )


def test_a_killed_score_leaves_the_store_as_it_was(live):
    store, before = live["store"], contents(live["store"])
    result = smartcart(
        "score", "--data", str(live["data"]), env=live["env"], kill_at="score:before-commit"
    )
    assert killed(result), result.stderr
    assert contents(store) == before


def test_a_killed_forget_leaves_the_store_as_it_was(live):
    store, before = live["store"], contents(live["store"])
    customer = str(int(live["trained"].data.customers["ID"].iloc[0]))
    result = smartcart("forget", customer, env=live["env"], kill_at="forget:before-commit")
    assert killed(result), result.stderr
    assert contents(store) == before
    done = smartcart("forget", customer, env=live["env"])
    assert done.returncode == 0, done.stderr
    assert contents(store) != before and store.customer(customer) is None


def test_a_train_killed_before_its_commit_leaves_model_and_store_as_they_were(live):
    store, models = live["store"], live["models"]
    before, version = contents(store), live_version(models)
    result = smartcart(
        "train", "--data", str(live["data"]), "--algorithm", "kmeans", "--refits", "2",
        env=live["env"], kill_at="train:before-store-commit",
    )  # fmt: skip
    assert killed(result), result.stderr
    assert contents(store) == before and live_version(models) == version
    service = SegmentService(models, store)
    assert service.live_version() == version  # the unfinished switch is dropped
    assert not (models / JOURNAL).exists() and contents(store) == before


def test_a_train_killed_between_its_commit_and_the_switch_switches_both(live):
    """The known bug: the store committed the new segments, the process died before LIVE
    changed. The next process to read the model finishes the switch: model and segments agree."""
    store, models = live["store"], live["models"]
    version = live_version(models)
    result = smartcart(
        "train", "--data", str(live["data"]), "--algorithm", "kmeans", "--refits", "2",
        env=live["env"], kill_at="train:before-switch",
    )  # fmt: skip
    assert killed(result), result.stderr
    (new,) = assignment_versions(store)
    assert new != version and live_version(models) == version  # the moment of the bug
    answered = smartcart("ask", "summary", env=live["env"])
    assert answered.returncode == 0, answered.stderr
    assert live_version(models) == new and assignment_versions(store) == {new}
    assert not (models / JOURNAL).exists()


def test_a_killed_db_upgrade_leaves_the_schema_as_it_was(tmp_path, database_url):
    store = Store(database_url)
    with store.engine.begin() as connection:
        command.upgrade(ENGINE.config(connection), "0004_customer_keys")
    schema_before = schema_of(store)
    env = {"SMARTCART_DATABASE_URL": database_url, "SMARTCART_MODEL_DIR": str(tmp_path / "m")}
    result = smartcart("db", "upgrade", env=env, kill_at="db-upgrade:engine:before-commit")
    assert killed(result), result.stderr
    assert schema_of(store) == schema_before
    assert store.schema_status().current == ("0004_customer_keys",)
    upgraded = smartcart("db", "upgrade", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    assert store.schema_status().up_to_date
    store.engine.dispose()


def schema_of(store: Store) -> dict[str, list[str]]:
    inspector = sa.inspect(store.engine)
    return {
        name: sorted(column["name"] for column in inspector.get_columns(name))
        for name in inspector.get_table_names()
    }
