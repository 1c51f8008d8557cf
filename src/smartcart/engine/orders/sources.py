"""Where order lines come from, as DuckDB sees them: a CSV file, a Parquet file, a folder or
glob of Parquet files (read as one, files in name order), a pandas DataFrame in memory, or a
database query (`SqlOrders`: its rows streamed into a DuckDB table a block at a time, as text
like a CSV's, in the query's order).

DuckDB reads the files itself, in a streaming scan, so memory does not grow with the file.
Every row gets its line: the file line a spreadsheet would show, counting the header as line 1
(data row n is line n + 1; a Parquet data set numbers its rows across the files, in order).
"""

from __future__ import annotations

import csv
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from smartcart.engine.errors import DataError
from smartcart.engine.files import PARQUET_SUFFIXES, dataset_files, unique_names

PARQUET_MAGIC = b"PAR1"
DELIMITERS = ("\t", ",", ";")
SNIFF_BYTES = 65536
FRAME_VIEW = "orders_frame"
LINE = "__line"
NUMBERING = f"row_number() OVER () + 1 AS {LINE}"
SQL_TABLE = "sql_order_lines"
SQL_BLOCK_ROWS = 100_000
SQL_HEADER_ROWS = 100  # enough rows to see the columns


@dataclass
class OrderSource:
    """A source opened on a DuckDB connection: `relation` is a FROM clause giving its rows,
    with their line in column `__line`; `columns` and `types` are the file's own."""

    location: str
    relation: str
    columns: list[str]
    types: dict[str, str] = field(default_factory=dict)
    dialect: str = ""
    plain: str = ""  # the same rows, `__line` NULL: no serial numbering step

    def __post_init__(self) -> None:
        if not self.plain:
            self.plain = self.relation.replace(NUMBERING, f"CAST(NULL AS BIGINT) AS {LINE}", 1)


@dataclass(frozen=True)
class SqlOrders:
    """Order lines in a database: a SQLAlchemy URL and the query that gives them; `label`
    names them in messages (the URL without its password)."""

    url: str
    query: str
    label: str


