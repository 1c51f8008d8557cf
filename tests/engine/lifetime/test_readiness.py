"""The "too thin" rule: each unmet condition gives its own note."""

from __future__ import annotations

import pandas as pd
import pytest

from smartcart.engine.errors import DataError
from smartcart.engine.lifetime import assess_history, fit_orders


def history(customers: int, days: int, orders_each: int) -> pd.DataFrame:
    """``customers`` customers, each ordering ``orders_each`` times spread over ``days`` days."""
    rows = []
    start = pd.Timestamp("2024-01-01")
    for customer in range(customers):
        for k in range(orders_each):
            offset = (customer + k * days // max(orders_each - 1, 1)) % (days + 1)
            if orders_each > 1 and k == orders_each - 1:
                offset = days
            rows.append((customer, start + pd.Timedelta(days=offset), 10.0 + k))
    return pd.DataFrame(rows, columns=["customer_id", "ordered_at", "amount"])


def test_a_rich_history_is_supported():
    verdict = assess_history(history(600, 365, 3))
    assert verdict.supported
    assert verdict.notes == ()
    assert verdict.customers == 600
    assert verdict.history_days == 365
    assert verdict.customers_with_3_orders > 0


def test_too_few_customers():
    verdict = assess_history(history(499, 365, 3))
    assert not verdict.supported
    assert verdict.notes == ("only 499 customers have orders; lifetime value needs at least 500",)


def test_too_short_a_history():
    verdict = assess_history(history(600, 120, 3))
    assert not verdict.supported
    assert len(verdict.notes) == 1
    assert "span only 120 days" in verdict.notes[0]
    assert "at least 180 days" in verdict.notes[0]


def test_no_customer_with_three_orders_and_same_day_orders_count_once():
    two = history(600, 365, 2)
    same_day_third = two[two.groupby("customer_id").cumcount() == 0]
    verdict = assess_history(pd.concat([two, same_day_third]))
    assert not verdict.supported
    assert verdict.customers_with_3_orders == 0
    assert verdict.notes == (
        "no customer has 3 or more orders (on different days), so there is no repeat buying "
        "to learn from",
    )


def test_every_failed_condition_is_noted_and_fit_orders_refuses():
    thin = history(10, 30, 1)
    verdict = assess_history(thin)
    assert len(verdict.notes) == 3
    assert verdict.to_dict()["supported"] is False
    with pytest.raises(DataError, match="history too thin for lifetime value: only 10 customers"):
        fit_orders(thin)


def test_the_calibration_end_cuts_the_history():
    verdict = assess_history(history(600, 365, 3), calibration_end="2024-03-01")
    assert verdict.history_days == 60
    assert not verdict.supported
