"""Scoring a customer source of any size: chunk by chunk, memory bounded by the chunk size.

Each validated chunk is assigned by the model (`SegmentModel.assign`), written to the store in
bulk (`smartcart.engine.store.bulk`, one transaction for the whole run: a failure halfway leaves the
customers stored before it) and, with `out`, appended to a .csv or .parquet file (written under
a temporary name, renamed when complete). Only the totals stay in memory.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from smartcart.engine.data import (
    DEFAULT_CHUNK_ROWS,
    ORDER_KEY,
    ORDERS,
    DataSource,
    ValidatedData,
    iter_customer_chunks,
    load_order_totals,
)
from smartcart.engine.errors import DataError
from smartcart.engine.faults import kill_point
from smartcart.engine.lifetime import LIFETIME_COLUMNS, join_lifetime_columns, lifetime_columns
from smartcart.engine.model import SegmentModel
from smartcart.engine.scoring.dask_engine import (
    check_output_folder,
    folder_columns,
    persona_totals,
)
from smartcart.engine.store import CustomerWriter, Forgotten, Store

OUTPUT_FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
QUARANTINE_KEPT = 1000  # quarantined rows kept for the report (all are counted)
NO_SCORES = pd.DataFrame(
    {"customer_id": [], "cluster": [], "persona": [], "segment": [], "confidence": []}
)


@dataclass
class ScoringRun:
    """What a scoring run did: the totals, a sample of quarantined rows, the most typical
    customer (highest confidence)."""

    model_version: str
    rows: dict[str, int] = field(default_factory=lambda: {"read": 0, "used": 0, "quarantined": 0})
    personas: dict[str, int] = field(default_factory=dict)
    quarantine: pd.DataFrame = field(default_factory=pd.DataFrame)
    most_confident: int | None = None
    # Customers of the source left out as erased on request (smartcart forget); None when no
    # erasure is recorded.
    forgotten: int | None = None
    _best: float = -1.0

    def add(self, rows_read: int, quarantine: pd.DataFrame, scores: pd.DataFrame) -> None:
        self.rows["read"] += rows_read
        self.rows["used"] += len(scores)
        self.rows["quarantined"] += len(quarantine)
        if len(self.quarantine) < QUARANTINE_KEPT and len(quarantine):
            kept = pd.concat([self.quarantine, quarantine.head(QUARANTINE_KEPT)])
            self.quarantine = kept.head(QUARANTINE_KEPT).reset_index(drop=True)
        counts = Counter(self.personas)
        counts.update(scores["persona"].value_counts().to_dict())
        self.personas = persona_totals(pd.Series(counts, dtype="int64"))
        if len(scores) and scores["confidence"].max() > self._best:
            top = scores["confidence"].idxmax()
            self._best = float(scores.at[top, "confidence"])
            self.most_confident = int(scores.at[top, "customer_id"])


def output_format(path: Path) -> str:
    """'csv', 'parquet' or 'folder' (partitioned Parquet: an existing folder or a name with no
    extension) from the name; any other extension is a DataError."""
    path = Path(path)
    if path.is_dir() or not path.suffix:
        check_output_folder(path)
        return "folder"
    kind = OUTPUT_FORMATS.get(path.suffix.lower())
    if kind is None:
        raise DataError(
            f"{path}: cannot write scores to a {path.suffix} file; "
            "name it .csv or .parquet, or a folder for partitioned Parquet"
        )
    return kind


def score_source(
    model: SegmentModel,
    store: Store | None,
    source: str | Path | DataSource,
    *,
    table: str = "customers",
    replace: bool = False,
    out: Path | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    on_rows: Callable[[int], None] | None = None,
    forgotten: Forgotten | None = None,
) -> ScoringRun:
    """Score every customer of `source` with `model`; store them (unless `store` is None) and
    write them to `out`. Returns the totals. `on_rows(n)` hears of each chunk's rows read.
    Customers in `forgotten` (erased on request) are left out and counted."""
    run = ScoringRun(model.version)
    scores_file = ScoresFile(out) if out else None
    lifetime = LifetimeColumns(model, source)
    forgotten = forgotten or Forgotten()
    if forgotten:
        run.forgotten = 0
    with _writer(store, model.version, replace) as writer, _finished(scores_file):
        chunks = iter_customer_chunks(
            source, model.as_of, table=table, chunk_rows=chunk_rows, with_orders=lifetime.wanted
        )
        for chunk in chunks:
            kept, left_out = forgotten.split(chunk.customers)
            if left_out:
                chunk = dataclasses.replace(chunk, customers=kept)
                run.forgotten += left_out
            model.check_reads(chunk.contract, chunk.source)
            scores = keyed_scores(model, chunk.customers)
            customers = lifetime.add(chunk)
            scores = with_lifetime_scores(scores, customers)
            if len(scores) and writer is not None:
                writer.write(customers, scores)
            if len(scores) and scores_file is not None:
                scores_file.write(scores)
            run.add(chunk.rows_read, chunk.quarantine, scores)
            if on_rows is not None:
                on_rows(chunk.rows_read)
        kill_point("score:before-commit")
    return run


class LifetimeColumns:
    """The lifetime columns of an order source's customers, by the model's lifetime model, as
    of the data's day: from each chunk's own orders when the chunks carry them (`wanted`: ask
    `iter_customer_chunks` for them), else the orders are read and predicted once, joined to
    every chunk. A customer's columns depend on its own orders alone, so both agree."""

    def __init__(self, model: SegmentModel, source: str | Path | DataSource) -> None:
        self.model = model.lifetime_model
        self.source = source
        self.columns: pd.DataFrame | None = None

    @property
    def wanted(self) -> bool:
        return self.model is not None

    def add(self, chunk: ValidatedData) -> pd.DataFrame:
        """The chunk's customers, with the lifetime columns when there is a model to give them."""
        if self.model is None or chunk.contract != ORDERS or chunk.customers.empty:
            return chunk.customers
        if chunk.order_totals is not None:
            own = lifetime_columns(self.model, chunk.order_totals, chunk.as_of)
            return join_lifetime_columns(chunk.customers, own, key=ORDER_KEY)
        if self.columns is None:
            orders = load_order_totals(self.source, chunk.as_of)
            self.columns = lifetime_columns(self.model, orders, chunk.as_of)
        return join_lifetime_columns(chunk.customers, self.columns, key=ORDER_KEY)


