"""Scoring a Parquet folder of order lines on a Dask cluster (`score --engine dask`).

The lines are shuffled by customer (`shuffle_orders`: all of a customer's lines in one
partition) and each partition is handled where it is: its customers derived as the local engine
derives them, placed by the model, given the lifetime model's columns from their own counted
orders (each customer's are in the partition), and written as `out/part.N.parquet` in the local
engine's columns (`folder_columns`). Only counts come back to this process, and, once erasures
are recorded, each partition's customer numbers: the forgotten are recognised here (the erasure
key never leaves this process) and left out on the cluster before anything is scored.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from smartcart.engine.data import ORDER_KEY, ORDERS, order_customer_frame, schema, shared_number
from smartcart.engine.lifetime import LIFETIME_COLUMNS, join_lifetime_columns, lifetime_columns
from smartcart.engine.model import Progress, SegmentModel, no_progress
from smartcart.engine.orders import (
    OrderMapping,
    OrderPart,
    derive_part,
    one_currency,
    shuffle_orders,
)
from smartcart.engine.scoring.dask_engine import (
    QUARANTINE_FILE,
    ScoreSummary,
    check_output_folder,
    cluster_description,
    folder_columns,
    output_folder,
    persona_totals,
    repeated_ids,
)
from smartcart.engine.scoring.streaming import QUARANTINE_KEPT, keyed_scores, with_lifetime_scores
from smartcart.engine.store import Forgotten


@dataclass
class OrderPartition:
    """A shuffled partition on the cluster: its number and what was derived of it, the
    customers in the model's shape (`ID`, `customer_key`, figures)."""

    number: int
    derived: OrderPart

    @property
    def customers(self) -> pd.DataFrame:
        return self.derived.customers


def score_order_dataset(
    client,
    model: SegmentModel,
    source: str | Path,
    out: str | Path,
    forgotten: Forgotten | None = None,
    progress: Progress = no_progress,
) -> ScoreSummary:
    """Score the customers of a Parquet folder of order lines on the cluster of `client`;
    write `out/part.N.parquet` (and `out/_quarantine.csv`); return the totals. Customers in
    `forgotten` (erased on request) are left out and counted, as the local engine does."""
    from dask import delayed

    model.check_reads(ORDERS, source)
    check_output_folder(out)
    forgotten = forgotten or Forgotten()
    shuffled = shuffle_orders(client, source)
    progress(f"deriving and scoring the customers of {source} on {cluster_description(client)}")
    with_totals = model.lifetime_model is not None
    where = str(source)
    tasks = [
        delayed(derived_partition)(lines, n, shuffled.as_of, shuffled.mapping, with_totals, where)
        for n, lines in enumerate(shuffled.parts)
    ]
    with output_folder(out) as staging:
        parts = client.compute(tasks)
        stories = client.gather(client.map(story_of, parts))
        one_currency([currency for *_, currency in stories], source)
        check_numbers(client, parts, where)
        gone = client.scatter(forgotten_numbers(client, parts, forgotten), broadcast=True)
        scattered = client.scatter(model, broadcast=True)
        written = client.gather(
            client.map(
                score_partition,
                parts,
                model=scattered,
                gone=gone,
                as_of=shuffled.as_of,
                out=staging,
            )
        )
        quarantine = pd.concat([q for _, _, q, _ in stories], ignore_index=True)
        if len(quarantine):
            quarantine.head(QUARANTINE_KEPT).to_csv(f"{staging}/{QUARANTINE_FILE}", index=False)
    rows = {
        "read": sum(lines for lines, *_ in stories),
        "used": sum(used for used, _, _ in written),
        "quarantined": sum(quarantined for _, quarantined, *_ in stories),
    }
    counts = [c for _, _, c in written if len(c)]
    personas = pd.concat(counts).groupby(level=0).sum() if counts else pd.Series(dtype="int64")
    left_out = sum(n for _, n, _ in written) if forgotten else None
    return ScoreSummary(
        model.version, rows, persona_totals(personas), str(out), quarantine, left_out
    )


