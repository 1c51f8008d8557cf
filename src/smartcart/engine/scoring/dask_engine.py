"""The Dask engine: a cluster, partitions, and scoring a data set beyond one machine.

A data set is a folder or a glob of Parquet files; each file is one partition. A partition goes
through the same validation and the same scoring as the local engine (`check_partition`,
`assign_scores`), so there is no second implementation of either; only what spans partitions is
done here: a customer ID repeated in a later file is quarantined (the first one is kept, as in a
single file) and totals are summed. Training is in `distributed_training`.

dask, distributed and dask-ml are an optional extra (`pip install 'smartcart-segments[dask]'`);
this module imports them only inside its functions.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from smartcart.engine.data import (
    ORDER_KEY,
    RawData,
    ValidatedData,
    dataset_files,
    schema,
    validate,
)
from smartcart.engine.errors import DataError, SegmentationError
from smartcart.engine.lifetime import LIFETIME_COLUMNS
from smartcart.engine.model import Progress, SegmentModel, no_progress

DASK_MISSING = (
    "the dask engine needs dask, distributed and dask-ml: "
    "pip install 'smartcart-segments[dask]' (or `make install`, which includes them)"
)
CONNECT_TIMEOUT = "10s"
QUARANTINE_FILE = "_quarantine.csv"  # Parquet readers skip files starting with "_"
SCORE_COLUMNS = ["customer_id", "cluster", "persona", "segment", "confidence"]


def folder_columns(scores: pd.DataFrame) -> list[str]:
    """The columns either engine writes to a scores folder, in the scores' order: SCORE_COLUMNS
    and, for customers from orders, their key and lifetime columns (not propensity: the Dask
    engine scores a customer table without it)."""
    kept = {*SCORE_COLUMNS, ORDER_KEY, *LIFETIME_COLUMNS}
    return [column for column in scores.columns if column in kept]


class EngineError(SegmentationError):
    """The Dask engine cannot run (not installed, scheduler unreachable)."""


def require_dask() -> None:
    """One clear line when the optional dask extra is not installed."""
    try:
        import dask.dataframe  # noqa: F401
        import dask_ml.cluster  # noqa: F401
        import distributed  # noqa: F401
    except ImportError:
        raise EngineError(DASK_MISSING) from None


@contextmanager
def dask_client(address: str | None = None) -> Iterator[object]:
    """A client of the scheduler at `address`, or of a cluster in this process when None."""
    require_dask()
    from distributed import Client, LocalCluster

    if not logging.getLogger().isEnabledFor(logging.INFO):  # its INFO lines only with -v
        logging.getLogger("distributed").setLevel(logging.WARNING)
        # a shuffle (order lines by customer) says it started and ended as warnings, and a
        # task's DataError comes back here as one line: the workers' reports of it (with a
        # traceback, and the tasks cancelled after it) only with -v
        logging.getLogger("distributed.shuffle").setLevel(logging.ERROR)
        logging.getLogger("distributed.worker").setLevel(logging.CRITICAL)

    if address is None:
        with (
            LocalCluster(processes=False, dashboard_address=":0") as cluster,
            Client(cluster) as client,
        ):
            yield client
        return
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError) as error:
        raise EngineError(f"cannot reach the Dask scheduler at {address}: {error}") from None
    with client:
        yield client


# ---- One partition: the local engine's functions ----------------------------------------------


def check_partition(frame: pd.DataFrame, source: str, as_of: date | None) -> ValidatedData:
    """The local validation of one partition (a Parquet file)."""
    known = [column for column in frame.columns if column in schema.ALL_COLUMNS]
    return validate(RawData(frame[known].reset_index(drop=True), source, "", "parquet"), as_of)


def assign_scores(model: SegmentModel, customers: pd.DataFrame) -> pd.DataFrame:
    """The local scoring of validated customers: SCORE_COLUMNS, one row per customer, in order."""
    return model.assign(customers).table()[SCORE_COLUMNS]


@dataclass
class Partition:
    """A partition after validation (and scoring), kept on the cluster."""

    number: int
    source: str
    read: int
    customers: pd.DataFrame
    quarantine: pd.DataFrame  # columns: source, line, ID, reason
    scores: pd.DataFrame | None = None
    as_of: date | None = None  # the one validated against (None when no row was valid)


def validated_partition(
    frame: pd.DataFrame, number: int, source: str, as_of: date | None
) -> Partition:
    try:
        data = check_partition(frame, source, as_of)
    except DataError as error:  # every row of this file failed: quarantine them all
        if frame.empty or schema.ID not in frame.columns:
            raise
        reasons = pd.DataFrame({"line": np.arange(len(frame)) + 2, "ID": frame[schema.ID]})
        reasons["reason"] = str(error).split("(line 2: ")[-1].rstrip(")")
        return Partition(number, source, len(frame), frame.iloc[:0], _sourced(reasons, source))
    quarantine = _sourced(data.quarantine, source)
    return Partition(
        number, source, data.rows["read"], data.customers, quarantine, None, data.as_of
    )


def _sourced(quarantine: pd.DataFrame, source: str) -> pd.DataFrame:
    out = quarantine.copy()
    out.insert(0, "source", source)
    out["line"] = out["line"].astype("Int64")
    out["ID"] = out["ID"].astype(str)
    return out


def _scored(frame: pd.DataFrame, number: int, source: str, model: SegmentModel) -> Partition:
    part = validated_partition(frame, number, source, model.as_of)
    part.scores = assign_scores(model, part.customers) if len(part.customers) else None
    return part


# ---- Across partitions ------------------------------------------------------------------------


def _ids_of(part: Partition) -> pd.DataFrame:
    ids = part.customers[schema.ID].to_numpy(dtype="int64")
    return pd.DataFrame({"id": ids, "partition": np.full(len(ids), part.number, dtype="int64")})


def repeated_ids(client, parts: list) -> pd.Series:
    """ID -> first partition, for the IDs found in more than one partition (computed on the
    cluster)."""
    import dask.dataframe as dd
    from dask import delayed

    meta = pd.DataFrame({"id": pd.Series(dtype="int64"), "partition": pd.Series(dtype="int64")})
    ids = dd.from_delayed([delayed(_ids_of)(p) for p in parts], meta=meta, verify_meta=False)
    spread = ids.groupby("id")["partition"].agg(["min", "count"])
    repeated = client.compute(spread[spread["count"] > 1]).result()
    return repeated["min"].astype("int64").rename("first_partition")


def drop_repeats(client, parts: list, sources: list[str]) -> list:
    """The partitions (futures) without the customers whose ID an earlier partition used.

    The mapping of repeats is scattered to the workers: passed to `client.map` as it is, a big
    keyword argument becomes a task named after the keyword, and the second such map in one
    session fails on the scheduler ("Error transitioning 'repeats'")."""
    repeats = client.scatter(repeated_ids(client, parts), broadcast=True)
    return client.map(without_repeats, parts, repeats=repeats, sources=sources)


def without_repeats(part: Partition, repeats: pd.Series, sources: list[str]) -> Partition:
    """Quarantine the customers whose ID was already used in an earlier partition."""
    if repeats.empty or part.customers.empty:
        return part
    ids = part.customers[schema.ID]
    first = ids.map(repeats)
    later = (first < part.number).to_numpy()
    if not later.any():
        return part
    moved = pd.DataFrame(
        {
            "source": part.source,
            "line": pd.array([pd.NA] * int(later.sum()), dtype="Int64"),  # not kept
            "ID": ids[later].astype(str).to_numpy(),
            "reason": [
                f"ID {i} appears again (first in {sources[int(f)]})"
                for i, f in zip(ids[later], first[later], strict=True)
            ],
        }
    )
    kept = part.customers.loc[~later].reset_index(drop=True)
    scores = None if part.scores is None else part.scores.loc[~later].reset_index(drop=True)
    quarantine = pd.concat([part.quarantine, moved], ignore_index=True)
    return Partition(part.number, part.source, part.read, kept, quarantine, scores, part.as_of)


def raw_partitions(files: list[str]) -> tuple[list, list[str]]:
    """Delayed pandas frames, one per file, read through dask.dataframe."""
    import dask.dataframe as dd

    frames = dd.read_parquet(files, split_row_groups=False).to_delayed()
    if len(frames) != len(files):  # Dask split or merged files: name partitions, not files
        return frames, [f"{files[0]} (partition {i})" for i in range(len(frames))]
    return frames, files


# ---- Scoring ----------------------------------------------------------------------------------


@dataclass
class ScoreSummary:
    """What `score --json` prints, for either engine."""

    model_version: str
    rows: dict[str, int]
    personas: dict[str, int]
    out: str | None = None
    quarantine: pd.DataFrame = field(default_factory=pd.DataFrame)
    forgotten: int | None = None  # left out as erased on request (the local engine counts them)

    def as_dict(self) -> dict:
        summary = {
            "model_version": self.model_version,
            "rows": self.rows,
            "personas": self.personas,
        }
        if self.forgotten is not None:
            summary["forgotten"] = self.forgotten
        return summary


def persona_totals(counts: pd.Series) -> dict[str, int]:
    """Customers per persona (counts by persona), largest first, ties by name: both engines."""
    ordered = sorted(counts.items(), key=lambda item: (-int(item[1]), str(item[0])))
    return {str(persona): int(count) for persona, count in ordered}


def _write_part(part: Partition, out: str) -> pd.Series:
    """Write a partition's scores as `out/part.N.parquet`; return its persona counts."""
    if part.scores is None or part.scores.empty:  # every row quarantined: no file
        return pd.Series(dtype="int64")
    part.scores.to_parquet(f"{out}/part.{part.number:05d}.parquet", index=False)
    return part.scores["persona"].value_counts()


