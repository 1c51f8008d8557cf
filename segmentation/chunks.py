"""Validated customers chunk by chunk, with bounded memory, from CSV, Parquet or a SQL table.

`iter_customer_chunks` is the one place the streaming paths (scoring, the digest) read data.
It reads with what `loading` and `validation` offer today (pandas CSV chunks, Parquet record
batches, SQL result chunks, each validated on its own) and adds what chunking needs: file lines
that keep counting across chunks, IDs repeated across chunks, and one DataError when no chunk
has a usable row. When the loaders gain their own chunk iterator, only this module changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from segmentation import schema
from segmentation.errors import DataError
from segmentation.loading import (
    BINARY_SNIFF_BYTES,
    DELIMITER_NAMES,
    RawData,
    _first_line,
    _safe_url,
    _sniff_delimiter,
    is_sql_url,
)
from segmentation.validation import ValidatedData, validate

DEFAULT_CHUNK_ROWS = 100_000
_ENCODING_SNIFF_BYTES = 1 << 20
_NO_USABLE_ROWS = "no usable customer rows"


def iter_customer_chunks(
    source: str | Path,
    as_of: date,
    *,
    table: str = "customers",
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
) -> Iterator[ValidatedData]:
    """Each chunk validated as the whole source would be: quarantine lines are file lines, an ID
    already seen in an earlier chunk is quarantined, a chunk may have no usable rows, but a source
    with none at all raises a DataError (after the last chunk)."""
    if chunk_rows < 1:
        raise ValueError("chunk_rows must be at least 1")
    seen = SeenIds()
    used, first_reason, label = 0, None, str(source)
    for raw in _raw_chunks(str(source), table, chunk_rows):
        label = raw.source
        data = _validate_chunk(raw, as_of, seen)
        used += len(data.customers)
        if first_reason is None and len(data.quarantine):
            first_reason = data.quarantine.iloc[0]
        yield data
    if not used:
        where = "no rows"
        if first_reason is not None:
            where = f"line {first_reason['line']}: {first_reason['reason']}"
        raise DataError(f"{label}: {_NO_USABLE_ROWS} ({where})")


class SeenIds:
    """IDs of earlier chunks with the line each first appeared on (sorted arrays, 12 bytes an ID)."""

    def __init__(self) -> None:
        self.ids = np.empty(0, dtype="int64")
        self.lines = np.empty(0, dtype="int64")

    def lines_of(self, ids: np.ndarray) -> np.ndarray:
        """The first line of each ID seen before, -1 for new ones."""
        if not len(self.ids):
            return np.full(len(ids), -1, dtype="int64")
        at = np.minimum(np.searchsorted(self.ids, ids), len(self.ids) - 1)
        return np.where(self.ids[at] == ids, self.lines[at], -1)

    def add(self, ids: np.ndarray, lines: np.ndarray) -> None:
        order = np.argsort(ids, kind="stable")
        ids, lines = ids[order], lines[order]
        at = np.searchsorted(self.ids, ids)
        self.ids = np.insert(self.ids, at, ids)
        self.lines = np.insert(self.lines, at, lines)


def _validate_chunk(raw: RawData, as_of: date, seen: SeenIds) -> ValidatedData:
    try:
        data = validate(raw, as_of)
    except DataError as error:
        if _NO_USABLE_ROWS not in str(error):
            raise
        data = _all_quarantined(raw, as_of)
    return _quarantine_seen(data, raw, seen)


def _all_quarantined(raw: RawData, as_of: date) -> ValidatedData:
    """validate() refuses a chunk with no usable row; in a stream that is one chunk's news."""
    probe = raw.frame.copy()
    probe.loc[len(probe)] = _valid_probe_row(probe.columns, as_of)
    data = validate(RawData(probe, raw.source, raw.sha256, raw.dialect, raw.first_line), as_of)
    data.customers = data.customers[data.customers[schema.ID] != _PROBE_ID].reset_index(drop=True)
    data.rows_read = len(raw.frame)
    return data


_PROBE_ID = -987654321


def _valid_probe_row(columns: pd.Index, as_of: date) -> list[str]:
    """A row that passes every check, so validate() returns the chunk's quarantine; dropped after."""
    values = {
        schema.ID: str(_PROBE_ID),
        "Year_Birth": str(as_of.year - 40),
        "Education": "Graduation",
        "Marital_Status": "Single",
        "Income": "50000",
        "Dt_Customer": as_of.isoformat(),
    }
    return [values.get(c, "0") for c in columns]


def _quarantine_seen(data: ValidatedData, raw: RawData, seen: SeenIds) -> ValidatedData:
    """Quarantine customers whose ID an earlier chunk had; remember this chunk's IDs."""
    if data.customers.empty:
        return data
    ids = data.customers[schema.ID].to_numpy(dtype="int64")
    earlier = seen.lines_of(ids)
    repeated = earlier >= 0
    lines = _lines_of_customers(data, raw)
    if repeated.any():
        moved = pd.DataFrame(
            {
                "line": lines[repeated],
                "ID": raw.frame[schema.ID].to_numpy()[_positions(data, raw)][repeated],
                "reason": [
                    f"ID {i} appears again (first on line {first})"
                    for i, first in zip(ids[repeated], earlier[repeated], strict=True)
                ],
            }
        )
        data.quarantine = (
            pd.concat([data.quarantine, moved]).sort_values("line").reset_index(drop=True)
        )
        data.customers = data.customers.loc[~repeated].reset_index(drop=True)
    seen.add(ids[~repeated], lines[~repeated])
    return data


