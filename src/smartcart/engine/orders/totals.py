"""One row per counted order, for the lifetime models: customer_id, ordered_at, amount.

An order counts as it does for the customers' figures (`customers.py`): not cancelled and not
refunded in full. `amount` is its revenue, merchandise net of discounts and refunds. Orders
after `as_of` (default: the latest order's day) are left out. Only these three columns leave
DuckDB, so a history of millions of orders fits in memory as three arrays.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from smartcart.engine.orders.customers import as_of_day, orders_table_sql
from smartcart.engine.orders.mapping import OrderMapping
from smartcart.engine.orders.reading import open_orders
from smartcart.engine.orders.sources import SqlOrders


@dataclass
class OrderTotals:
    """Counted orders with the file's story: lines read and quarantined."""

    frame: pd.DataFrame
    as_of: dt.date
    lines: int
    quarantined: int
    source: str
    currency: str | None = None


def order_totals(
    source: str | Path | pd.DataFrame | SqlOrders,
    *,
    as_of: dt.date | str | None = None,
    mapping: str | Path | OrderMapping | None = None,
    memory_limit: str = "1GB",
    threads: int | None = None,
) -> OrderTotals:
    """The counted orders of an order file, Parquet folder or glob, or DataFrame."""
    orders = open_orders(source, mapping, memory_limit=memory_limit, threads=threads)
    try:
        day = as_of_day(as_of, orders)
        frame = orders.con.execute(orders_table_sql(orders, day)).df()
        return OrderTotals(
            frame,
            day,
            orders.lines,
            orders.quarantined,
            orders.source.location,
            orders.currency,
        )
    finally:
        orders.con.close()