def derived_partition(
    lines: pd.DataFrame,
    number: int,
    as_of: dt.date,
    mapping: OrderMapping | None,
    totals: bool,
    where: str,
) -> OrderPartition:
    """A shuffled partition's customers derived (runs on a worker)."""
    part = derive_part(lines, as_of, mapping, totals, where)
    if len(part.customers):
        customers = order_customer_frame(part.customers, where)
    else:
        customers = pd.DataFrame({schema.ID: pd.Series(dtype="int64")})
    quarantine = part.quarantine.head(QUARANTINE_KEPT)
    return OrderPartition(number, replace(part, customers=customers, quarantine=quarantine))


def story_of(part: OrderPartition) -> tuple[int, int, pd.DataFrame, str | None]:
    """Lines, quarantined lines, the first of them, currency: what comes back of a partition."""
    derived = part.derived
    return derived.lines, derived.quarantined, derived.quarantine, derived.currency


def check_numbers(client, parts: list, where: str) -> None:
    """Two customer keys of different partitions with one number (a hash collision: odds of
    about 1 in 10^7 for a billion customers) are one DataError, as in one file."""
    repeated = repeated_ids(client, parts)
    if repeated.empty:
        return
    shared = repeated.index[0]
    keys = client.gather(client.map(keys_of, parts, number=int(shared)))
    raise shared_number([k for found in keys for k in found], where)


def keys_of(part: OrderPartition, number: int) -> list[str]:
    customers = part.customers
    if ORDER_KEY not in customers:
        return []
    return customers.loc[customers[schema.ID] == number, ORDER_KEY].astype(str).tolist()


def forgotten_numbers(client, parts: list, forgotten: Forgotten) -> np.ndarray:
    """The numbers of the forgotten customers among the partitions', recognised here: each
    partition's numbers are fetched in turn (memory: one partition's) and checked."""
    found = [np.empty(0, dtype="int64")]
    if not forgotten:
        return found[0]
    for part in parts:
        numbers = client.submit(numbers_of, part).result()
        found.append(numbers[forgotten.mask(numbers)])
    return np.concatenate(found)


def numbers_of(part: OrderPartition) -> np.ndarray:
    return part.customers[schema.ID].to_numpy(dtype="int64")


def score_partition(
    part: OrderPartition, model: SegmentModel, gone: np.ndarray, as_of: dt.date, out: str
) -> tuple[int, int, pd.Series]:
    """Leave out the forgotten, score the rest and write them as `out/part.N.parquet` (runs on
    a worker); customers scored, customers left out, customers per persona."""
    customers = part.customers
    left_out = 0
    if len(gone) and len(customers):
        drop = customers[schema.ID].isin(gone).to_numpy()
        left_out = int(drop.sum())
        customers = customers.loc[~drop].reset_index(drop=True)
    if customers.empty:  # no customer left: no file
        return 0, left_out, pd.Series(dtype="int64")
    scores = keyed_scores(model, customers)
    if model.lifetime_model is not None:
        columns = partition_lifetime(model, part.derived.totals, as_of)
        customers = join_lifetime_columns(customers, columns, key=ORDER_KEY)
    scores = with_lifetime_scores(scores, customers)
    scores[folder_columns(scores)].to_parquet(f"{out}/part.{part.number:05d}.parquet", index=False)
    return len(scores), left_out, scores["persona"].value_counts()


def partition_lifetime(
    model: SegmentModel, totals: pd.DataFrame | None, as_of: dt.date
) -> pd.DataFrame:
    """The lifetime columns of a partition's customers from their counted orders (a customer's
    figures need only their own orders); empty when none of them has a counted order."""
    if totals is None or totals.empty:
        return pd.DataFrame(columns=list(LIFETIME_COLUMNS))
    return lifetime_columns(model.lifetime_model, totals, as_of)
