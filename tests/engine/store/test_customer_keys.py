"""Revision 0004_customer_keys: customers from orders keep their text key and figures, and a
database of the previous release (engine at 0003_campaigns, customers stored) upgrades in place
and keeps answering, on SQLite and PostgreSQL."""

from __future__ import annotations

import pandas as pd
import pytest
from alembic import command

from smartcart.engine.data import load_order_customers
from smartcart.engine.data.loading import load_customers
from smartcart.engine.data.validation import validate
from smartcart.engine.orders import write_orders
from smartcart.engine.store.migrations import ENGINE
from smartcart.engine.store.store import Store
from tests.support.schemas import engine_revisions_from


def scores_for(customers: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {"customer_id": customers["ID"], "cluster": 1, "persona": "champions", "confidence": 0.7}
    )


def test_order_customers_keep_their_key_and_figures(store: Store, tmp_path):
    data = load_order_customers(write_orders(tmp_path / "lines", 40, seed=2))
    customers = data.customers
    store.save_customers(customers, scores_for(customers), "v1", replace=True)
    stored = store.all_customers().sort_values("ID").reset_index(drop=True)
    expected = customers.sort_values("ID").reset_index(drop=True)
    assert list(stored["customer_key"]) == list(expected["customer_key"])
    for column in ("orders", "revenue", "recency_days", "discount_share", "refund_share"):
        assert stored[column].to_numpy() == pytest.approx(expected[column].to_numpy())
    first = expected.iloc[0]
    row, assignment = store.customer(str(first["customer_key"]))
    assert int(row["ID"].iloc[0]) == int(first["ID"]) and assignment["persona"] == "champions"
    assert store.customer(int(first["ID"]))[0]["customer_key"].iloc[0] == first["customer_key"]
    assert store.customer("nobody@example.com") is None


def test_a_database_of_the_previous_release_upgrades_and_keeps_answering(
    database_url, generated_file
):
    store = Store(database_url)
    with store.engine.begin() as connection:
        command.upgrade(ENGINE.config(connection), "0003_campaigns")
    customers = validate(load_customers(generated_file)).customers.head(50)
    # what release 0.2 wrote: the study's columns, no key, no figures
    store.save_customers(
        customers,
        pd.DataFrame(
            {"customer_id": customers["ID"], "cluster": 0, "persona": "premium", "confidence": 0.5}
        ),
        "old",
        replace=True,
    )
    assert store.migrate() == engine_revisions_from("0004_customer_keys")
    known = int(customers["ID"].iloc[0])
    for lookup in (known, str(known)):
        row, assignment = store.customer(lookup)
        assert int(row["ID"].iloc[0]) == known and assignment["persona"] == "premium"
    stored = store.all_customers()
    assert len(stored) == 50 and "customer_key" not in stored.columns
    store.engine.dispose()