def keyed_scores(model: SegmentModel, customers: pd.DataFrame) -> pd.DataFrame:
    """The model's table of validated customers (`SegmentModel.assign`), with the customer's
    own key second when they come from orders."""
    scores = model.assign(customers).table() if len(customers) else NO_SCORES
    if ORDER_KEY in customers and len(scores):
        scores.insert(1, ORDER_KEY, customers[ORDER_KEY].to_numpy())
    return scores


def with_lifetime_scores(scores: pd.DataFrame, customers: pd.DataFrame) -> pd.DataFrame:
    """The scores with the customers' lifetime columns (same rows, same order), when they
    have them."""
    if "churn_risk" not in customers.columns or scores.empty:
        return scores
    return scores.assign(**{c: customers[c].to_numpy() for c in LIFETIME_COLUMNS})


@contextlib.contextmanager
def _writer(store: Store | None, version: str, replace: bool) -> Iterator[CustomerWriter | None]:
    if store is None:
        yield None
        return
    with store.customer_writer(version, replace) as writer:
        yield writer


@contextlib.contextmanager
def _finished(scores_file: ScoresFile | None) -> Iterator[None]:
    """The scores file is kept only when the whole run succeeded."""
    try:
        yield
    except BaseException:
        if scores_file is not None:
            scores_file.discard()
        raise
    if scores_file is not None:
        scores_file.close()


class ScoresFile:
    """Scores appended chunk by chunk to a .csv or .parquet file (pyarrow ParquetWriter), or as
    part.N.parquet files in a folder (like the Dask engine writes), under a temporary name
    until `close` renames it into place."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.kind = output_format(self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.kind == "folder":
            self.temporary = Path(
                tempfile.mkdtemp(
                    prefix=f".{self.path.name}.", suffix=".partial", dir=self.path.parent
                )
            )
        else:
            self.temporary = self.path.with_name(f".{self.path.name}.partial")
        self._parquet = None
        self._parts = 0

    def write(self, scores: pd.DataFrame) -> None:
        if self.kind == "csv":
            first = self._parts == 0
            scores.to_csv(self.temporary, mode="w" if first else "a", index=False, header=first)
        elif self.kind == "folder":
            part = self.temporary / f"part.{self._parts:05d}.parquet"
            scores[folder_columns(scores)].to_parquet(part, index=False)  # as the Dask engine
        else:
            self._write_parquet(scores)
        self._parts += 1

    def _write_parquet(self, scores: pd.DataFrame) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        batch = pa.Table.from_pandas(scores, preserve_index=False)
        if self._parquet is None:
            self._parquet = pq.ParquetWriter(self.temporary, batch.schema)
        self._parquet.write_table(batch.cast(self._parquet.schema))

    def close(self) -> None:
        if self._parts == 0 and self.kind != "folder":  # no usable customer: a file with no rows
            self.write(NO_SCORES)
        if self._parquet is not None:
            self._parquet.close()
        if self.kind == "folder" and self.path.exists():
            self.path.rmdir()  # checked empty before any work
        os.replace(self.temporary, self.path)

    def discard(self) -> None:
        if self._parquet is not None:
            self._parquet.close()
        if self.kind == "folder":
            shutil.rmtree(self.temporary, ignore_errors=True)
        else:
            self.temporary.unlink(missing_ok=True)
