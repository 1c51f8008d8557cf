"""Digest comparison (`smartcart/engine/history/comparison.py`): movements, drift, the data it reads."""

from __future__ import annotations

from datetime import UTC, datetime

from smartcart.engine.history import comparison
from smartcart.engine.history.comparison import GONE, NEW, prepare_digest
from tests.support.digest import changed_customers, put_customers, week


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
    assert any(w.startswith("The customers' income shifted") for w in second.warnings)
    assert not any("PSI" in w or "stability index" in w for w in second.warnings)
    assert NEW in table.index and GONE in table.columns


def test_digest_data_can_come_from_a_file(store, trained, tmp_path):
    from smartcart.engine.data.synthetic import generate_customers, write_customers

    path = tmp_path / "customers.parquet"
    write_customers(generate_customers(500, seed=11), path)
    comparison = prepare_digest(
        store, trained.model, week(datetime(2024, 4, 2, tzinfo=UTC)), str(path), False
    )
    assert comparison.current.source.endswith("customers.parquet")
    assert 450 < comparison.current.customers <= 500


def test_a_digest_names_the_live_models_own_personas():
    from smartcart.engine.history import persona_name, persona_short
    from smartcart.engine.model import Persona

    own = Persona("big_spenders", "Big Spenders", "Big", "", "Spend most.", "")
    assert persona_name("big_spenders", (own,)) == "Big Spenders"
    assert persona_short("big_spenders", (own,)) == "Big"
    assert persona_name("premium") == "High-Value Premium Customers"
    assert persona_name("big_spenders") == "big_spenders"