def score_dataset(
    client,
    model: SegmentModel,
    source: str | Path,
    out: str | Path,
    progress: Progress = no_progress,
) -> ScoreSummary:
    """Score a Parquet data set on the cluster; write `out/part.N.parquet`; return the totals."""
    from dask import delayed

    model.check_reads("customers", source)

    files = dataset_files(source)
    frames, sources = raw_partitions(files)
    progress(f"scoring {len(frames)} partitions of {source} on {cluster_description(client)}")
    with output_folder(out) as staging:
        scored = client.compute(
            [
                delayed(_scored)(f, i, s, model)
                for i, (f, s) in enumerate(zip(frames, sources, strict=True))
            ]
        )
        final = drop_repeats(client, scored, sources)
        counts = client.map(_write_part, final, out=staging)
        summaries = client.gather(client.map(summary_of, final))
        rows = row_counts(summaries, str(source))
        personas = pd.concat(client.gather(counts)).groupby(level=0).sum()  # counts by persona
        quarantine = pd.concat([q for _, _, q in summaries], ignore_index=True)
        write_quarantine(quarantine, staging)
    return ScoreSummary(model.version, rows, persona_totals(personas), str(out), quarantine)


def write_quarantine(quarantine: pd.DataFrame, out: str) -> None:
    """The rows left out and why, beside the scores (`out/_quarantine.csv`), when there are any."""
    if len(quarantine):
        quarantine.to_csv(f"{out}/{QUARANTINE_FILE}", index=False)


