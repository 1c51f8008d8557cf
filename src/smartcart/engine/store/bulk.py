"""Bulk writes of customers and their assignments: plain tuples through the driver's executemany,
COPY on PostgreSQL (psycopg). No row dicts, no per-row SQLAlchemy work.

A `CustomerWriter` works on one open transaction, chunk after chunk, so a run that fails halfway
rolls back to the customers stored before it.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from smartcart.engine.data import ORDER_KEY, schema
from smartcart.engine.lifetime import FIGURE_COLUMNS, LIFETIME_COLUMNS

DELETE_CHUNK = 5000  # IDs per DELETE ... IN (...) where no array parameter exists
# Rows turned into driver values at a time: a million customers as Python tuples would take
# about 1 GB; slices keep that bounded whatever the size of one write.
INSERT_SLICE = 50_000

ASSIGNMENT_COLUMNS = [
    "customer_id",
    "model_version",
    "cluster",
    "persona",
    "confidence",
    "scored_at",
]


class CustomerWriter:
    """Adds (or, for IDs already stored, replaces) customers with their segments, in chunks.

    With `replace` every stored customer is deleted first; all of it commits or rolls back with
    the connection's transaction.
    """

    def __init__(
        self,
        connection: Connection,
        tables: tuple[sa.Table, sa.Table],
        model_version: str,
        stamp: datetime,
        replace: bool,
    ) -> None:
        self.connection = connection
        self.customers, self.assignments = tables
        self.model_version = model_version
        self.stamp = stamp
        self.replace = replace
        self.written = 0
        if replace:
            connection.execute(self.assignments.delete())
            connection.execute(self.customers.delete())

    def write(self, rows: pd.DataFrame, scores: pd.DataFrame) -> None:
        """Validated customers and their scores (customer_id, cluster, persona, confidence)."""
        if rows.empty:
            return
        ids = rows[schema.ID].to_numpy(dtype="int64")
        replacing = not self.replace
        if replacing and self.connection.dialect.name != "sqlite":
            self._delete(ids)  # SQLite replaces on the key as it inserts (INSERT OR REPLACE)
        columns, values = customer_values(rows, self.stamp)
        insert_rows(self.connection, self.customers, columns, values, replacing)
        columns, values = assignment_values(scores, self.model_version, self.stamp)
        insert_rows(self.connection, self.assignments, columns, values, replacing)
        self.written += len(ids)

    def _delete(self, ids: np.ndarray) -> None:
        if self.connection.dialect.name == "postgresql":  # one array parameter per table
            for table in (self.assignments, self.customers):
                self.connection.execute(
                    table.delete().where(table.c.customer_id == sa.any_(sa.bindparam("ids"))),
                    {"ids": ids.tolist()},
                )
            return
        for start in range(0, len(ids), DELETE_CHUNK):
            chunk = ids[start : start + DELETE_CHUNK].tolist()
            for table in (self.assignments, self.customers):
                self.connection.execute(table.delete().where(table.c.customer_id.in_(chunk)))


def customer_values(rows: pd.DataFrame, stamp: datetime) -> tuple[list[str], dict[str, object]]:
    """Column names of the customers table and their values (arrays, or one value for all).
    Customers from orders (a `customer_key` column) keep their key and their figures as JSON,
    and their lifetime columns (those they have) in their own columns; the predictions only
    there, the figures they carry anyway (FIGURE_COLUMNS) in both."""
    present = [c for c in schema.ALL_COLUMNS if c in rows.columns and c != schema.ID]
    values: dict[str, object] = {"customer_id": rows[schema.ID].to_numpy(dtype="int64")}
    for name in present:
        values[name] = rows[name].to_numpy()
    if ORDER_KEY in rows.columns:
        values[ORDER_KEY] = rows[ORDER_KEY].to_numpy(dtype=object)
        lifetime = [c for c in LIFETIME_COLUMNS if c in rows.columns]
        for name in lifetime:
            values[name] = lifetime_values(rows[name])
        predicted = [c for c in lifetime if c not in FIGURE_COLUMNS]
        values["profile"] = profile_json(rows.drop(columns=[schema.ID, ORDER_KEY, *predicted]))
    values["loaded_at"] = stamp
    return list(values), values


def lifetime_values(column: pd.Series) -> np.ndarray:
    """A lifetime column as the driver binds it: text as objects (None when missing), dates
    as datetime64, numbers as floats."""
    if pd.api.types.is_datetime64_any_dtype(column):
        return column.to_numpy(dtype="datetime64[ns]")
    if pd.api.types.is_numeric_dtype(column):
        return column.to_numpy(dtype=float)
    return column.astype(object).where(column.notna(), None).to_numpy(dtype=object)


def profile_json(figures: pd.DataFrame) -> np.ndarray:
    """One JSON object per row (NaN as null, timestamps in ISO 8601)."""
    if figures.empty:
        return np.array(["{}"] * len(figures), dtype=object)
    text = figures.to_json(orient="records", lines=True, date_format="iso", double_precision=10)
    return np.array(text.rstrip("\n").split("\n"), dtype=object)


def assignment_values(
    scores: pd.DataFrame, model_version: str, stamp: datetime
) -> tuple[list[str], dict[str, object]]:
    values = {
        "customer_id": scores["customer_id"].to_numpy(dtype="int64"),
        "model_version": model_version,
        "cluster": scores["cluster"].to_numpy(dtype="int64"),
        "persona": scores["persona"].to_numpy(dtype=object),
        "confidence": scores["confidence"].to_numpy(dtype=float),
        "scored_at": stamp,
    }
    return ASSIGNMENT_COLUMNS, values


def insert_rows(
    connection: Connection,
    table: sa.Table,
    columns: Sequence[str],
    values: dict[str, object],
    replacing: bool = False,
) -> None:
    """Insert column arrays (a scalar is the same for every row): COPY on PostgreSQL with
    psycopg, the driver's executemany with tuples elsewhere (on SQLite `replacing` makes it
    INSERT OR REPLACE, so rows with a stored key replace it)."""
    copy = connection.dialect.name == "postgresql" and connection.dialect.driver == "psycopg"
    for part in _slices(values, INSERT_SLICE):
        if copy:
            _copy(connection, table, columns, part)
        else:
            _executemany(connection, table, columns, part, replacing)


def _slices(values: dict[str, object], size: int) -> list[dict[str, object]]:
    n = _length(values)
    return [
        {
            name: value[start : start + size] if isinstance(value, np.ndarray) else value
            for name, value in values.items()
        }
        for start in range(0, n, size)
    ]


def _length(values: dict[str, object]) -> int:
    return next(len(v) for v in values.values() if isinstance(v, np.ndarray))


def _executemany(
    connection: Connection,
    table: sa.Table,
    columns: Sequence[str],
    values: dict[str, object],
    replacing: bool,
) -> None:
    dialect = connection.dialect
    n = _length(values)
    lists = []
    for name in columns:
        column_type = table.c[name].type
        value = values[name]
        if not isinstance(value, np.ndarray):
            processor = column_type.dialect_impl(dialect).bind_processor(dialect)
            lists.append([processor(value) if processor else value] * n)
        else:
            lists.append(_python_values(value, column_type, dialect))
    statement = _insert_sql(connection, table, columns, replacing)
    connection.exec_driver_sql(statement, list(zip(*lists, strict=True)))


def _python_values(array: np.ndarray, column_type: sa.types.TypeEngine, dialect) -> list:
    """Plain Python values the driver binds directly: None for missing, dates as the dialect
    stores them (the type's own bind processor, run once per distinct date)."""
    if np.issubdtype(array.dtype, np.datetime64):
        days = array.astype("datetime64[D]")
        distinct, inverse = np.unique(days, return_inverse=True)
        processor = column_type.dialect_impl(dialect).bind_processor(dialect)
        converted = [d.item() for d in distinct]
        if processor:
            converted = [processor(d) for d in converted]
        out = np.array(converted, dtype=object)[inverse].tolist()
        missing = np.isnat(days)
    else:
        out = array.tolist()
        missing = pd.isna(array)
    if missing.any():
        for position in np.flatnonzero(missing):
            out[position] = None
    return out


def _insert_sql(
    connection: Connection, table: sa.Table, columns: Sequence[str], replacing: bool
) -> str:
    dialect = connection.dialect
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in columns)
    marks = ", ".join("?" if dialect.paramstyle == "qmark" else "%s" for _ in columns)
    verb = "INSERT OR REPLACE" if replacing and dialect.name == "sqlite" else "INSERT"
    return f"{verb} INTO {quote(table.name)} ({names}) VALUES ({marks})"


