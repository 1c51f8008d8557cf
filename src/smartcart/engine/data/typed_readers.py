"""Sources that keep their own column types: Parquet, Excel workbooks, SQL tables and
queries. Validation checks each column in its type (no text round trip)."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from smartcart.engine.data.sources import (
    CONTRACT_COLUMNS,
    DataSource,
    RawData,
    Reader,
    clean_name,
    file_sha256,
    first_error_line,
    safe_url,
)
from smartcart.engine.errors import DataError
from smartcart.engine.files import unique_names


class ParquetReader(Reader):
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
            # Without pre-buffering: pre-buffered column ranges stay cached for the file's
            # lifetime, so reading a 10M-row file chunk by chunk grew by ~200 MB (and was slower).
            return pq.ParquetFile(self.path, pre_buffer=False)
        except Exception as error:  # pyarrow raises several unrelated types for a bad file
            raise DataError(
                f"{self.path}: not a readable Parquet file ({first_error_line(error)})"
            ) from None

    def _columns(self, parquet) -> tuple[list[str], list[str]]:
        names = [str(n) for n in parquet.schema_arrow.names]
        renames, shadowed = self._renames([clean_name(n) for n in names])
        keep = [
            n
            for n in names
            if clean_name(n) not in shadowed
            and (self.all_columns or renames.get(clean_name(n), clean_name(n)) in CONTRACT_COLUMNS)
        ]
        return names, keep

    def read(self) -> RawData:
        parquet = self._file()
        names, keep = self._columns(parquet)
        try:
            frame = parquet.read(columns=keep).to_pandas()
        except Exception as error:
            raise DataError(
                f"{self.path}: not a readable Parquet file ({first_error_line(error)})"
            ) from None
        if frame.empty:
            raise DataError(f"{self.path}: has columns but no customer rows")
        frame, _ = self._contract_frame(frame, self.all_columns)
        return self._raw(frame, file_sha256(self.path), 2, names, [])

    def chunks(self, chunk_rows: int) -> Iterator[RawData]:
        parquet = self._file()
        names, keep = self._columns(parquet)
        sha256, line = file_sha256(self.path), 2
        for batch in parquet.iter_batches(batch_size=chunk_rows, columns=keep):
            frame, _ = self._contract_frame(batch.to_pandas(), all_columns=False)
            yield self._raw(frame, sha256, line, names, [])
            line += batch.num_rows
        if line == 2:
            raise DataError(f"{self.path}: has columns but no customer rows")


class ExcelReader(Reader):
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
                f"{self.path}: not a readable Excel workbook ({first_error_line(error)})"
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
        return self._raw(frame, file_sha256(self.path), 2, file_columns, [])

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
    names = [clean_name("" if v is None else v) for v in header]
    return unique_names([n or f"column {i + 1}" for i, n in enumerate(names)])


class SqlReader(Reader):
    dialect = "sql"

    def __init__(self, source: DataSource, mapping, all_columns: bool):
        self.url, self.table, self.query = source.location, source.table, source.query
        self.mapping, self.all_columns = mapping, all_columns
        what = "query" if self.query else f"table {self.table!r}"
        self.what = what
        self.source = f"{safe_url(self.url)}#{'query' if self.query else self.table}"

    @contextlib.contextmanager
    def _frames(self, chunksize: int | None) -> Iterator:
        """The table's or query's rows: one frame, or frames of `chunksize` rows read from a
        server-side cursor. Any failure, in here or in the block, becomes one DataError naming
        the source; the engine is disposed either way."""
        import sqlalchemy as sa

        engine = None
        try:
            engine = sa.create_engine(self.url)
            with engine.connect() as connection:
                if chunksize:  # rows come as they are read, not all at once
                    connection = connection.execution_options(stream_results=True)
                if self.query:
                    yield pd.read_sql_query(sa.text(self.query), connection, chunksize=chunksize)
                else:
                    yield pd.read_sql_table(self.table, connection, chunksize=chunksize)
        except DataError:
            raise
        except Exception as error:
            raise self._failed(error) from None
        finally:
            if engine is not None:
                engine.dispose()

    def _failed(self, error: Exception) -> DataError:
        if isinstance(error, ValueError):
            return DataError(f"{safe_url(self.url)}: {first_error_line(error)}")
        return DataError(
            f"{safe_url(self.url)}: cannot read {self.what} ({first_error_line(error)})"
        )

    def read(self) -> RawData:
        with self._frames(None) as frame:
            pass
        if frame.empty:
            raise DataError(f"{safe_url(self.url)}: {self.what} has no customer rows")
        sha256 = _frame_sha256(frame)
        frame, file_columns = self._contract_frame(frame, self.all_columns)
        return self._raw(frame, sha256, 2, file_columns, [])

    def chunks(self, chunk_rows: int) -> Iterator[RawData]:
        # Rows not read yet cannot be fingerprinted: chunks carry the source's instead.
        sha256, line = hashlib.sha256(self.source.encode()).hexdigest(), 2
        with self._frames(chunk_rows) as frames:
            for part in frames:
                frame, file_columns = self._contract_frame(part, all_columns=False)
                yield self._raw(frame.reset_index(drop=True), sha256, line, file_columns, [])
                line += len(part)
        if line == 2:
            raise DataError(f"{safe_url(self.url)}: {self.what} has no customer rows")


def _frame_sha256(frame: pd.DataFrame) -> str:
    """A fingerprint of the rows read (vectorised; SQL has no file bytes to hash)."""
    digest = hashlib.sha256(",".join(map(str, frame.columns)).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()
