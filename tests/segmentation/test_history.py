"""Digest history on SQLite and PostgreSQL: periods, snapshots, movements, drift, migrations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from segmentation import comparison, periods, snapshots
from segmentation import store as store_module
from segmentation.comparison import GONE, NEW, prepare_digest
from segmentation.periods import period_at
from segmentation.scoring import score
from segmentation.store import MIGRATIONS, Store, digest_runs, history_members

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
WEEKLY = "0 9 * * mon"


@pytest.fixture
def store(database_url) -> Store:
    store = Store(database_url)
    store.migrate()
    yield store
    store.engine.dispose()


def put_customers(store: Store, model, customers: pd.DataFrame) -> None:
    store.save_customers(customers, score(model, customers), model.version, replace=True)


def week(key_time: datetime) -> periods.Period:
    return period_at(WEEKLY, "Europe/Berlin", key_time)


def changed_customers(customers: pd.DataFrame) -> pd.DataFrame:
    """60% of the customers richer and spending much more; 100 gone; 50 new."""
    rng = np.random.default_rng(5)
    changed = customers.iloc[100:].copy()
    richer = rng.random(len(changed)) < 0.6
    changed.loc[richer, "Income"] = changed.loc[richer, "Income"] * 1.8
    for column in [c for c in changed.columns if c.startswith("Mnt")]:
        changed.loc[richer, column] = changed.loc[richer, column] * 3
    newcomers = customers.iloc[:50].copy()
    newcomers["ID"] = newcomers["ID"] + 1_000_000
    return pd.concat([changed, newcomers], ignore_index=True)


# -- schema ----------------------------------------------------------------------------------------


def test_migrations_apply_on_a_fresh_database_and_are_idempotent(database_url):
    fresh = Store(database_url)
    assert fresh.migrate() == [1, 2, 3, 4, 5]
    assert fresh.migrate() == []
    assert Store(database_url).migrate() == []
    tables = set(sa.inspect(fresh.engine).get_table_names())
    assert {"history_snapshots", "history_segments", "history_members"} <= tables
    assert {"digest_runs", "digest_events"} <= tables
    fresh.engine.dispose()


def test_migration_2_upgrades_a_version_1_store(database_url, monkeypatch):
    old = Store(database_url)
    monkeypatch.setattr(store_module, "MIGRATIONS", MIGRATIONS[:1])
    assert old.migrate() == [1]
    assert "digest_runs" not in sa.inspect(old.engine).get_table_names()
    monkeypatch.setattr(store_module, "MIGRATIONS", MIGRATIONS)
    assert old.migrate() == [2, 3, 4, 5]
    assert old.schema_version() == 5
    old.engine.dispose()


def test_a_channel_and_period_can_be_claimed_once(store):
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


# -- periods ---------------------------------------------------------------------------------------


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


# -- snapshots and comparisons ---------------------------------------------------------------------


def test_a_snapshot_adds_up(trained):
    model, customers = trained.model, trained.data.customers
    snapshot = snapshots.take_snapshot(
        model, customers, week(datetime(2024, 4, 2, tzinfo=UTC)), "x"
    )
    assert snapshot.customers == len(customers)
    assert sum(s["share"] for s in snapshot.segments) == pytest.approx(1.0)
    spend = customers[[c for c in customers.columns if c.startswith("Mnt")]].to_numpy().sum()
    assert sum(s["revenue"] for s in snapshot.segments) == pytest.approx(spend)
    assert {s["persona"] for s in snapshot.segments} == {s["persona"] for s in model.segments}
    assert len(snapshot.members) == len(customers)
    assert max(snapshot.psi.values()) < 0.05  # the training data itself does not drift


def test_first_digest_has_nothing_to_compare(store, trained):
    put_customers(store, trained.model, trained.data.customers)
    first = prepare_digest(store, trained.model, week(datetime(2024, 4, 2, tzinfo=UTC)), None, True)
    assert first.first and first.previous is None
    assert first.moved == first.joined == first.left == 0
    assert all(r["size_change"] is None for r in first.rows)
    assert first.warnings == []
    assert first.current.source == "store"


def test_movements_and_drift_appear_when_the_data_changes(store, trained):
    model, customers = trained.model, trained.data.customers
    put_customers(store, model, customers)
    prepare_digest(store, model, week(datetime(2024, 4, 2, tzinfo=UTC)), None, True)
    put_customers(store, model, changed_customers(customers))
    second = prepare_digest(store, model, week(datetime(2024, 4, 9, tzinfo=UTC)), None, True)

    assert second.previous.period == "2024-W14" and second.current.period == "2024-W15"
    assert (second.joined, second.left) == (50, 100)
    assert second.moved > 100
    table = second.migrations
    assert int(table.to_numpy().sum()) == len(customers) + 50
    assert second.moved == sum(m["customers"] for m in second.moves)
    premium = next(r for r in second.rows if r["persona"] == "premium")
    assert premium["share_change"] > comparison.SHARE_SHIFT_POINTS
    # everyone in premium now (new ones included) minus everyone in it before (gone included)
    assert premium["size_change"] == table["premium"].sum() - table.loc["premium"].sum() > 0
    assert any("share moved" in w and "High-Value Premium" in w for w in second.warnings)
    assert any("Input drift: Income" in w for w in second.warnings)
    assert NEW in table.index and GONE in table.columns


def test_a_period_keeps_its_first_snapshot(store, trained):
    model, customers = trained.model, trained.data.customers
    put_customers(store, model, customers)
    period = week(datetime(2024, 4, 2, tzinfo=UTC))
    first = prepare_digest(store, model, period, None, True)
    put_customers(store, model, changed_customers(customers))
    again = prepare_digest(store, model, period, None, True)
    assert again.current.id == first.current.id
    assert again.current.segments == first.current.segments


def test_a_dry_run_writes_nothing(store, trained):
    put_customers(store, trained.model, trained.data.customers)
    prepare_digest(store, trained.model, week(datetime(2024, 4, 2, tzinfo=UTC)), None, False)
    with store.engine.connect() as connection:
        count = connection.execute(sa.select(sa.func.count()).select_from(history_members))
        assert count.scalar_one() == 0


def test_history_lists_the_last_periods_in_order(store, trained, monkeypatch):
    model, customers = trained.model, trained.data.customers
    put_customers(store, model, customers)
    monkeypatch.setattr(snapshots, "KEEP_MEMBER_SNAPSHOTS", 2)
    for day in (2, 9, 16):
        last = prepare_digest(store, model, week(datetime(2024, 4, day, tzinfo=UTC)), None, True)
    keys, sizes = last.history
    assert keys == ["2024-W14", "2024-W15", "2024-W16"]
    assert all(len(values) == 3 for values in sizes.values())
    assert sum(v[-1] for v in sizes.values()) == len(customers)
    with store.engine.connect() as connection:
        kept = connection.execute(sa.select(history_members.c.snapshot_id).distinct()).all()
    assert len(kept) == 2  # customer-level rows of older snapshots are pruned


def test_digest_data_can_come_from_a_file(store, trained, tmp_path):
    from segmentation.generate import generate_customers, write_customers

    path = tmp_path / "customers.parquet"
    write_customers(generate_customers(500, seed=11), path)
    comparison = prepare_digest(
        store, trained.model, week(datetime(2024, 4, 2, tzinfo=UTC)), str(path), False
    )
    assert comparison.current.source.endswith("customers.parquet")
    assert 450 < comparison.current.customers <= 500
