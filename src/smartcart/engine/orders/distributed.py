"""Customers from a partitioned Parquet order set on a Dask cluster (`--engine dask`).

Three steps, each on the workers: the as-of day (the latest counted order over every file,
unless given); the lines shuffled so that all of a customer's lines meet in one partition
(keyed by a loose form of the customer key: lower case, only letters, digits, `@` and `.`, so
every spelling the reader folds into one customer lands together); each partition derived with
`customers_from_orders` (and, for the lifetime model, `order_totals`), as the local engine does.
The result equals the local engine's while the set has at most `MAX_CATEGORIES` categories and
`MAX_CHANNELS` channels (past them each partition would lump its own tail as `other`);
quarantine line numbers are per partition, so they are not kept (the lines are counted).

`shuffle_orders` and `derive_part` are the steps for work that keeps each partition on the
cluster (scoring); `orders_on_dask` gathers the customers and counted orders to this process.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from smartcart.engine.errors import DataError
from smartcart.engine.files import dataset_files
from smartcart.engine.orders.customers import customers_from_orders
from smartcart.engine.orders.layouts import OrderLayout
from smartcart.engine.orders.mapping import OrderMapping, read_order_mapping
from smartcart.engine.orders.reading import open_orders, order_layout
from smartcart.engine.orders.totals import order_totals

SHUFFLE_KEY = "__customer"
FRAME_LABEL = "DataFrame:"  # how the problems of lines read from a DataFrame start
FILLED_PREFIXES = ("spend_", "share_", "channel_share_")


@dataclass
class ShuffledOrders:
    """The order lines of a folder on the cluster: `parts` (delayed pandas frames) each hold
    all the lines of their customers; `as_of` is the day every figure is taken on."""

    parts: list
    as_of: dt.date
    layout: OrderLayout
    mapping: OrderMapping | None
    files: list[str]


@dataclass
class OrderPart:
    """One shuffled partition derived: its customers (`OrderCustomers.frame`), their counted
    orders (`OrderTotals.frame`, when asked), its lines, the quarantined ones (counted, and
    the first of them without their line) and its currency."""

    customers: pd.DataFrame
    totals: pd.DataFrame | None
    lines: int
    quarantined: int
    quarantine: pd.DataFrame  # order_id, reason
    currency: str | None


@dataclass
class DaskOrders:
    """What `orders_on_dask` gathers: the local engine's customers and counted orders."""

    customers: pd.DataFrame
    totals: pd.DataFrame | None
    as_of: dt.date
    layout: OrderLayout
    lines: int
    quarantined: int
    quarantine: pd.DataFrame
    currency: str | None


def shuffle_orders(
    client,
    folder: str | Path,
    *,
    as_of: dt.date | None = None,
    mapping: str | Path | OrderMapping | None = None,
) -> ShuffledOrders:
    """The lines of a Parquet folder shuffled by customer on the cluster of `client` (lazy: a
    step computes them), and the as-of day (computed now, over every file, when not given)."""
    import dask.dataframe as dd

    if mapping is not None and not isinstance(mapping, OrderMapping):
        mapping = read_order_mapping(mapping)
    files = dataset_files(folder)
    layout = order_layout(files[0], mapping)
    if layout is None or not layout.customer_keys:
        raise DataError(f"{folder}: not an order set with a customer key (read {files[0]})")
    if as_of is None:
        latest = client.gather(client.map(_latest, files, mapping=mapping))
        days = [pd.Timestamp(t) for t in latest if t is not None]
        if not days:
            raise DataError(f"{folder}: no order line can be used (no file has a counted order)")
        as_of = max(days).date()
    keys = [layout.column(role) for role in layout.customer_keys]
    lines = dd.read_parquet(files).map_partitions(_with_shuffle_key, keys)
    shuffled = lines.shuffle(SHUFFLE_KEY, npartitions=len(files))
    return ShuffledOrders(shuffled.to_delayed(), as_of, layout, mapping, files)


