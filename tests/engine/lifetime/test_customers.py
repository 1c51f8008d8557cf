"""The lifetime model beside the segments: the thin-history note, the customers' columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from smartcart.engine.errors import ModelError
from smartcart.engine.lifetime import (
    LIFETIME_COLUMNS,
    add_lifetime_columns,
    fit_beside_segments,
    lifetime_columns,
    simulate_orders,
)

TRUE = {"r": 0.5, "alpha": 20.0, "a": 0.8, "b": 3.0, "p": 6.0, "q": 4.0, "gamma": 15.0}


@pytest.fixture(scope="module")
def orders() -> pd.DataFrame:
    return simulate_orders(2_000, TRUE, "2023-01-01", "2024-06-30", 300, seed=4)


@pytest.fixture(scope="module")
def fitted(orders):
    return fit_beside_segments(orders)


def test_a_rich_history_gets_a_model_and_no_note(fitted):
    assert fitted.note is None and fitted.model is not None
    assert fitted.to_dict() == fitted.model.to_dict()
    assert fitted.model.return_curve is not None
    assert fitted.assessment.customers == 2_000


def test_a_thin_history_gets_none_and_a_note_naming_each_reason(orders):
    few = orders[orders["customer_id"] < 300]
    fitted = fit_beside_segments(few, "2023-04-30")
    assert fitted.model is None and fitted.to_dict() is None
    assert fitted.note.startswith("no lifetime model: the history is too thin (")
    assert "customers have orders; lifetime value needs at least 500" in fitted.note
    assert "at least 180 days of history" in fitted.note


def test_an_unusable_fit_raises_so_the_training_fails():
    # 600 customers each buying every 10 days, none ever stopping: the dropout runs to a bound.
    days = pd.date_range("2024-01-01", periods=30, freq="10D")
    orders = pd.DataFrame(
        {
            "customer_id": np.repeat(np.arange(600), len(days)),
            "ordered_at": np.tile(days, 600),
            "amount": np.tile(np.linspace(10, 40, len(days)), 600),
        }
    )
    with pytest.raises(ModelError, match="edge of the allowed range|did not converge|infinite"):
        fit_beside_segments(orders)


def test_the_columns_agree_with_the_orders(fitted, orders):
    columns = lifetime_columns(fitted.model, orders)
    assert tuple(columns.columns) == LIFETIME_COLUMNS
    one = orders[orders["customer_id"] == orders["customer_id"].iloc[0]]
    row = columns.loc[one["customer_id"].iloc[0]]
    assert row["historic_clv"] == pytest.approx(one["amount"].sum())
    assert row["average_order_value"] == pytest.approx(one["amount"].mean())
    assert set(columns["churn_risk"].astype(str)) <= {"low", "medium", "high"}
    assert (columns["predicted_clv_365d"] >= 0).all()
    assert (columns["expected_next_order_at"] > pd.Timestamp("2024-06-30")).all()
    # High risk means a lower chance of being a customer than low risk, on average.
    alive = columns.groupby("churn_risk", observed=True)["probability_alive"].mean()
    assert alive["high"] < alive["medium"] < alive["low"]


def test_the_columns_join_onto_a_customers_table_by_id(fitted, orders):
    customers = pd.DataFrame(
        {"customer_id": [5, 3, 99_999], "average_order_value": [1.0, 2.0, 3.0]}, index=[10, 11, 12]
    )
    out = add_lifetime_columns(customers, fitted.model, orders)
    assert list(out.index) == [10, 11, 12]
    assert list(out["average_order_value"]) == [1.0, 2.0, 3.0]  # the customers' own, kept
    assert set(LIFETIME_COLUMNS) <= set(out.columns)
    columns = lifetime_columns(fitted.model, orders)
    assert out.loc[10, "predicted_clv_365d"] == pytest.approx(columns.loc[5, "predicted_clv_365d"])
    assert np.isnan(out.loc[12, "predicted_clv_365d"])  # no order: nothing predicted
    assert pd.isna(out.loc[12, "churn_risk"])
