"""Data in and checks: the customer contract, readers of every source, mappings, validation."""

from smartcart.engine.data import schema
from smartcart.engine.data.chunks import iter_customer_chunks, source_label
from smartcart.engine.data.datasets import dataset_files, dataset_sha256
from smartcart.engine.data.loading import load_customers
from smartcart.engine.data.mapping import read_mapping
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
    "DataSource",
    "RawData",
    "ValidatedData",
    "dataset_files",
    "dataset_sha256",
    "is_sql_url",
    "iter_customer_chunks",
    "load_customers",
    "read_mapping",
    "schema",
    "source_label",
    "suggest_mapping",
    "validate",
]
