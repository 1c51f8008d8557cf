"""The store's migrations and the digest delivery claim, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from segmentation import store as store_module
from segmentation.store import MIGRATIONS, Store, digest_runs


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
