"""A Parquet data set: a folder (recursively) or a glob of Parquet files, read as one.

Rows are numbered across the data set (the first file's rows first, files in name order), so
quarantine reasons name a row of the whole set. Read whole with `read()`, or file by file and
batch by batch with `chunks()` (what streamed scoring and the Dask engine use).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from smartcart.engine.data.sources import DataSource, RawData, Reader, is_sql_url
from smartcart.engine.data.typed_readers import ParquetReader
from smartcart.engine.files import dataset_files


def is_dataset(source: str | Path) -> bool:
    """A folder or a glob of Parquet files (as opposed to one file or a SQL URL)."""
    text = str(source)
    return not is_sql_url(text) and (Path(text).is_dir() or any(c in text for c in "*?["))


def dataset_sha256(files: list[str]) -> str:
    """One checksum for a data set: sha256 of its files' names and sha256s, in order (streamed)."""
    digest = hashlib.sha256()
    for name in files:
        with open(name, "rb") as handle:
            content = hashlib.file_digest(handle, "sha256").hexdigest()
        digest.update(f"{Path(name).name}:{content}\n".encode())
    return digest.hexdigest()


class DatasetReader(Reader):
    def __init__(self, source: DataSource, mapping, all_columns: bool) -> None:
        self.location, self.source, self.mapping = source.location, source.location, mapping
        self.files = dataset_files(source.location)
        self.dialect = f"parquet data set ({len(self.files)} files)"
        self.parts = [
            ParquetReader(Path(name), b"", source, mapping, all_columns) for name in self.files
        ]

    def read(self) -> RawData:
        raws = [part.read() for part in self.parts]
        frame = pd.concat([raw.frame for raw in raws], ignore_index=True)
        return self._raw(frame, dataset_sha256(self.files), 2, raws[0].file_columns, [])

    def chunks(self, chunk_rows: int) -> Iterator[RawData]:
        sha256, line = dataset_sha256(self.files), 2
        for part in self.parts:
            for raw in part.chunks(chunk_rows):
                yield self._raw(raw.frame, sha256, line, raw.file_columns, [])
                line += len(raw.frame)
