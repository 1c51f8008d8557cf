"""Revision 0005_customer_lifetime: the lifetime columns of customers from orders are stored in
their own columns and read back; a database at 0004_customer_keys with order customers stored
upgrades in place and reads their figures as before, on SQLite and PostgreSQL."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from alembic import command

from smartcart.engine.data import load_order_customers
from smartcart.engine.lifetime import LIFETIME_COLUMNS
from smartcart.engine.orders import write_orders
from smartcart.engine.store.migrations import ENGINE
from smartcart.engine.store.store import Store
from tests.support.schemas import engine_revisions_from


def scores_for(customers: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {"customer_id": customers["ID"], "cluster": 1, "persona": "champions", "confidence": 0.7}
    )


def with_lifetime(customers: pd.DataFrame) -> pd.DataFrame:
    n = len(customers)
    risk = np.array(["low", "medium", "high", None], dtype=object)[np.arange(n) % 4]
    return customers.assign(
        predicted_orders_365d=np.linspace(0.5, 3.0, n),
        predicted_clv_365d=np.linspace(10.0, 900.0, n),
        historic_clv=customers["revenue"],
        probability_alive=np.where(risk == None, np.nan, np.linspace(0.05, 0.95, n)),  # noqa: E711
        churn_risk=risk,
        expected_next_order_at=pd.Timestamp("2025-01-01") + pd.to_timedelta(np.arange(n), "D"),
    )


def test_lifetime_columns_are_stored_in_their_own_columns_and_read_back(store: Store, tmp_path):
    customers = with_lifetime(load_order_customers(write_orders(tmp_path / "o", 40)).customers)
    store.save_customers(customers, scores_for(customers), "v1", replace=True)
    stored = store.all_customers().sort_values("ID").reset_index(drop=True)
    expected = customers.sort_values("ID").reset_index(drop=True)
    for column in ("predicted_clv_365d", "probability_alive", "average_order_value", "revenue"):
        np.testing.assert_allclose(stored[column], expected[column].astype(float))
    assert list(stored["churn_risk"]) == list(expected["churn_risk"])
    assert list(stored["expected_next_order_at"]) == list(expected["expected_next_order_at"])
    with store.engine.connect() as connection:
        high = connection.exec_driver_sql(
            "SELECT count(*) FROM customers WHERE churn_risk = 'high'"
        ).scalar_one()
        profile = connection.exec_driver_sql("SELECT profile FROM customers").scalars().first()
    assert high == int((customers["churn_risk"] == "high").sum())
    assert "churn_risk" not in profile and "average_order_value" in profile


@pytest.mark.parametrize("lifetime", [False, True], ids=["figures only", "with lifetime"])
def test_order_customers_read_the_same_without_lifetime_columns(store: Store, tmp_path, lifetime):
    customers = load_order_customers(write_orders(tmp_path / "o", 30, seed=5)).customers
    saved = with_lifetime(customers) if lifetime else customers
    store.save_customers(saved, scores_for(customers), "v1", replace=True)
    stored = store.all_customers()
    assert ("churn_risk" in stored.columns) is lifetime
    assert set(customers.columns) <= set(stored.columns)


def test_a_database_at_0004_with_order_customers_upgrades_and_keeps_their_figures(
    database_url, tmp_path
):
    store = Store(database_url)
    with store.engine.begin() as connection:
        command.upgrade(ENGINE.config(connection), "0004_customer_keys")
        # what the previous release wrote: every figure in the profile, no lifetime columns
        customers = load_order_customers(write_orders(tmp_path / "o", 25, seed=3)).customers
        profiles = (
            customers.drop(columns=["ID", "customer_key"])
            .to_json(orient="records", lines=True, date_format="iso")
            .splitlines()
        )
        mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
        insert = (
            "INSERT INTO customers (customer_id, customer_key, profile, loaded_at) "
            f"VALUES ({mark}, {mark}, {mark}, CURRENT_TIMESTAMP)"
        )
        for key, number, profile in zip(
            customers["customer_key"], customers["ID"], profiles, strict=True
        ):
            connection.exec_driver_sql(insert, (int(number), key, profile))
    assert store.migrate() == engine_revisions_from("0005_customer_lifetime")
    stored = store.all_customers().sort_values("ID").reset_index(drop=True)
    expected = customers.sort_values("ID").reset_index(drop=True)
    np.testing.assert_allclose(stored["average_order_value"], expected["average_order_value"])
    assert "churn_risk" not in stored.columns
    figures_only = {"average_order_value", "average_days_between_orders"}
    assert set(LIFETIME_COLUMNS) & set(stored.columns) == figures_only
    store.engine.dispose()
