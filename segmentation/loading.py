"""Read customer exports: CSV (any dialect in circulation, as Excel writes it too), Excel
workbooks, Parquet, or an SQL table or query; whole, or in chunks of bounded size.

Columns keep their own types where the source has them (Parquet, SQL, Excel); CSV is read by
pyarrow's reader as text and each column is cast to numbers in one vectorised step when every
value allows it. A column that does not cast stays text, so validation can name the row and
column of each bad value instead of a parser guessing or failing halfway.

A mapping file (see `segmentation.mapping`) renames your columns to the contract's as they are
read; the frame handed to validation always uses contract names.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from segmentation import schema
from segmentation.errors import DataError
from segmentation.mapping import DATE_COLUMNS, DataMapping, read_mapping

DELIMITERS = ("\t", ",", ";")
DELIMITER_NAMES = {"\t": "tab", ",": "comma", ";": "semicolon"}
SNIFF_BYTES = 65536
HASH_BLOCK_BYTES = 1 << 24
DEFAULT_CHUNK_ROWS = 100_000
CHUNK_BLOCK_BYTES = 1 << 20
# Columns read as text whatever they hold: categories (values are mapped as text) and dates.
TEXT_COLUMNS = frozenset([*schema.CATEGORY_COLUMNS, *DATE_COLUMNS])
CONTRACT_COLUMNS = frozenset(schema.ALL_COLUMNS)

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"
PARQUET_MAGIC = b"PAR1"
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
PARQUET_SUFFIXES = (".parquet", ".pq")


@dataclass
class RawData:
    """Customer rows as read, under contract column names, plus where they came from."""

    frame: pd.DataFrame
    source: str
    sha256: str
    dialect: str
    first_line: int = 2  # file line of the first data row, used to name rows in messages
    mapping: DataMapping | None = None
    file_columns: list[str] = field(default_factory=list)  # the columns as the file names them
    notes: list[str] = field(default_factory=list)

    def line_of(self, position: int) -> int:
        return self.first_line + position

    def label(self, column: str) -> str:
        """The column's name in the user's file (quarantine reasons use it)."""
        return self.mapping.label(column) if self.mapping else column


@dataclass(frozen=True)
class DataSource:
    """Where customers come from and how to read them; `str()` is safe to show and log."""

    location: str
    table: str = "customers"
    query: str | None = None
    sheet: str | None = None
    mapping: str | Path | DataMapping | None = None

    def __str__(self) -> str:
        return _safe_url(self.location) if is_sql_url(self.location) else self.location


def is_sql_url(source: str) -> bool:
    return "://" in source and not source.startswith("file://")


def load_customers(
    source: str | Path | DataSource,
    table: str = "customers",
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
    table: str = "customers",
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


def _reader(source: DataSource, all_columns: bool) -> _Reader:
    mapping = source.mapping
    if mapping is not None and not isinstance(mapping, DataMapping):
        mapping = read_mapping(mapping)
    if is_sql_url(source.location):
        return _SqlReader(source, mapping, all_columns)
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


def _file_kind(path: Path, head: bytes, sheet: str | None) -> type[_Reader]:
    suffix = path.suffix.lower()
    if head.startswith(ZIP_MAGIC) or suffix in EXCEL_SUFFIXES:
        return _ExcelReader
    if head.startswith(OLE_MAGIC) or suffix == ".xls":
        raise DataError(
            f"{path}: an old Excel .xls workbook; save it as .xlsx (Excel workbook) or CSV"
        )
    if head.startswith(PARQUET_MAGIC) or suffix in PARQUET_SUFFIXES:
        return _ParquetReader
    if sheet:
        raise DataError(f"{path}: --sheet is for Excel workbooks (.xlsx), not this file")
    return _CsvReader


# -- readers ------------------------------------------------------------------------------------


class _Reader:
    source: str
    dialect: str
    mapping: DataMapping | None

    def read(self) -> RawData:
        raise NotImplementedError

    def chunks(self, chunk_rows: int) -> Iterator[RawData]:
        """Read whole, handed out in chunks (Excel: a sheet holds at most about 1M rows)."""
        raw = self.read()
        for start in range(0, len(raw.frame), chunk_rows):
            part = raw.frame.iloc[start : start + chunk_rows].reset_index(drop=True)
            yield self._raw(part, raw.sha256, raw.first_line + start, raw.file_columns, raw.notes)

    def _raw(self, frame, sha256, first_line, file_columns, notes) -> RawData:
        return RawData(
            frame, self.source, sha256, self.dialect, first_line, self.mapping, file_columns, notes
        )

    def _contract_frame(self, frame: pd.DataFrame, all_columns: bool) -> tuple[pd.DataFrame, list]:
        """Rename your columns to contract names; drop what the contract does not know."""
        frame.columns = [_clean_name(c) for c in frame.columns]
        file_columns = list(frame.columns)
        renames, shadowed = self._renames(file_columns)
        frame = frame.drop(columns=shadowed).rename(columns=renames)
        if not all_columns:
            frame = frame[[c for c in frame.columns if c in CONTRACT_COLUMNS]]
        return frame, file_columns

    def _renames(self, file_columns: list[str]) -> tuple[dict[str, str], list[str]]:
        if self.mapping is None:
            return {}, []
        return self.mapping.renames(file_columns, self.source)


def _clean_name(name: object) -> str:
    return str(name).strip().lstrip("\ufeff").strip()


class _CsvReader(_Reader):
    def __init__(self, path: Path, head: bytes, source: DataSource, mapping, all_columns: bool):
        self.path, self.source, self.mapping = path, str(path), mapping
        self.encoding, self.sha256 = _encoding(path, head)
        header = _first_line(head, self.encoding)
        self.delimiter = _sniff_delimiter(header)
        self.names = _unique(_header_names(header, self.delimiter))
        renames, shadowed = self._renames(self.names)
        contract = [renames.get(n, n) for n in self.names]
        keep = [
            name
            for name, as_contract in zip(self.names, contract, strict=True)
            if (all_columns or as_contract in CONTRACT_COLUMNS) and name not in shadowed
        ]
        self.columns = keep
        self.renames = renames
        self.text_columns = {n for n in self.columns if renames.get(n, n) in TEXT_COLUMNS}
        label = "UTF-8" if self.encoding in ("utf-8", "utf-8-sig") else self.encoding
        extra = "" if label == "UTF-8" else f", {label}"
        self.dialect = f"csv ({DELIMITER_NAMES[self.delimiter]}-separated{extra})"

    def _options(self, use_threads: bool) -> dict:
        """Every column is read as text and cast afterwards (see `_frame`): types pyarrow
        would infer from a first block may not hold for the next, and casting whole columns
        is as fast as inferring."""
        encoding = "utf8" if self.encoding in ("utf-8", "utf-8-sig") else self.encoding
        return {
            "read_options": pa_csv.ReadOptions(
                column_names=self.names,
                skip_rows=1,
                encoding=encoding,
                use_threads=use_threads,
                block_size=1 << 22,
            ),
            "parse_options": pa_csv.ParseOptions(
                delimiter=self.delimiter, invalid_row_handler=self._ragged_row
            ),
            "convert_options": pa_csv.ConvertOptions(
                column_types=dict.fromkeys(self.columns, pa.string()),
                include_columns=self.columns,
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        }

    def _ragged_row(self, row) -> str:
        where = f"line {row.number}" if row.number is not None else "a row"
        self.ragged = (
            f"{where} has {row.actual_columns} fields where the header has {row.expected_columns}"
        )
        return "error"

    def read(self) -> RawData:
        self.ragged = None
        try:
            table = pa_csv.read_csv(self.path, **self._options(use_threads=True))
        except (pa.ArrowInvalid, UnicodeDecodeError) as error:
            if self.ragged and self.ragged.startswith("a row"):  # read again to find its line
                with contextlib.suppress(pa.ArrowInvalid, UnicodeDecodeError):
                    pa_csv.read_csv(self.path, **self._options(use_threads=False))
            raise self._unreadable(error) from None
        if table.num_rows == 0:
            raise DataError(f"{self.path}: has a header but no customer rows")
        return self._raw(self._frame(table), self.sha256, 2, list(self.names), [])

    def chunks(self, chunk_rows: int) -> Iterator[RawData]:
        self.ragged = None
        sha256 = self.sha256
        options = self._options(use_threads=False)
        options[
            "read_options"
        ].block_size = CHUNK_BLOCK_BYTES  # the reader reads ahead: keep blocks small
        try:
            reader = pa_csv.open_csv(self.path, **options)
            pending: list[pa.RecordBatch] = []
            pending_rows, line = 0, 2
            for batch in reader:
                pending.append(batch)
                pending_rows += batch.num_rows
                while pending_rows >= chunk_rows:
                    table = pa.Table.from_batches(pending)
                    head, rest = table.slice(0, chunk_rows), table.slice(chunk_rows)
                    yield self._raw(self._frame(head), sha256, line, list(self.names), [])
                    line += chunk_rows
                    pending, pending_rows = rest.to_batches(), rest.num_rows
            if pending_rows:
                table = pa.Table.from_batches(pending)
                yield self._raw(self._frame(table), sha256, line, list(self.names), [])
            elif line == 2:
                raise DataError(f"{self.path}: has a header but no customer rows")
        except (pa.ArrowInvalid, UnicodeDecodeError) as error:
            raise self._unreadable(error) from None

    def _unreadable(self, error: Exception) -> DataError:
        reason = self.ragged or _first_error_line(error)
        return DataError(f"{self.path}: cannot be read as delimited text ({reason})")

    def _frame(self, table: pa.Table) -> pd.DataFrame:
        columns = {}
        for name in table.column_names:
            column = table.column(name)
            is_text = pa.types.is_string(column.type)
            columns[name] = (
                _as_number(column) if is_text and name not in self.text_columns else column
            )
        frame = pa.table(columns).to_pandas(types_mapper=_pandas_type, split_blocks=True)
        return frame.rename(columns=self.renames)


# pandas' own text dtype (Arrow-backed `str` from pandas 3): text columns convert without
# building a Python string per cell.
TEXT_DTYPE = pd.Series(["x"]).dtype


def _pandas_type(arrow_type: pa.DataType):
    if pa.types.is_string(arrow_type) and isinstance(TEXT_DTYPE, pd.api.extensions.ExtensionDtype):
        return TEXT_DTYPE
    return None


def _as_number(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """The column as int64 or float64 when every value casts; else the text as it is."""
    for target in (pa.int64(), pa.float64()):
        try:
            return pc.cast(column, target)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
    return column


def _unique(names: list[str]) -> list[str]:
    """Repeated header names get `.1`, `.2`... (as pandas names them)."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        count = seen.get(name, 0)
        seen[name] = count + 1
        out.append(name if count == 0 else f"{name}.{count}")
    return out


