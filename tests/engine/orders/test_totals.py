"""Counted orders for the lifetime models (smartcart/engine/orders/totals.py)."""

from __future__ import annotations

import pandas as pd
import pytest

from smartcart.engine.orders import customers_from_orders, generate_orders, order_totals


def test_counted_orders_by_hand():
    lines = pd.DataFrame(
        {
            "order_id": [1, 1, 2, 3, 4, 5],
            "customer_id": ["a", "a", "a", "b", "b", "b"],
            "ordered_at": [
                "2024-01-01 10:00", "2024-01-01 10:00", "2024-02-01 09:00",
                "2024-01-05 12:00", "2024-03-01 12:00", "2024-09-01 12:00",
            ],
            "amount": [10.0, 5.0, 20.0, 30.0, 40.0, 50.0],
            "status": ["paid", "paid", "cancelled", "paid", "refunded", "paid"],
        }
    )  # fmt: skip
    totals = order_totals(lines, as_of="2024-06-30")
    frame = totals.frame
    # a: order 1 (two lines); order 2 cancelled. b: order 3; 4 refunded in full; 5 after as_of.
    assert list(frame["customer_id"]) == ["a", "b"]
    assert list(frame["amount"]) == [15.0, 30.0]
    assert list(frame["ordered_at"]) == [
        pd.Timestamp("2024-01-01 10:00"),
        pd.Timestamp("2024-01-05 12:00"),
    ]
    assert str(totals.as_of) == "2024-06-30" and totals.lines == 6


def test_the_totals_add_up_to_the_customers_revenue():
    lines = generate_orders(400, seed=9)
    totals = order_totals(lines).frame
    customers = customers_from_orders(lines).frame.set_index("customer_id")
    per_customer = totals.groupby("customer_id")["amount"].agg(["sum", "size"])
    assert per_customer["size"].to_dict() == customers["orders"].to_dict()
    assert per_customer["sum"].to_numpy() == pytest.approx(
        customers.loc[per_customer.index, "revenue"].to_numpy()
    )
