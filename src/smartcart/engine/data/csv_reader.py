"""CSV as it circulates: tab, comma or semicolon; CRLF; UTF-8 with or without BOM, UTF-16
(Excel's "Unicode Text") or cp1252 (Excel's CSV on Windows), detected from the content.

pyarrow's reader reads every column as text; each column is then cast to numbers in one
vectorised step when every value allows it, else it stays text for validation to name the bad
values. Read whole (threads) or streamed in chunks."""

from __future__ import annotations

import codecs
import contextlib
import csv
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from smartcart.engine.data.sources import (
    CONTRACT_COLUMNS,
    HASH_BLOCK_BYTES,
    TEXT_COLUMNS,
    DataSource,
    RawData,
    Reader,
    clean_name,
    file_sha256,
    first_error_line,
)
from smartcart.engine.errors import DataError
from smartcart.engine.files import unique_names

DELIMITERS = ("\t", ",", ";")
DELIMITER_NAMES = {"\t": "tab", ",": "comma", ";": "semicolon"}
CHUNK_BLOCK_BYTES = 1 << 20


class CsvReader(Reader):
    def __init__(self, path: Path, head: bytes, source: DataSource, mapping, all_columns: bool):
        self.path, self.source, self.mapping = path, str(path), mapping
        self.encoding, self.sha256 = _encoding(path, head)
        header = _first_line(head, self.encoding)
        self.delimiter = _sniff_delimiter(header)
        self.names = unique_names(_header_names(header, self.delimiter))
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
        reason = self.ragged or first_error_line(error)
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


def _encoding(path: Path, head: bytes) -> tuple[str, str]:
    """(encoding, sha256 of the file): UTF-16 (Excel's "Unicode Text", with its BOM), UTF-8,
    else cp1252 (Excel's CSV on Windows); binary content is refused. One pass over the file."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", file_sha256(path)
    if _looks_like_utf16le(head):
        return "utf-16-le", file_sha256(path)
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
    return [clean_name(f) for f in fields]
