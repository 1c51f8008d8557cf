"""Customers from a partitioned Parquet order set on a Dask cluster (`--engine dask`).

Three steps, each on the workers: the as-of day (the latest counted order over every file,
unless given); the lines shuffled so that all of a customer's lines meet in one partition
(keyed by a loose form of the customer key: lower case, only letters, digits, `@` and `.`, so
every spelling the reader folds into one customer lands together); each partition derived with
`customers_from_orders`, as the local engine does. The result equals the local engine's while
the set has at most `MAX_CATEGORIES` categories and `MAX_CHANNELS` channels (past them each
partition would lump its own tail as `other`); quarantine line numbers are per partition.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from smartcart.engine.errors import DataError
from smartcart.engine.files import dataset_files
from smartcart.engine.orders.customers import customers_from_orders
from smartcart.engine.orders.mapping import OrderMapping, read_order_mapping
from smartcart.engine.orders.reading import open_orders, order_layout

SHUFFLE_KEY = "__customer"
FILLED_PREFIXES = ("spend_", "share_", "channel_share_")


def customers_from_orders_dask(
    client,
    folder: str | Path,
    *,
    as_of: dt.date | None = None,
    mapping: str | Path | OrderMapping | None = None,
) -> pd.DataFrame:
    """The `OrderCustomers.frame` of a Parquet folder, derived on the cluster of `client`."""
    import dask.dataframe as dd
    from dask import delayed

    if mapping is not None and not isinstance(mapping, OrderMapping):
        mapping = read_order_mapping(mapping)
    files = dataset_files(folder)
    layout = order_layout(files[0], mapping)
    if layout is None or not layout.customer_keys:
        raise DataError(f"{folder}: not an order set with a customer key (read {files[0]})")
    if as_of is None:
        latest = client.gather(client.map(_latest, files, mapping=mapping))
        as_of = max(pd.Timestamp(t) for t in latest if t is not None).date()
    keys = [layout.column(role) for role in layout.customer_keys]
    lines = dd.read_parquet(files).map_partitions(_with_shuffle_key, keys)
    shuffled = lines.shuffle(SHUFFLE_KEY, npartitions=len(files))
    parts = [delayed(_customers)(p, as_of, mapping) for p in shuffled.to_delayed()]
    frames = [f for f in client.gather(client.compute(parts)) if len(f)]
    return _combined(frames)


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


def _customers(lines: pd.DataFrame, as_of: dt.date, mapping) -> pd.DataFrame:
    if lines.empty:
        return pd.DataFrame()
    derived = customers_from_orders(lines.drop(columns=[SHUFFLE_KEY]), as_of=as_of, mapping=mapping)
    return derived.frame


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
