"""Read customer exports: CSV (any dialect in circulation, as Excel writes it too), Excel
workbooks, Parquet (one file, or a folder or glob of files read as one data set:
`smartcart.engine.data.datasets`), or an SQL table or query; whole, or in chunks of bounded size.

Columns keep their own types where the source has them (Parquet, SQL, Excel); CSV is read by
pyarrow's reader (`smartcart.engine.data.csv_reader`). A mapping file (`smartcart.engine.data.mapping`) renames
your columns to the contract's as they are read: the frame handed to validation always uses
contract names. The readers share `smartcart.engine.data.sources`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from smartcart.engine.data.csv_reader import CsvReader
from smartcart.engine.data.datasets import DatasetReader, dataset_files, dataset_sha256, is_dataset
from smartcart.engine.data.mapping import DataMapping, read_mapping
from smartcart.engine.data.sources import (
    DEFAULT_CHUNK_ROWS,
    DEFAULT_TABLE,
    SNIFF_BYTES,
    DataSource,
    RawData,
    Reader,
    is_sql_url,
)
from smartcart.engine.data.typed_readers import ExcelReader, ParquetReader, SqlReader
from smartcart.engine.errors import DataError

__all__ = [
    "DEFAULT_CHUNK_ROWS",
    "DataSource",
    "dataset_files",
    "dataset_sha256",
    "is_dataset",
    "RawData",
    "is_sql_url",
    "iter_customers",
    "load_customers",
]

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"
PARQUET_MAGIC = b"PAR1"
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
PARQUET_SUFFIXES = (".parquet", ".pq")


def load_customers(
    source: str | Path | DataSource,
    table: str = DEFAULT_TABLE,
    *,
    query: str | None = None,
    sheet: str | None = None,
    mapping: str | Path | DataMapping | None = None,
    all_columns: bool = False,
) -> RawData:
    """Load customer rows from a file path, an SQLAlchemy URL or a DataSource (whose own
    settings are used). `all_columns` keeps columns the contract does not know."""
    reader = _reader(_as_source(source, table, query, sheet, mapping), all_columns)
    return reader.read()


def iter_customers(
    source: str | Path | DataSource,
    table: str = DEFAULT_TABLE,
    *,
    query: str | None = None,
    sheet: str | None = None,
    mapping: str | Path | DataMapping | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
) -> Iterator[RawData]:
    """The same rows as `load_customers`, in chunks of at most `chunk_rows`; each chunk's
    `first_line` is the file line of its first row, so messages name the right line."""
    if chunk_rows < 1:
        raise ValueError("chunk_rows must be at least 1")
    reader = _reader(_as_source(source, table, query, sheet, mapping), all_columns=False)
    return reader.chunks(chunk_rows)


def _as_source(source, table, query, sheet, mapping) -> DataSource:
    if isinstance(source, DataSource):
        return source
    return DataSource(str(source), table=table, query=query, sheet=sheet, mapping=mapping)


def _reader(source: DataSource, all_columns: bool) -> Reader:
    mapping = source.mapping
    if mapping is not None and not isinstance(mapping, DataMapping):
        mapping = read_mapping(mapping)
    if is_sql_url(source.location):
        return SqlReader(source, mapping, all_columns)
    if is_dataset(source.location):
        return DatasetReader(source, mapping, all_columns)
    path = Path(source.location)
    if not path.exists():
        raise DataError(f"{path}: file not found")
    if path.is_dir():
        raise DataError(f"{path}: is a folder, not a customer file")
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if not head.strip():
        raise DataError(f"{path}: file is empty")
    kind = _file_kind(path, head, source.sheet)
    return kind(path, head, source, mapping, all_columns)


def _file_kind(path: Path, head: bytes, sheet: str | None) -> type[Reader]:
    suffix = path.suffix.lower()
    if head.startswith(ZIP_MAGIC) or suffix in EXCEL_SUFFIXES:
        return ExcelReader
    if head.startswith(OLE_MAGIC) or suffix == ".xls":
        raise DataError(
            f"{path}: an old Excel .xls workbook; save it as .xlsx (Excel workbook) or CSV"
        )
    if head.startswith(PARQUET_MAGIC) or suffix in PARQUET_SUFFIXES:
        return ParquetReader
    if sheet:
        raise DataError(f"{path}: --sheet is for Excel workbooks (.xlsx), not this file")
    return CsvReader
