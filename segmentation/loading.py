"""Read customer exports from CSV (any of the dialects in circulation), Parquet (one file, or a
folder or glob of files read as one data set) or a SQL table.

Everything is read as text first so that validation can name the row and column of a bad value
instead of letting a parser guess or fail halfway.
"""

from __future__ import annotations

import csv
import glob
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from segmentation.errors import DataError

DELIMITERS = ("\t", ",", ";")
DELIMITER_NAMES = {"\t": "tab", ",": "comma", ";": "semicolon"}
BINARY_SNIFF_BYTES = 8192
PARQUET_SUFFIXES = (".parquet", ".pq")


@dataclass
class RawData:
    """Customer rows exactly as read, every cell a string (or None), plus where they came from."""

    frame: pd.DataFrame
    source: str
    sha256: str
    dialect: str
    first_line: int = 2  # file line of the first data row, used to name rows in messages

    def line_of(self, position: int) -> int:
        return self.first_line + position


def is_sql_url(source: str) -> bool:
    return "://" in source and not source.startswith("file://")


def load_customers(source: str | Path, table: str = "customers") -> RawData:
    """Load raw customer rows from a file path or an SQLAlchemy URL."""
    text_source = str(source)
    if is_sql_url(text_source):
        return _load_sql(text_source, table)
    if is_dataset(text_source):
        return _load_parquet_dataset(text_source)
    path = Path(text_source)
    if not path.exists():
        raise DataError(f"{path}: file not found")
    if path.is_dir():
        raise DataError(f"{path}: is a folder, not a customer file")
    if path.suffix.lower() in (".parquet", ".pq"):
        return _load_parquet(path)
    return _load_csv(path)


def _load_csv(path: Path) -> RawData:
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if not data.strip():
        raise DataError(f"{path}: file is empty")
    if b"\x00" in data[:BINARY_SNIFF_BYTES]:
        raise DataError(f"{path}: not a text file (binary content); expected CSV or Parquet")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    header = text.splitlines()[0]
    delimiter = _sniff_delimiter(header)
    frame = _read_delimited(path, text, delimiter)
    frame.columns = [str(c).strip().lstrip("\ufeff") for c in frame.columns]
    if frame.empty:
        raise DataError(f"{path}: has a header but no customer rows")
    return RawData(frame, str(path), digest, f"csv ({DELIMITER_NAMES[delimiter]}-separated)")


def _sniff_delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _read_delimited(path: Path, text: str, delimiter: str) -> pd.DataFrame:
    try:
        return pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            dtype=str,
            keep_default_na=False,
            na_values=[],
            quoting=csv.QUOTE_MINIMAL,
            skipinitialspace=True,
        )
    except pd.errors.ParserError as error:
        raise DataError(
            f"{path}: cannot be read as delimited text ({_first_line(error)})"
        ) from None


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _load_parquet(path: Path) -> RawData:
    data = path.read_bytes()
    if not data:
        raise DataError(f"{path}: file is empty")
    try:
        frame = pd.read_parquet(io.BytesIO(data))
    except Exception as error:  # pyarrow raises several unrelated types for a bad file
        raise DataError(f"{path}: not a readable Parquet file ({_first_line(error)})") from None
    if frame.empty:
        raise DataError(f"{path}: has columns but no customer rows")
    return RawData(_as_text(frame), str(path), hashlib.sha256(data).hexdigest(), "parquet")


def _load_sql(url: str, table: str) -> RawData:
    import sqlalchemy as sa

    try:
        engine = sa.create_engine(url)
        with engine.connect() as connection:
            frame = pd.read_sql_table(table, connection)
    except ValueError as error:
        raise DataError(f"{_safe_url(url)}: {_first_line(error)}") from None
    except Exception as error:
        raise DataError(
            f"{_safe_url(url)}: cannot read table {table!r} ({_first_line(error)})"
        ) from None
    if frame.empty:
        raise DataError(f"{_safe_url(url)}: table {table!r} has no customer rows")
    text = frame.to_csv(index=False).encode()
    return RawData(
        _as_text(frame), f"{_safe_url(url)}#{table}", hashlib.sha256(text).hexdigest(), "sql"
    )


def _safe_url(url: str) -> str:
    """The URL without its password, so it can be shown and logged."""
    import sqlalchemy as sa

    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split("@")[-1]


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Typed columns from Parquet or SQL become text, so one validator serves every source."""
    out = pd.DataFrame(index=frame.index)
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_datetime64_any_dtype(values):
            text = values.dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_float_dtype(values) and (values.dropna() % 1 == 0).all():
            text = values.map(lambda v: "" if pd.isna(v) else str(int(v)))
        else:
            text = values.map(
                lambda v: "" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v)
            )
        out[str(column)] = text.fillna("").astype(object)
    return out.reset_index(drop=True)


def is_dataset(source: str | Path) -> bool:
    """A folder or a glob of Parquet files (as opposed to one file or a SQL URL)."""
    text = str(source)
    return not is_sql_url(text) and (Path(text).is_dir() or any(c in text for c in "*?["))


def dataset_files(source: str | Path) -> list[str]:
    """The Parquet files of a folder (recursively) or a glob, sorted: the data set's row order."""
    text = str(source)
    if Path(text).is_dir():
        found = [str(p) for p in Path(text).rglob("*") if p.suffix.lower() in PARQUET_SUFFIXES]
    else:
        found = [p for p in glob.glob(text, recursive=True) if Path(p).is_file()]
    if not found:
        raise DataError(
            f"{text}: no Parquet files found (expected a folder or a glob of *.parquet)"
        )
    others = [f for f in found if Path(f).suffix.lower() not in PARQUET_SUFFIXES]
    if others:
        raise DataError(f"{others[0]}: a data set is read as Parquet files, and this is not one")
    return sorted(found)


def dataset_sha256(files: list[str]) -> str:
    """One checksum for a data set: sha256 of its files' names and sha256s, in order (streamed)."""
    digest = hashlib.sha256()
    for name in files:
        with open(name, "rb") as handle:
            content = hashlib.file_digest(handle, "sha256").hexdigest()
        digest.update(f"{Path(name).name}:{content}\n".encode())
    return digest.hexdigest()


def _load_parquet_dataset(source: str) -> RawData:
    """Every file of a folder or glob, one after the other (rows numbered across the data set)."""
    files = dataset_files(source)
    frames = [_load_parquet(Path(name)).frame for name in files]
    frame = pd.concat(frames, ignore_index=True)
    return RawData(frame, source, dataset_sha256(files), f"parquet data set ({len(files)} files)")
