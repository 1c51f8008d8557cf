"""Customers from their orders, as of a day: one row per customer, sorted by customer, figured
in SQL by DuckDB in two streamed group-bys, each its own pass (lines to orders, written to a
temporary Parquet file; orders to customers, and the sort), spilling to disk past its memory
limit, so memory does not grow with the file. The customers come back as a DataFrame
(`customers_from_orders`), in chunks (`iter_customers_from_orders`) or written to a file
(`write_customers_from_orders`): the last two hold no more than a chunk in memory.

An order counts when it is not cancelled and not refunded in full (its refunds are less than
its merchandise). Revenue is merchandise net of discounts and refunds, without shipping and
taxes. `as_of` defaults to the day of the latest order; orders after that day are ignored.
Days: `recency_days` and `tenure_days` are whole days from the day of the last (first) order
to `as_of`; `average_days_between_orders` is (last - first) / (orders - 1) in fractional days,
NaN for one order; `orders_90d` and `revenue_90d` count the orders of the 90 days ending with
`as_of` (as_of - 89 to as_of), likewise 365. Shares: `share_<category>` of revenue;
`channel_share_<channel>` of orders; `discount_share` the revenue of discounted lines over
revenue; `refund_share` refunds over merchandise, on every order not cancelled (fully refunded
ones too). A customer without any order that counts is left out.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from smartcart.engine.errors import DataError
from smartcart.engine.orders.layouts import OrderLayout
from smartcart.engine.orders.mapping import OrderMapping
from smartcart.engine.orders.progress import OnProgress, watched
from smartcart.engine.orders.reading import OpenedOrders, open_orders
from smartcart.engine.orders.sources import SqlOrders, sql_text

WINDOWS = (90, 365)
AGGREGATING = "Customers from order lines"
ORDER_BATCH_ROWS = 200_000


@dataclass(kw_only=True)
class OrderDerivation:
    """What deriving customers from orders read, left out and made."""

    as_of: dt.date
    quarantine: pd.DataFrame
    quarantined: int
    lines: int
    layout: OrderLayout
    source: str
    currency: str | None = None
    customers: int = 0


@dataclass(kw_only=True)
class OrderCustomers(OrderDerivation):
    """Customers derived from orders (`frame`), with what was left out and why; `orders`,
    when asked for, their counted orders (customer_id, ordered_at, amount)."""

    frame: pd.DataFrame
    orders: pd.DataFrame | None = None


def customers_from_orders(
    source: str | Path | pd.DataFrame | SqlOrders,
    *,
    as_of: dt.date | str | None = None,
    mapping: str | Path | OrderMapping | None = None,
    memory_limit: str = "1GB",
    threads: int | None = None,
    on_progress: OnProgress | None = None,
) -> OrderCustomers:
    """One row per customer from an order file, a Parquet folder or glob, or a DataFrame.
    `on_progress(step, fraction)` hears how far each pass over the lines is (a bar)."""
    with _opened(source, mapping, memory_limit, threads, on_progress) as orders:
        day = as_of_day(as_of, orders)
        figures = _derivation(orders, day)  # before staging turns off insertion order
        with watched(orders.con, AGGREGATING, on_progress), _staged(orders, day) as staged:
            frame = orders.con.execute(_sorted_customers(orders, day, staged)).df()
        return OrderCustomers(frame=frame, customers=len(frame), **figures)


def write_customers_from_orders(
    source: str | Path | pd.DataFrame | SqlOrders,
    out: str | Path,
    *,
    as_of: dt.date | str | None = None,
    mapping: str | Path | OrderMapping | None = None,
    memory_limit: str = "1GB",
    threads: int | None = None,
    on_progress: OnProgress | None = None,
) -> OrderDerivation:
    """Write the customers of `customers_from_orders` to `out` (.csv, else Parquet) straight
    from DuckDB, sorted by customer, so memory stays within `memory_limit` however many
    customers there are (the sort spills to disk). `out` is written whole or not at all."""
    out = Path(out)
    form = "FORMAT csv, HEADER" if out.suffix.lower() == ".csv" else "FORMAT parquet"
    partial = out.with_name(f".{out.name}.partial")
    with _opened(source, mapping, memory_limit, threads, on_progress) as orders:
        day = as_of_day(as_of, orders)
        figures = _derivation(orders, day)  # before staging turns off insertion order
        try:
            with watched(orders.con, AGGREGATING, on_progress), _staged(orders, day) as staged:
                query = _sorted_customers(orders, day, staged)
                written = orders.con.execute(
                    f"COPY ({query}) TO {sql_text(str(partial))} ({form})"
                ).fetchone()
            os.replace(partial, out)
        finally:
            partial.unlink(missing_ok=True)
        return OrderDerivation(customers=int(written[0]), **figures)


def iter_customers_from_orders(
    source: str | Path | pd.DataFrame | SqlOrders,
    *,
    chunk_rows: int,
    as_of: dt.date | str | None = None,
    mapping: str | Path | OrderMapping | None = None,
    memory_limit: str = "1GB",
    threads: int | None = None,
    with_orders: bool = False,
) -> Iterator[OrderCustomers]:
    """The customers of `customers_from_orders`, sorted by customer, `chunk_rows` at a time:
    memory grows with the chunk, not the customers. Each chunk carries the whole derivation's
    figures (`customers` is the chunk's); at least one, maybe empty. `with_orders`: each chunk
    also carries its customers' counted orders (`orders`, as `order_totals` gives them).
    The customers (and orders) are sorted into temporary files before the first chunk, so
    while the caller works on chunks DuckDB only reads files in order, in little memory."""
    with _opened(source, mapping, memory_limit, threads, None) as orders:
        day = as_of_day(as_of, orders)
        figures = _derivation(orders, day)  # first: staging turns off insertion order
        with _staged(orders, day) as staged, contextlib.closing(orders.con.cursor()) as other:
            query = _sorted_customers(orders, day, staged)
            customers = _sorted_file(orders.con, query, staged, "customers")
            if with_orders:
                query = orders_table_sql(orders, day, staged)
                counted = SortedOrders(other, _sorted_file(orders.con, query, staged, "counted"))
            else:
                counted = None
            reader = orders.con.sql(customers).to_arrow_reader(chunk_rows)
            empty = True
            for batch in reader:
                frame = batch.to_pandas()
                empty = False
                own = counted.through(frame["customer_id"].iloc[-1]) if counted else None
                yield OrderCustomers(frame=frame, orders=own, customers=len(frame), **figures)
            if empty:
                frame = reader.schema.empty_table().to_pandas()
                own = counted.through(None) if counted else None
                yield OrderCustomers(frame=frame, orders=own, **figures)


def _sorted_file(con: duckdb.DuckDBPyConnection, query: str, staged: str, name: str) -> str:
    """Write a sorted query's rows to a Parquet file beside the staged orders; the query that
    reads them back in that order (a scan: no sort is held open while chunks are taken)."""
    path = sql_text(str(Path(staged).with_name(f"{name}.parquet")))
    con.execute(f"COPY ({query}) TO {path} (FORMAT parquet)")
    con.execute("SET preserve_insertion_order = true")  # read back in the file's order (a
    # setting of the database: the second cursor reads in order too)
    return f"SELECT * FROM read_parquet({path})"


class SortedOrders:
    """Counted orders sorted by customer, read on a second cursor as the customers' chunks
    ask for them: `through(last)` gives the orders of the customers up to `last`."""

    def __init__(self, cursor: duckdb.DuckDBPyConnection, query: str) -> None:
        self.reader = cursor.sql(query).to_arrow_reader(ORDER_BATCH_ROWS)
        self.pending = self.reader.schema.empty_table().to_pandas()
        self.done = False

    def through(self, last: str | None) -> pd.DataFrame:
        while not self.done and (last is None or self._last_pending() <= last):
            batch = next(self.reader, None)
            if batch is None:
                self.done = True
            else:
                self.pending = pd.concat([self.pending, batch.to_pandas()], ignore_index=True)
        if last is None:
            return self.pending.iloc[0:0]
        ids = self.pending["customer_id"].to_numpy(dtype=object)
        cut = int(np.searchsorted(ids, last, side="right"))
        own, self.pending = self.pending.iloc[:cut], self.pending.iloc[cut:]
        return own.reset_index(drop=True)

    def _last_pending(self) -> str:
        if self.pending.empty:
            return ""
        return str(self.pending["customer_id"].iloc[-1])


@contextlib.contextmanager
def _staged(orders: OpenedOrders, as_of: dt.date) -> Iterator[str]:
    """The orders of `orders_sql` written to a temporary Parquet file (its path): the customers
    are figured from it in a second pass. Two passes, each one group-by (and the sort), stay
    within DuckDB's memory limit where one query holding both and the sort ran out (100M
    lines)."""
    with tempfile.TemporaryDirectory(prefix="smartcart-orders-") as folder:
        staged = str(Path(folder) / "orders.parquet")
        orders.con.execute("SET preserve_insertion_order = false")  # the sorts give the order
        query = orders_sql(orders, as_of)
        orders.con.execute(f"COPY ({query}) TO {sql_text(staged)} (FORMAT parquet)")
        yield staged


def _sorted_customers(orders: OpenedOrders, as_of: dt.date, staged: str) -> str:
    return f"{customers_sql(orders, as_of, staged)}\n    ORDER BY customer_id"


@contextlib.contextmanager
def _opened(source, mapping, memory_limit, threads, on_progress) -> Iterator[OpenedOrders]:
    orders = open_orders(
        source, mapping, memory_limit=memory_limit, threads=threads, on_progress=on_progress
    )
    try:
        yield orders
    finally:
        orders.con.close()


def _derivation(orders: OpenedOrders, day: dt.date) -> dict:
    """What the derivation read and left out; the quarantine's line numbers need the lines
    read in insertion order, so this runs before `_staged`."""
    return {
        "as_of": day,
        "quarantine": orders.quarantine(),
        "quarantined": orders.quarantined,
        "lines": orders.lines,
        "layout": orders.layout,
        "source": orders.source.location,
        "currency": orders.currency,
    }


def as_of_day(as_of: dt.date | str | None, orders: OpenedOrders) -> dt.date:
    """`as_of` as a day; None means the day of the latest order."""
    if as_of is None:
        return pd.Timestamp(orders.latest).date()
    if isinstance(as_of, str):
        try:
            return dt.date.fromisoformat(as_of)
        except ValueError:
            raise DataError(f"as_of {as_of!r} is not a day (write it 2024-05-31)") from None
    return as_of.date() if isinstance(as_of, dt.datetime) else as_of


def _column(prefix: str, name: str) -> str:
    return f'"{prefix}_{name}"'


def orders_sql(orders: OpenedOrders, as_of: dt.date) -> str:
    """Lines to orders: one row per (customer, order) placed by the end of `as_of`."""
    spend = "".join(
        f",\n sum(CASE WHEN category = {sql_text(c)} THEN amount - refunded END)"
        f" AS {_column('spend', c)}"
        for c in orders.categories
    )
    end = sql_text((as_of + dt.timedelta(days=1)).isoformat())
    return f"""
    SELECT customer_id, order_id, min(ordered_at) AS ordered_at, any_value(channel) AS channel,
        sum(amount) AS merchandise, sum(refunded) AS refunded,
        sum(amount - refunded) FILTER (discount > 0) AS discounted{spend}
    FROM lumped_lines
    WHERE status <> 'cancelled' AND ordered_at < CAST({end} AS TIMESTAMP)
    GROUP BY customer_id, order_id"""


def orders_table_sql(orders: OpenedOrders, as_of: dt.date, staged: str | None = None) -> str:
    """The counted orders (customer_id, ordered_at, amount: revenue), sorted by customer and
    time: what the lifetime models learn from and predict with. From `orders_sql` in the same
    query, or from the orders written before to the Parquet `staged`."""
    source = f"read_parquet({sql_text(staged)})" if staged else f"({orders_sql(orders, as_of)})"
    return f"""
    SELECT customer_id, ordered_at, merchandise - refunded AS amount
    FROM {source}
    WHERE merchandise > 0 AND refunded < merchandise
    ORDER BY customer_id, ordered_at"""


def customers_sql(orders: OpenedOrders, as_of: dt.date, staged: str | None = None) -> str:
    """Orders to customers: the figures of `OrderCustomers.frame`; from the orders of
    `orders_sql` in the same query, or from those written before to the Parquet `staged`."""
    day = f"CAST({sql_text(as_of.isoformat())} AS DATE)"
    counted = "FILTER (counted)"
    figures = [
        f"min(ordered_at) {counted} AS first_order_at",
        f"max(ordered_at) {counted} AS last_order_at",
        f"count(*) {counted} AS orders",
        f"sum(revenue) {counted} AS revenue",
        f"date_diff('day', CAST(max(ordered_at) {counted} AS DATE), {day}) AS recency_days",
        f"date_diff('day', CAST(min(ordered_at) {counted} AS DATE), {day}) AS tenure_days",
        f"sum(revenue) {counted} / count(*) {counted} AS average_order_value",
        f"""CASE WHEN count(*) {counted} > 1 THEN
            epoch(max(ordered_at) {counted} - min(ordered_at) {counted}) / 86400.0
            / (count(*) {counted} - 1) END AS average_days_between_orders""",
    ]
    for days in WINDOWS:
        recent = f"FILTER (counted AND CAST(ordered_at AS DATE) > {day} - {days})"
        figures.append(f"count(*) {recent} AS orders_{days}d")
        figures.append(f"coalesce(sum(revenue) {recent}, 0) AS revenue_{days}d")
    for c in orders.categories:
        spend = f"coalesce(sum({_column('spend', c)}) {counted}, 0)"
        figures.append(f"{spend} AS {_column('spend', c)}")
        figures.append(f"{spend} / sum(revenue) {counted} AS {_column('share', c)}")
    for c in orders.channels:
        share = f"count(*) FILTER (counted AND channel = {sql_text(c)}) / count(*) {counted}"
        figures.append(f"{share} AS {_column('channel_share', c)}")
    figures.append(
        f"coalesce(sum(discounted) {counted}, 0) / sum(revenue) {counted} AS discount_share"
    )
    figures.append(
        "CASE WHEN sum(merchandise) > 0 THEN sum(refunded) / sum(merchandise) ELSE 0 END"
        " AS refund_share"
    )
    body = ",\n        ".join(figures)
    source = orders_sql(orders, as_of)
    if staged:
        source = f"SELECT * FROM read_parquet({sql_text(staged)})"
    return f"""
    WITH orders AS ({source}),
    marked AS (SELECT *, merchandise - refunded AS revenue,
        merchandise > 0 AND refunded < merchandise AS counted FROM orders)
    SELECT customer_id, {body}
    FROM marked GROUP BY customer_id HAVING count(*) {counted} > 0"""
