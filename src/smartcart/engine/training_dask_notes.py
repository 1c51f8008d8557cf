"""The Dask engine's data notes (as the local engine writes them), counted over all partitions."""

from __future__ import annotations

import pandas as pd

from smartcart.engine.data import schema
from smartcart.engine.scoring import Partition


def note_counts(part: Partition) -> dict[str, int]:
    customers = part.customers
    if customers.empty:
        return {"missing_income": 0, "odd_status": 0}
    return {
        "missing_income": int(customers["Income"].isna().sum()),
        "odd_status": int(customers["Marital_Status"].isin(schema.ODD_STATUSES).sum()),
    }


def dataset_notes(source: str, files: int, counts: pd.Series, sample: pd.DataFrame) -> list[str]:
    """The data notes of the local engine, counted over all partitions."""
    notes = [f"read {source} through Dask: {files} Parquet files, one partition each"]
    if counts["missing_income"]:
        notes.append(
            f"{counts['missing_income']} customers have no Income: the training median is used"
        )
    if counts["odd_status"]:
        notes.append(
            f"{counts['odd_status']} customers have Marital_Status Absurd or YOLO: "
            "counted as living alone"
        )
    if not all(c in sample.columns for c in schema.CAMPAIGN_COLUMNS):
        notes.append(
            "no campaign columns (AcceptedCmp1..5): campaign acceptances are left out of the features"
        )
    if "Response" not in sample.columns:
        notes.append("no Response column: response rates cannot be reported")
    return notes