def derive_part(
    lines: pd.DataFrame,
    as_of: dt.date,
    mapping: OrderMapping | None,
    totals: bool = False,
    where: str = "order lines",
) -> OrderPart:
    """A shuffled partition's customers (and counted orders), as the local engine derives
    them from the whole set (runs on a worker); a DataError names `where`, the folder."""
    if lines.empty:
        empty = pd.DataFrame({"order_id": [], "reason": []})
        return OrderPart(pd.DataFrame(), pd.DataFrame() if totals else None, 0, 0, empty, None)
    lines = lines.drop(columns=[SHUFFLE_KEY])
    try:
        derived = customers_from_orders(lines, as_of=as_of, mapping=mapping)
        counted = order_totals(lines, as_of=as_of, mapping=mapping).frame if totals else None
    except DataError as error:  # named after the partition's frame: name the folder
        named = str(error).replace(FRAME_LABEL, f"{where} (a partition on the cluster):", 1)
        raise DataError(named) from None
    return OrderPart(
        derived.frame,
        counted,
        derived.lines,
        derived.quarantined,
        derived.quarantine[["order_id", "reason"]],
        derived.currency,
    )


def one_currency(currencies: list[str | None], folder: str | Path) -> str | None:
    """The set's currency (None when it has none); DataError when partitions differ, as the
    local engine refuses a file in several currencies."""
    found = sorted({c for c in currencies if c is not None})
    if len(found) > 1:
        raise DataError(
            f"{folder}: several currencies ({', '.join(found)}): split the orders by currency, "
            "figures in different currencies cannot be summed"
        )
    return found[0] if found else None


def orders_on_dask(
    client,
    folder: str | Path,
    *,
    as_of: dt.date | None = None,
    mapping: str | Path | OrderMapping | None = None,
    totals: bool = True,
) -> DaskOrders:
    """The customers (and counted orders) of a Parquet folder, derived on the cluster of
    `client` and gathered here."""
    from dask import delayed

    shuffled = shuffle_orders(client, folder, as_of=as_of, mapping=mapping)
    derive, where = delayed(derive_part), str(folder)
    tasks = [derive(p, shuffled.as_of, shuffled.mapping, totals, where) for p in shuffled.parts]
    parts = client.gather(client.compute(tasks))
    currency = one_currency([p.currency for p in parts], folder)
    kept = [p for p in parts if len(p.customers)]
    if not kept:
        raise DataError(f"{folder}: no order line can be used")
    counted = None
    if totals:
        counted = pd.concat([p.totals for p in kept], ignore_index=True)
        counted = counted.sort_values(["customer_id", "ordered_at", "amount"], kind="stable")
        counted = counted.reset_index(drop=True)
    return DaskOrders(
        _combined([p.customers for p in kept]),
        counted,
        shuffled.as_of,
        shuffled.layout,
        sum(p.lines for p in parts),
        sum(p.quarantined for p in parts),
        pd.concat([p.quarantine for p in parts], ignore_index=True),
        currency,
    )


def customers_from_orders_dask(
    client,
    folder: str | Path,
    *,
    as_of: dt.date | None = None,
    mapping: str | Path | OrderMapping | None = None,
) -> pd.DataFrame:
    """The `OrderCustomers.frame` of a Parquet folder, derived on the cluster of `client`."""
    return orders_on_dask(client, folder, as_of=as_of, mapping=mapping, totals=False).customers


def _latest(path: str, mapping: OrderMapping | None) -> object:
    orders = open_orders(path, mapping)
    try:
        return orders.latest
    finally:
        orders.con.close()


def _with_shuffle_key(lines: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    loose = pd.Series(pd.NA, index=lines.index, dtype="object")
    for column in keys:
        text = (
            lines[column].astype("string").str.lower().str.replace(r"[^0-9a-z@.]", "", regex=True)
        )
        loose = loose.where(loose.notna() & (loose != ""), text.where(text != ""))
    return lines.assign(**{SHUFFLE_KEY: loose.fillna("").astype(str)})


def _combined(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The partitions' customers in one frame, columns in the local engine's order (categories
    and channels a partition lacks are 0 there)."""
    frame = pd.concat(frames, ignore_index=True)
    filled = [c for c in frame.columns if c.startswith(FILLED_PREFIXES)]
    frame[filled] = frame[filled].fillna(0.0)
    categories = sorted({c.removeprefix("spend_") for c in frame.columns if c.startswith("spend_")})
    channels = sorted(c for c in frame.columns if c.startswith("channel_share_"))
    fixed = [c for c in frames[0].columns if not c.startswith(FILLED_PREFIXES)]
    head = fixed[: fixed.index("discount_share")]
    per_category = [name for c in categories for name in (f"spend_{c}", f"share_{c}")]
    order = [*head, *per_category, *channels, "discount_share", "refund_share"]
    return frame[order].sort_values("customer_id", kind="stable").reset_index(drop=True)