def _positions(data: ValidatedData, raw: RawData) -> np.ndarray:
    """Row positions in the chunk of its usable customers (validate keeps their order)."""
    bad = data.quarantine["line"].to_numpy(dtype="int64") - raw.first_line
    keep = np.ones(len(raw.frame), dtype=bool)
    keep[bad] = False
    return np.flatnonzero(keep)


def _lines_of_customers(data: ValidatedData, raw: RawData) -> np.ndarray:
    return _positions(data, raw) + raw.first_line


# -- reading raw chunks (interim: today's loaders read whole files) --------------------------------


def _raw_chunks(source: str, table: str, chunk_rows: int) -> Iterator[RawData]:
    if is_sql_url(source):
        yield from _sql_chunks(source, table, chunk_rows)
        return
    path = Path(source)
    if not path.exists():
        raise DataError(f"{path}: file not found")
    if path.is_dir():
        raise DataError(f"{path}: is a folder, not a customer file")
    if path.suffix.lower() in (".parquet", ".pq"):
        yield from _parquet_chunks(path, chunk_rows)
    else:
        yield from _csv_chunks(path, chunk_rows)


def _csv_chunks(path: Path, chunk_rows: int) -> Iterator[RawData]:
    with path.open("rb") as handle:
        head = handle.read(_ENCODING_SNIFF_BYTES)
    if not head.strip():
        raise DataError(f"{path}: file is empty")
    if b"\x00" in head[:BINARY_SNIFF_BYTES]:
        raise DataError(f"{path}: not a text file (binary content); expected CSV or Parquet")
    encoding = "utf-8-sig" if _decodes(head, "utf-8") else "latin-1"
    delimiter = _sniff_delimiter(head.decode(encoding, errors="replace").splitlines()[0])
    dialect = f"csv ({DELIMITER_NAMES[delimiter]}-separated)"
    reader = pd.read_csv(
        path,
        sep=delimiter,
        dtype=str,
        keep_default_na=False,
        na_values=[],
        skipinitialspace=True,
        encoding=encoding,
        encoding_errors="replace",
        chunksize=chunk_rows,
    )
    first_line, rows = 2, 0
    try:
        for frame in reader:
            frame.columns = [str(c).strip().lstrip("\ufeff") for c in frame.columns]
            yield RawData(frame.reset_index(drop=True), str(path), "", dialect, first_line)
            first_line += len(frame)
            rows += len(frame)
    except pd.errors.ParserError as error:
        raise DataError(
            f"{path}: cannot be read as delimited text ({_first_line(error)})"
        ) from None
    if not rows:
        raise DataError(f"{path}: has a header but no customer rows")


def _decodes(head: bytes, encoding: str) -> bool:
    try:
        head.decode(encoding)
    except UnicodeDecodeError as error:
        return error.start > len(head) - 4  # a character cut at the sniff's end is fine
    return True


def _parquet_chunks(path: Path, chunk_rows: int) -> Iterator[RawData]:
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except Exception as error:  # pyarrow raises several unrelated types for a bad file
        raise DataError(f"{path}: not a readable Parquet file ({_first_line(error)})") from None
    if parquet.metadata.num_rows == 0:
        raise DataError(f"{path}: has columns but no customer rows")
    first_line = 2
    for batch in parquet.iter_batches(batch_size=chunk_rows):
        frame = _typed_as_text(batch.to_pandas())
        yield RawData(frame, str(path), "", "parquet", first_line)
        first_line += len(frame)


def _sql_chunks(url: str, table: str, chunk_rows: int) -> Iterator[RawData]:
    import sqlalchemy as sa

    label = f"{_safe_url(url)}#{table}"
    try:
        engine = sa.create_engine(url)
        connection = engine.connect().execution_options(stream_results=True)
        frames = pd.read_sql_table(table, connection, chunksize=chunk_rows)
    except ValueError as error:
        raise DataError(f"{_safe_url(url)}: {_first_line(error)}") from None
    except Exception as error:
        raise DataError(
            f"{_safe_url(url)}: cannot read table {table!r} ({_first_line(error)})"
        ) from None
    first_line, rows = 2, 0
    try:
        for frame in frames:
            yield RawData(_typed_as_text(frame), label, "", "sql", first_line)
            first_line += len(frame)
            rows += len(frame)
    finally:
        connection.close()
        engine.dispose()
    if not rows:
        raise DataError(f"{_safe_url(url)}: table {table!r} has no customer rows")


def _typed_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Typed Parquet/SQL columns as the text the validator reads, vectorised (no Python call per
    cell): whole numbers without '.0', dates as yyyy-mm-dd, missing values as ''."""
    out = {}
    for column in frame.columns:
        out[str(column)] = _column_as_text(frame[column])
    return pd.DataFrame(out)


def _column_as_text(values: pd.Series) -> np.ndarray:
    missing = values.isna().to_numpy()
    if pd.api.types.is_datetime64_any_dtype(values):
        text = values.to_numpy().astype("datetime64[D]").astype(str).astype(object)
    elif pd.api.types.is_integer_dtype(values) or pd.api.types.is_bool_dtype(values):
        text = values.to_numpy().astype("int64").astype(str).astype(object)
    elif pd.api.types.is_float_dtype(values):
        numbers = values.to_numpy(dtype=float)
        whole = ~missing & (np.mod(numbers, 1) == 0) & (np.abs(numbers) < 2**53)
        text = numbers.astype(str).astype(object)
        text[whole] = numbers[whole].astype("int64").astype(str)
    else:
        text = values.astype(str).to_numpy(dtype=object)
    text[missing] = ""
    return text