def _copy(
    connection: Connection, table: sa.Table, columns: Sequence[str], values: dict[str, object]
) -> None:
    n = _length(values)
    frame = pd.DataFrame({name: _copy_column(value, n) for name, value in values.items()})
    buffer = io.StringIO()
    frame.to_csv(buffer, header=False, index=False, na_rep="")
    quote = connection.dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in columns)
    statement = f"COPY {quote(table.name)} ({names}) FROM STDIN (FORMAT csv)"
    driver_error = connection.dialect.loaded_dbapi.Error
    cursor = connection.connection.cursor()
    try:
        with cursor.copy(statement) as copy:
            copy.write(buffer.getvalue())
    except driver_error as error:  # the same exception types as a Core statement would raise
        raise sa.exc.DBAPIError.instance(statement, None, error, driver_error) from error
    finally:
        cursor.close()


def _copy_column(value: object, n: int) -> np.ndarray | list:
    """A column as COPY's CSV reads it: dates as yyyy-mm-dd, timestamps in ISO with their zone."""
    if isinstance(value, datetime):
        return [value.isoformat()] * n
    if not isinstance(value, np.ndarray):
        return [value] * n
    if np.issubdtype(value.dtype, np.datetime64):
        days = value.astype("datetime64[D]")
        text = days.astype(str).astype(object)
        text[np.isnat(days)] = None
        return text
    return value