def write_scores_folder(
    scores: pd.DataFrame, out: str | Path, rows_per_part: int = 1_000_000
) -> None:
    """The local engine's scores as a partitioned Parquet folder, like the Dask engine writes."""
    with output_folder(out) as staging:
        for number, start in enumerate(range(0, max(len(scores), 1), rows_per_part)):
            part = scores.iloc[start : start + rows_per_part][SCORE_COLUMNS]
            part.to_parquet(f"{staging}/part.{number:05d}.parquet", index=False)


def summary_of(part: Partition) -> tuple[int, int, pd.DataFrame]:
    return part.read, len(part.customers), part.quarantine


def row_counts(summaries: list[tuple[int, int, pd.DataFrame]], source: str) -> dict[str, int]:
    """Rows read, used and quarantined over all partitions; an error when none is usable."""
    read, used = sum(r for r, _, _ in summaries), sum(u for _, u, _ in summaries)
    if used == 0:
        first = next((q["reason"].iloc[0] for _, _, q in summaries if len(q)), "no rows")
        raise DataError(f"{source}: no usable customer rows ({first})")
    return {"read": int(read), "used": int(used), "quarantined": int(read - used)}


def check_output_folder(out: str | Path) -> Path:
    """`out` is a new or empty folder (before any work is done)."""
    path = Path(out)
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise DataError(
            f"{out}: the output must be a new or empty folder (scores are written as part.N.parquet)"
        )
    return path


@contextmanager
def output_folder(out: str | Path) -> Iterator[str]:
    """A staging folder beside `out`, renamed to `out` once everything is written: a failed run
    leaves no half-written output. `out` must not exist yet, or be an empty folder."""
    path = check_output_folder(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent))
    try:
        yield str(staging)
        if path.exists():
            path.rmdir()
        staging.rename(path)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def cluster_description(client) -> str:
    workers = client.scheduler_info().get("workers", {})
    threads = sum(w.get("nthreads", 0) for w in workers.values())
    return f"Dask at {client.scheduler.address} ({len(workers)} workers, {threads} threads)"
