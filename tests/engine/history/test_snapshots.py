"""Segment snapshots (`smartcart/engine/history/snapshots.py`) on SQLite and PostgreSQL: figures, one per period, history."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from smartcart.engine.history import snapshots
from smartcart.engine.history.comparison import prepare_digest
from smartcart.engine.store.tables import history_members
from tests.support.digest import changed_customers, put_customers, week


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
