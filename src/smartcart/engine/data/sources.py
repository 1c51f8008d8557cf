"""What every customer reader shares: the rows read (`RawData`), where they come from
(`DataSource`), and the reader base that renames your columns to the contract's."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from smartcart.engine.data import schema
from smartcart.engine.data.mapping import DATE_COLUMNS, DataMapping

SNIFF_BYTES = 65536
HASH_BLOCK_BYTES = 1 << 24
DEFAULT_CHUNK_ROWS = 100_000
# The table read when the data is a SQL URL and no table or query is named.
DEFAULT_TABLE = "customers"
# Columns read as text whatever they hold: categories (values are mapped as text) and dates.
TEXT_COLUMNS = frozenset([*schema.CATEGORY_COLUMNS, *DATE_COLUMNS])
CONTRACT_COLUMNS = frozenset(schema.ALL_COLUMNS)


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
    table: str = DEFAULT_TABLE
    query: str | None = None
    sheet: str | None = None
    mapping: str | Path | DataMapping | None = None

    def __str__(self) -> str:
        return safe_url(self.location) if is_sql_url(self.location) else self.location


def is_sql_url(source: str) -> bool:
    return "://" in source and not source.startswith("file://")


class Reader:
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
        frame.columns = [clean_name(c) for c in frame.columns]
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


def clean_name(name: object) -> str:
    return str(name).strip().lstrip("\ufeff").strip()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(HASH_BLOCK_BYTES):
            digest.update(block)
    return digest.hexdigest()


def first_error_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def safe_url(url: str) -> str:
    """The URL without its password, so it can be shown and logged."""
    import sqlalchemy as sa

    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split("@")[-1]
