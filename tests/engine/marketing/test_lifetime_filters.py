"""`--churn-risk` and `--top-clv` on an audience with lifetime columns (lifetime_filters.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from smartcart.engine.errors import DataError
from smartcart.engine.marketing import LifetimeFilter


def audience() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d", "e"],
            "churn_risk": pd.Categorical(["high", "low", "high", None, "medium"]),
            "predicted_clv_365d": [50.0, 400.0, 50.0, np.nan, 10.0],
        }
    )


def test_a_churn_band_keeps_its_customers_and_counts_the_rest():
    left_out: dict[str, int] = {}
    kept = LifetimeFilter.parse(churn_risk="HIGH").apply(audience(), left_out)
    assert list(kept["customer_id"]) == ["a", "c"]
    assert left_out == {"not at high churn risk": 3}


def test_top_clv_by_share_and_by_count_with_ties_by_id():
    left_out: dict[str, int] = {}
    kept = LifetimeFilter.parse(top_clv="50%").apply(audience(), left_out)
    assert list(kept["customer_id"]) == ["a", "b"]  # 4 valued, 2 kept; a beats c on the tie
    assert left_out == {"not among the highest predicted values": 3}
    both = LifetimeFilter.parse(churn_risk="high", top_clv="1").apply(audience(), {})
    assert list(both["customer_id"]) == ["a"]
    assert LifetimeFilter.parse(top_clv="1,000").top_count == 1000
    assert (
        LifetimeFilter.parse("low", "10%").describe()
        == "low churn risk, top 10% by predicted value"
    )


@pytest.mark.parametrize(
    ("churn", "top", "message"),
    [
        ("lost", None, "--churn-risk 'lost': choose high, medium or low"),
        (None, "0%", "--top-clv '0%': write a share like 10%"),
        (None, "ten", "--top-clv 'ten'"),
        (None, "-5", "--top-clv '-5'"),
    ],
)
def test_bad_options_are_one_line(churn, top, message):
    with pytest.raises(DataError, match=message.replace("(", r"\(")):
        LifetimeFilter.parse(churn, top)


def test_customers_without_lifetime_columns_are_refused_in_one_line():
    table = audience().drop(columns=["churn_risk"])
    with pytest.raises(DataError, match="train on an order history"):
        LifetimeFilter.parse(churn_risk="high").apply(table, {})
    assert LifetimeFilter().apply(table, {}) is table  # no filter asked: nothing needed