def _encoding(path: Path, head: bytes) -> tuple[str, str]:
    """(encoding, sha256 of the file): UTF-16 (Excel's "Unicode Text", with its BOM), UTF-8,
    else cp1252 (Excel's CSV on Windows); binary content is refused. One pass over the file."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", _file_sha256(path)
    if _looks_like_utf16le(head):
        return "utf-16-le", _file_sha256(path)
    if b"\x00" in head:
        raise DataError(f"{path}: not a text file (binary content); expected CSV, Excel or Parquet")
    digest, decoder, utf8 = hashlib.sha256(), codecs.getincrementaldecoder("utf-8")(), True
    with path.open("rb") as handle:
        while block := handle.read(HASH_BLOCK_BYTES):
            digest.update(block)
            if utf8:
                try:
                    decoder.decode(block)
                except UnicodeDecodeError:
                    utf8 = False
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    if not utf8:
        return ("cp1252" if _decodes(path, "cp1252") else "latin-1"), digest.hexdigest()
    return ("utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"), digest.hexdigest()


def _looks_like_utf16le(head: bytes) -> bool:
    sample = head[: len(head) // 2 * 2][:4096]
    return len(sample) >= 8 and not any(sample[1::2]) and all(sample[0::2][:4])


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with path.open("rb") as handle:
            while block := handle.read(HASH_BLOCK_BYTES):
                decoder.decode(block)
    except UnicodeDecodeError:
        return False
    return True


def _first_line(head: bytes, encoding: str) -> str:
    text = head.decode(encoding, errors="ignore").lstrip("\ufeff")
    return text.splitlines()[0] if text.splitlines() else ""


def _sniff_delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _header_names(header: str, delimiter: str) -> list[str]:
    fields = next(csv.reader([header], delimiter=delimiter), [])
    return [_clean_name(f) for f in fields]


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(HASH_BLOCK_BYTES):
            digest.update(block)
    return digest.hexdigest()


def _first_error_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


class _ParquetReader(_Reader):
    dialect = "parquet"

    def __init__(self, path: Path, head: bytes, source: DataSource, mapping, all_columns: bool):
        self.path, self.source, self.mapping, self.all_columns = (
            path,
            str(path),
            mapping,
            all_columns,
        )

    def _file(self):
        import pyarrow.parquet as pq

        try:
            return pq.ParquetFile(self.path)
        except Exception as error:  # pyarrow raises several unrelated types for a bad file
            raise DataError(
                f"{self.path}: not a readable Parquet file ({_first_error_line(error)})"
            ) from None

    def _columns(self, parquet) -> tuple[list[str], list[str]]:
        names = [str(n) for n in parquet.schema_arrow.names]
        renames, shadowed = self._renames([_clean_name(n) for n in names])
        keep = [
            n
            for n in names
            if _clean_name(n) not in shadowed
            and (
                self.all_columns or renames.get(_clean_name(n), _clean_name(n)) in CONTRACT_COLUMNS
            )
        ]
        return names, keep

    def read(self) -> RawData:
        parquet = self._file()
        names, keep = self._columns(parquet)
        try:
            frame = parquet.read(columns=keep).to_pandas()
        except Exception as error:
            raise DataError(
                f"{self.path}: not a readable Parquet file ({_first_error_line(error)})"
            ) from None
        if frame.empty:
            raise DataError(f"{self.path}: has columns but no customer rows")
        frame, _ = self._contract_frame(frame, self.all_columns)
        return self._raw(frame, _file_sha256(self.path), 2, names, [])

    def chunks(self, chunk_rows: int) -> Iterator[RawData]:
        parquet = self._file()
        names, keep = self._columns(parquet)
        sha256, line = _file_sha256(self.path), 2
        for batch in parquet.iter_batches(batch_size=chunk_rows, columns=keep):
            frame, _ = self._contract_frame(batch.to_pandas(), all_columns=False)
            yield self._raw(frame, sha256, line, names, [])
            line += batch.num_rows
        if line == 2:
            raise DataError(f"{self.path}: has columns but no customer rows")


class _ExcelReader(_Reader):
    def __init__(self, path: Path, head: bytes, source: DataSource, mapping, all_columns: bool):
        self.path, self.source, self.mapping = path, str(path), mapping
        self.sheet, self.all_columns = source.sheet, all_columns
        self.dialect = "Excel workbook"

    def read(self) -> RawData:
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(self.path, read_only=True, data_only=True)
        except Exception as error:
            raise DataError(
                f"{self.path}: not a readable Excel workbook ({_first_error_line(error)})"
            ) from None
        try:
            sheet = self._sheet(workbook)
            rows = sheet.iter_rows(values_only=True)
            header = next(rows, None)
            if header is None or not any(v is not None for v in header):
                raise DataError(f"{self.path}: sheet {sheet.title!r} is empty")
            frame = pd.DataFrame.from_records(list(rows), columns=_excel_names(header))
        finally:
            workbook.close()
        frame = frame.dropna(how="all")
        if frame.empty:
            raise DataError(f"{self.path}: sheet {sheet.title!r} has a header but no customer rows")
        frame = frame.infer_objects()
        frame, file_columns = self._contract_frame(frame.reset_index(drop=True), self.all_columns)
        self.dialect = f"Excel workbook (sheet {sheet.title!r})"
        return self._raw(frame, _file_sha256(self.path), 2, file_columns, [])

    def _sheet(self, workbook):
        if self.sheet is None:
            return workbook.worksheets[0]
        if self.sheet not in workbook.sheetnames:
            raise DataError(
                f"{self.path}: no sheet named {self.sheet!r} "
                f"(sheets: {', '.join(workbook.sheetnames)})"
            )
        return workbook[self.sheet]


def _excel_names(header: tuple) -> list[str]:
    names = [_clean_name("" if v is None else v) for v in header]
    return _unique([n or f"column {i + 1}" for i, n in enumerate(names)])


class _SqlReader(_Reader):
    dialect = "sql"

    def __init__(self, source: DataSource, mapping, all_columns: bool):
        self.url, self.table, self.query = source.location, source.table, source.query
        self.mapping, self.all_columns = mapping, all_columns
        what = "query" if self.query else f"table {self.table!r}"
        self.what = what
        self.source = f"{_safe_url(self.url)}#{'query' if self.query else self.table}"

    def _read(self, chunksize: int | None):
        import sqlalchemy as sa

        engine = sa.create_engine(self.url)
        connection = engine.connect()
        if chunksize:  # a server-side cursor: rows come as they are read, not all at once
            connection = connection.execution_options(stream_results=True)
        if self.query:
            frames = pd.read_sql_query(sa.text(self.query), connection, chunksize=chunksize)
        else:
            frames = pd.read_sql_table(self.table, connection, chunksize=chunksize)
        return engine, connection, frames

    def _failed(self, error: Exception) -> DataError:
        if isinstance(error, ValueError):
            return DataError(f"{_safe_url(self.url)}: {_first_error_line(error)}")
        return DataError(
            f"{_safe_url(self.url)}: cannot read {self.what} ({_first_error_line(error)})"
        )

    def read(self) -> RawData:
        engine = None
        try:
            engine, connection, frame = self._read(None)
            connection.close()
        except DataError:
            raise
        except Exception as error:
            raise self._failed(error) from None
        finally:
            if engine is not None:
                engine.dispose()
        if frame.empty:
            raise DataError(f"{_safe_url(self.url)}: {self.what} has no customer rows")
        sha256 = _frame_sha256(frame)
        frame, file_columns = self._contract_frame(frame, self.all_columns)
        return self._raw(frame, sha256, 2, file_columns, [])

    def chunks(self, chunk_rows: int) -> Iterator[RawData]:
        engine = None
        try:
            engine, connection, frames = self._read(chunk_rows)
            # Rows not read yet cannot be fingerprinted: chunks carry the source's instead.
            sha256 = hashlib.sha256(self.source.encode()).hexdigest()
            line = 2
            for part in frames:
                frame, file_columns = self._contract_frame(part, all_columns=False)
                yield self._raw(frame.reset_index(drop=True), sha256, line, file_columns, [])
                line += len(part)
            connection.close()
        except DataError:
            raise
        except Exception as error:
            raise self._failed(error) from None
        finally:
            if engine is not None:
                engine.dispose()
        if line == 2:
            raise DataError(f"{_safe_url(self.url)}: {self.what} has no customer rows")


def _frame_sha256(frame: pd.DataFrame) -> str:
    """A fingerprint of the rows read (vectorised; SQL has no file bytes to hash)."""
    digest = hashlib.sha256(",".join(map(str, frame.columns)).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def _safe_url(url: str) -> str:
    """The URL without its password, so it can be shown and logged."""
    import sqlalchemy as sa

    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split("@")[-1]
