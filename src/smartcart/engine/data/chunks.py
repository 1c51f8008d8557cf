"""Validated customers chunk by chunk, with bounded memory, from any source the loaders read.

`iter_customer_chunks` is the one place the streaming paths (scoring, the digest) read data; it
hands over to `validation.iter_validated` (typed, vectorised validation of `loading`'s chunks:
file lines that keep counting across chunks, IDs repeated across chunks quarantined, one
DataError when no chunk has a usable row).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

from smartcart.engine.data.loading import load_customers
from smartcart.engine.data.order_input import (
    is_order_source,
    iter_order_customers,
    load_order_customers,
)
from smartcart.engine.data.sources import DEFAULT_CHUNK_ROWS, DEFAULT_TABLE, DataSource
from smartcart.engine.data.validation import ValidatedData, iter_validated, validate

__all__ = ["DEFAULT_CHUNK_ROWS", "iter_customer_chunks", "load_validated", "source_label"]


def load_validated(
    source: str | Path | DataSource, as_of: date | None = None, table: str = DEFAULT_TABLE
) -> ValidatedData:
    """All of a source's customers, validated: derived from its orders when its header is an
    order file (contract "orders"), else its customer rows."""
    if is_order_source(source):
        return load_order_customers(source, as_of)
    return validate(load_customers(source, table), as_of)


def iter_customer_chunks(
    source: str | Path | DataSource,
    as_of: date,
    *,
    table: str = DEFAULT_TABLE,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    with_orders: bool = False,
) -> Iterator[ValidatedData]:
    """Each chunk validated as the whole source would be (see `iter_validated`); a DataSource
    brings its own table, query, sheet and mapping. An order source gives its customers as of
    its latest order (`as_of` is the model's, for customer tables), and with `with_orders`
    each chunk's counted orders (`order_totals`)."""
    if is_order_source(source):
        return iter_order_customers(source, chunk_rows, with_orders)
    if isinstance(source, DataSource):
        return iter_validated(source, as_of, chunk_rows=chunk_rows)
    return iter_validated(source, as_of, chunk_rows=chunk_rows, table=table)


def source_label(source: str | Path | DataSource) -> str:
    """Where customers came from, safe to show and store (no password)."""
    if isinstance(source, DataSource):
        return str(source)
    return str(DataSource(str(source)))
