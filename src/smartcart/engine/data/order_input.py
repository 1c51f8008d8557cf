"""Order histories as the second input contract: a source whose header is an order file
(Shopify, WooCommerce, generic order lines; `smartcart.engine.orders`) is read as its customers
(`customers_from_orders`, one row per customer) and handed on as validated data, like a
customer table.

The customer's own key (an email, a phone, the retailer's id) is `customer_key`, text. The
store and every table keyed by customer hold a whole number, `ID`: the key itself when it is
a whole number, else a 63-bit number from its BLAKE2b hash (the same on every machine and run;
two keys would share one with odds of about 1 in 10^7 for a billion customers).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from smartcart.engine.data import schema
from smartcart.engine.data.datasets import dataset_files, dataset_sha256, is_dataset
from smartcart.engine.data.sources import (
    DEFAULT_CHUNK_ROWS,
    DEFAULT_TABLE,
    DataSource,
    is_sql_url,
    safe_url,
)
from smartcart.engine.data.validation import ValidatedData
from smartcart.engine.errors import DataError
from smartcart.engine.orders import (
    OrderCustomers,
    OrderDerivation,
    SqlOrders,
    customers_from_orders,
    iter_customers_from_orders,
    order_layout,
    order_totals,
    orders_on_dask,
    read_order_mapping,
)

ORDERS = "orders"
ORDER_KEY = "customer_key"
LARGEST_PLAIN_ID = 10**18  # keys below this that are whole numbers are their own ID
DATE_COLUMNS = ("first_order_at", "last_order_at")


def is_order_source(source: str | Path | DataSource) -> bool:
    """Whether the source's header (a query's columns) is an order file's (Excel is a
    customer table)."""
    location, mapping = _location(source)
    if not isinstance(location, SqlOrders) and (
        Path(location).suffix.lower() in (".xlsx", ".xlsm", ".xls")
        or not is_dataset(location)
        and not Path(location).is_file()
    ):
        return False
    order_mapping = None
    if mapping is not None:
        try:
            order_mapping = read_order_mapping(mapping)
        except DataError:
            order_mapping = None  # a customer mapping: the header decides alone
    try:
        return order_layout(location, order_mapping) is not None
    except DataError:
        return False  # the customer readers say what is wrong with it


def customer_number(key: str) -> int:
    """The whole-number ID of a customer key (see the module's docstring)."""
    text = str(key)
    if text.isascii() and text.isdigit() and int(text) < LARGEST_PLAIN_ID:
        return int(text)
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big") >> 1


def order_location(source: str | Path | DataSource) -> str | SqlOrders:
    """Where an order source's lines are, as the order engine reads them: the path, or for a
    SQL URL its query (`--query`, else every row of `--table`) as `SqlOrders`."""
    return _location(source)[0]


def load_order_customers(
    source: str | Path | DataSource, as_of: date | None = None
) -> ValidatedData:
    """Customers from an order source as validated data (contract "orders")."""
    location, mapping = _location(source)
    derived = customers_from_orders(location, as_of=as_of, mapping=mapping)
    return _validated(derived, location)


def load_order_customers_on_dask(
    client, source: str | Path | DataSource, as_of: date | None = None
) -> tuple[ValidatedData, pd.DataFrame]:
    """Customers from a Parquet folder of order lines, derived on the Dask cluster of `client`
    (the table `load_order_customers` gives), and their counted orders (what
    `load_order_totals` gives: the lifetime model's input). Quarantined lines are counted;
    their line numbers are per partition there, so they are left empty."""
    location, mapping = _location(source)
    if isinstance(location, SqlOrders) or not is_dataset(location):
        raise DataError(f"{_named(location)}: --engine dask reads a folder of Parquet order lines")
    gathered = orders_on_dask(client, location, as_of=as_of, mapping=mapping)
    quarantine = gathered.quarantine.assign(line=pd.NA)[["line", "order_id", "reason"]]
    derived = OrderCustomers(
        frame=gathered.customers,
        as_of=gathered.as_of,
        quarantine=quarantine,
        quarantined=gathered.quarantined,
        lines=gathered.lines,
        layout=gathered.layout,
        source=str(location),
        currency=gathered.currency,
        customers=len(gathered.customers),
    )
    data = _validated(derived, location)
    if len(quarantine):
        data.notes.append("derived on a Dask cluster: quarantined lines carry no line number")
    return data, gathered.totals


def load_order_totals(source: str | Path | DataSource, as_of: date | None = None) -> pd.DataFrame:
    """The counted orders of an order source up to `as_of` (customer_id as the customer's key,
    ordered_at, amount): what the lifetime model learns from and predicts with."""
    location, mapping = _location(source)
    return order_totals(location, as_of=as_of, mapping=mapping).frame


def iter_order_customers(
    source: str | Path | DataSource,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    with_orders: bool = False,
) -> Iterator[ValidatedData]:
    """The customers of an order source (as of its latest order) in chunks of `chunk_rows`,
    streamed from DuckDB (memory grows with the chunk, not the customers); the order lines
    are aggregated once, and the first chunk carries the quarantine and the notes. With
    `with_orders`, each chunk's customers' counted orders too (`order_totals`)."""
    location, mapping = _location(source)
    sha256 = _sha256(location)
    numbers = []  # every chunk's IDs, to find two keys sharing one across chunks
    chunks = iter_customers_from_orders(
        location, chunk_rows=chunk_rows, mapping=mapping, with_orders=with_orders
    )
    for index, derived in enumerate(chunks):
        data = _validated(derived, location, sha256)
        data.order_totals = derived.orders
        numbers.append(data.customers[schema.ID].to_numpy())
        if index:
            data.quarantine, data.rows_read, data.notes = data.quarantine.iloc[0:0], 0, []
        else:
            data.notes = [_note(derived, None)]
        yield data
    _unique_numbers(np.concatenate(numbers), location)


def _unique_numbers(numbers: np.ndarray, location: str | SqlOrders) -> None:
    ordered = np.sort(numbers)
    if (ordered[1:] == ordered[:-1]).any():
        raise DataError(f"{_named(location)}: two customer keys share one number; rename one")


def order_customer_frame(frame: pd.DataFrame, where: str = "order lines") -> pd.DataFrame:
    """`customers_from_orders`' table in the model's shape: `ID` and `customer_key` first.
    Two keys with one number (see the module's docstring) are a DataError naming `where`:
    two customers are never silently merged."""
    keys = frame["customer_id"].astype(str)
    out = frame.drop(columns=["customer_id"])
    out.insert(0, ORDER_KEY, keys.to_numpy(dtype=object))
    out.insert(0, schema.ID, np.fromiter(map(customer_number, keys), "int64", len(keys)))
    repeated = out[schema.ID].duplicated(keep=False)
    if repeated.any():
        raise shared_number(out.loc[repeated, ORDER_KEY].astype(str).head(2).tolist(), where)
    return out.reset_index(drop=True)


def shared_number(keys: list[str], where: str) -> DataError:
    """The error for customer keys that share one number: never silently merge two customers."""
    return DataError(f"{where}: customer keys {', '.join(keys)} share one number; rename one")


def _validated(
    derived: OrderCustomers, location: str | SqlOrders, sha256: str | None = None
) -> ValidatedData:
    customers = order_customer_frame(derived.frame, _named(location))
    notes = [_note(derived, len(customers))]
    return ValidatedData(
        customers=customers,
        quarantine=derived.quarantine,
        as_of=derived.as_of,
        source=_named(location),
        sha256=sha256 or _sha256(location),
        dialect=derived.layout.kind,
        rows_read=derived.lines,
        notes=notes,
        contract=ORDERS,
    )


def _note(derived: OrderDerivation, customers: int | None) -> str:
    """What was read; `customers` None when the data comes in chunks (not counted yet)."""
    counted = f", {customers} customers" if customers is not None else ""
    return (
        f"{derived.layout.label}: {derived.lines} order lines{counted} as of "
        f"{derived.as_of.isoformat()}"
        + (f" (amounts in {derived.currency})" if derived.currency else "")
    )


def _location(source: str | Path | DataSource) -> tuple[str | SqlOrders, str | Path | None]:
    """Where the orders are (a path, or a query for a SQL URL), and the mapping file (a
    customer mapping read already is no order mapping)."""
    if isinstance(source, DataSource):
        mapping = source.mapping if isinstance(source.mapping, str | Path) else None
        return _sql_or_path(source.location, source.query, source.table), mapping
    return _sql_or_path(str(source), None, DEFAULT_TABLE), None


def _sql_or_path(location: str, query: str | None, table: str) -> str | SqlOrders:
    if not is_sql_url(location):
        return location
    what = "query" if query else table
    statement = query or f'SELECT * FROM "{table.replace(chr(34), chr(34) * 2)}"'
    return SqlOrders(location, statement, f"{safe_url(location)}#{what}")


def _named(location: str | SqlOrders) -> str:
    return location.label if isinstance(location, SqlOrders) else location


def _sha256(location: str | SqlOrders) -> str:
    if isinstance(location, SqlOrders):  # rows not read here: the source's name stands in
        return hashlib.sha256(location.label.encode()).hexdigest()
    files = dataset_files(location) if is_dataset(location) else [location]
    if len(files) == 1 and not is_dataset(location):
        with open(location, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    return dataset_sha256(files)
