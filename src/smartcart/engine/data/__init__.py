"""Data in and checks: the customer contract, readers of every source, mappings, validation."""

from smartcart.engine.data import schema
from smartcart.engine.data.chunks import iter_customer_chunks, load_validated, source_label
from smartcart.engine.data.datasets import dataset_files, dataset_sha256
from smartcart.engine.data.loading import load_customers
from smartcart.engine.data.mapping import read_mapping
from smartcart.engine.data.order_input import (
    ORDER_KEY,
    ORDERS,
    customer_number,
    is_order_source,
    load_order_customers,
    load_order_customers_on_dask,
    load_order_totals,
    order_customer_frame,
    order_location,
    shared_number,
)
from smartcart.engine.data.sources import (
    DEFAULT_CHUNK_ROWS,
    DEFAULT_TABLE,
    DataSource,
    RawData,
    is_sql_url,
)
from smartcart.engine.data.suggest import suggest_mapping
from smartcart.engine.data.validation import ValidatedData, validate

__all__ = [
    "DEFAULT_CHUNK_ROWS",
    "DEFAULT_TABLE",
    "ORDERS",
    "ORDER_KEY",
    "DataSource",
    "RawData",
    "ValidatedData",
    "customer_number",
    "dataset_files",
    "dataset_sha256",
    "is_order_source",
    "is_sql_url",
    "iter_customer_chunks",
    "load_customers",
    "load_order_customers",
    "load_order_customers_on_dask",
    "load_order_totals",
    "load_validated",
    "order_customer_frame",
    "order_location",
    "read_mapping",
    "schema",
    "shared_number",
    "source_label",
    "suggest_mapping",
    "validate",
]
