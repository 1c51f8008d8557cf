"""The digest at scale: a snapshot taken chunk by chunk equals one taken in one piece, the
vectorised migration table equals a plain crosstab, and members round-trip through bulk writes."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from smartcart.engine.history import snapshots
from smartcart.engine.history.comparison import GONE, NEW, migration_table
from smartcart.engine.history.periods import period_at
from smartcart.engine.reports.figures import ordered_personas
from smartcart.engine.store.store import Store

PERIOD = period_at("0 9 * * mon", "UTC", datetime(2024, 4, 8, 10, tzinfo=UTC))


def crosstab_reference(before: pd.DataFrame, now: pd.DataFrame) -> pd.DataFrame:
    """The migration table as a merge and a crosstab (what the digest did before)."""
    joined = before.merge(now, on="customer_id", how="outer", suffixes=("_from", "_to"))
    table = pd.crosstab(joined["persona_from"].fillna(NEW), joined["persona_to"].fillna(GONE))
    order = ordered_personas((set(table.index) | set(table.columns)) - {NEW, GONE})
    rows = [p for p in order if p in table.index] + ([NEW] if NEW in table.index else [])
    columns = [p for p in order if p in table.columns] + ([GONE] if GONE in table.columns else [])
    return table.loc[rows, columns].astype("int64")


def members(ids, personas) -> pd.DataFrame:
    return pd.DataFrame({"customer_id": np.asarray(ids, dtype="int64"), "persona": personas})


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_migration_table_equals_the_crosstab(seed):
    rng = np.random.default_rng(seed)
    names = ["premium", "family_budget", "digital_active", "new_persona"]
    before_ids = rng.choice(5000, size=3000, replace=False)
    now_ids = rng.choice(np.arange(1000, 6000), size=3500, replace=False)
    before = members(before_ids, rng.choice(names[:3], size=3000))
    now = members(now_ids, rng.choice(names[1:], size=3500))
    old = snapshots.Snapshot("a", PERIOD.scheduled, PERIOD.scheduled, "v", "s", [], {}, before)
    new = snapshots.Snapshot("b", PERIOD.scheduled, PERIOD.scheduled, "v", "s", [], {}, now)
    table = migration_table(old, new)
    expected = crosstab_reference(before, now)
    pd.testing.assert_frame_equal(table, expected, check_names=False)
    assert "premium" not in table.columns and "new_persona" not in table.index


def test_same_members_make_no_new_or_gone_rows():
    same = members([1, 2, 3], ["premium", "premium", "family_budget"])
    snap = snapshots.Snapshot("a", PERIOD.scheduled, PERIOD.scheduled, "v", "s", [], {}, same)
    table = migration_table(snap, snap)
    assert NEW not in table.index and GONE not in table.columns
    assert int(np.trace(table.to_numpy())) == 3


def test_snapshot_in_chunks_equals_one_piece(trained, database_url):
    model, customers = trained.model, trained.data.customers
    whole = snapshots.take_snapshot(model, customers, PERIOD, "test")
    pieces = [customers.iloc[i : i + 300] for i in range(0, len(customers), 300)]
    chunked = snapshots.snapshot_of_chunks(model, iter(pieces), PERIOD, "test")
    assert chunked.segments == whole.segments
    assert chunked.psi == whole.psi
    pd.testing.assert_frame_equal(chunked.members, whole.members)
    store = Store(database_url)
    store.migrate()
    saved = snapshots.save_snapshot(store, chunked)
    stored = snapshots.stored_snapshot(store, PERIOD.key)
    assert stored.id == saved.id
    read = stored.members.sort_values("customer_id").reset_index(drop=True)
    expected = whole.members.sort_values("customer_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(read, expected, check_dtype=False)
    store.engine.dispose()