def connect(memory_limit: str = "1GB", threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection that spills to a temporary folder past `memory_limit`."""
    config = {
        "memory_limit": memory_limit,
        # DuckDB makes the folder when it spills, and removes it on close
        "temp_directory": str(Path(tempfile.gettempdir()) / f"smartcart-orders-{uuid.uuid4().hex}"),
        "preserve_insertion_order": "true",  # the line numbers follow the file's order
    }
    if threads:
        config["threads"] = str(threads)
    con = duckdb.connect(config=config)
    con.execute("SET enable_progress_bar = false")
    return con


def open_source(
    con: duckdb.DuckDBPyConnection,
    source: str | Path | pd.DataFrame | SqlOrders,
    header_only: bool = False,
) -> OrderSource:
    """Open a file, a Parquet folder or glob, a DataFrame or a query on `con`; DataError if it
    can't be. `header_only`: a query's first block is enough (its columns are wanted)."""
    if isinstance(source, pd.DataFrame):
        return _frame(con, source)
    if isinstance(source, SqlOrders):
        return _sql(con, source, header_only)
    text = str(source)
    if Path(text).is_dir() or any(c in text for c in "*?["):
        return _dataset(con, text)
    path = Path(text)
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if not head.strip():
        raise DataError(f"{path}: file is empty")
    if head.startswith(PARQUET_MAGIC) or path.suffix.lower() in PARQUET_SUFFIXES:
        return _parquet(con, text, [text], "parquet")
    return _csv(con, path, head)


def sql_text(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def quoted(name: str) -> str:
    """A SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def _numbered(inner: str) -> str:
    return f"(SELECT {NUMBERING}, * FROM {inner})"


def _frame(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> OrderSource:
    frame = frame.rename(columns=lambda c: str(c).strip())
    con.register(FRAME_VIEW, frame)
    return _described(con, "DataFrame", FRAME_VIEW, "DataFrame")


def _sql(con: duckdb.DuckDBPyConnection, source: SqlOrders, header_only: bool) -> OrderSource:
    import sqlalchemy as sa

    if missing_sqlite_file(source.url):  # connecting would make an empty database there
        raise DataError(f"{source.label}: cannot be read (no such database file)")
    engine, blocks = None, 0
    try:
        engine = sa.create_engine(source.url)
        with engine.connect() as connection:
            streamed = connection.execution_options(stream_results=True)
            rows = SQL_HEADER_ROWS if header_only else SQL_BLOCK_ROWS
            for frame in pd.read_sql_query(sa.text(source.query), streamed, chunksize=rows):
                _append_block(con, frame, first=blocks == 0)
                blocks += 1
                if header_only:
                    break
    except Exception as error:
        raise DataError(f"{source.label}: cannot be read ({_first_line(error)})") from None
    finally:
        if engine is not None:
            engine.dispose()
    if not blocks:
        raise DataError(f"{source.label}: the query gives no order lines")
    return _described(con, source.label, SQL_TABLE, "sql")


def missing_sqlite_file(url: str) -> bool:
    """Whether `url` names a SQLite database file that does not exist (SQLite would make it)."""
    import sqlalchemy as sa

    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError:
        return False  # not a URL SQLAlchemy reads: connecting says so
    named = parsed.database not in (None, "", ":memory:")
    return parsed.get_backend_name() == "sqlite" and named and not Path(parsed.database).exists()


def _append_block(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, first: bool) -> None:
    """A block of rows into the table, every value as text (read as a CSV's values are)."""
    names = unique_names([str(c).strip() for c in frame.columns])
    block = frame.set_axis(names, axis=1).astype("string")
    con.register("sql_block", block)
    if first:
        con.execute(f"CREATE TEMP TABLE {SQL_TABLE} AS SELECT * FROM sql_block")
    else:
        con.execute(f"INSERT INTO {SQL_TABLE} BY NAME SELECT * FROM sql_block")
    con.unregister("sql_block")


def _dataset(con: duckdb.DuckDBPyConnection, text: str) -> OrderSource:
    found = dataset_files(text)
    return _parquet(con, text, found, f"parquet data set ({len(found)} files)")


def _parquet(con, location: str, files: list[str], dialect: str) -> OrderSource:
    listed = "[" + ", ".join(sql_text(f) for f in files) + "]"
    inner = f"read_parquet({listed}, union_by_name = true)"
    return _described(con, location, inner, dialect)


def _csv(con: duckdb.DuckDBPyConnection, path: Path, head: bytes) -> OrderSource:
    encoding = _encoding(head)
    header = head.decode(encoding, errors="ignore").lstrip("\ufeff").splitlines()
    first = header[0] if header else ""
    counts = {d: first.count(d) for d in DELIMITERS}
    delimiter = max(counts, key=counts.get) if any(counts.values()) else ","
    names = unique_names(
        [c.strip().lstrip("\ufeff").strip() for c in next(csv.reader([first], delimiter=delimiter))]
    )
    listed = "{" + ", ".join(f"{sql_text(n)}: 'VARCHAR'" for n in names) + "}"
    duck_encoding = {"utf-8": "utf-8", "utf-16": "utf-16"}.get(encoding, "latin-1")
    inner = (
        f"read_csv({sql_text(str(path))}, header = true, "
        f"delim = {sql_text(delimiter)}, quote = '\"', escape = '\"', columns = {listed}, "
        f"encoding = {sql_text(duck_encoding)}, auto_detect = false, "
        "null_padding = true, strict_mode = false)"
    )
    types = dict.fromkeys(names, "VARCHAR")
    return OrderSource(str(path), _numbered(inner), names, types, "csv")


def _described(con, location: str, inner: str, dialect: str) -> OrderSource:
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM {inner}").fetchall()
    except duckdb.Error as error:
        raise DataError(f"{location}: cannot be read ({_first_line(error)})") from None
    types = {str(row[0]): str(row[1]) for row in described}
    return OrderSource(location, _numbered(inner), list(types), types, dialect)


def _encoding(head: bytes) -> str:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 4:  # not just a character cut by the sniffed block
            return "latin-1"
    return "utf-8"


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
