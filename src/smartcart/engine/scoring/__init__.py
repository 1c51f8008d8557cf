"""Placing customers with the live model: locally chunk by chunk, or on a Dask cluster."""

from smartcart.engine.scoring.dask_engine import (
    Partition,
    ScoreSummary,
    check_output_folder,
    cluster_description,
    dask_client,
    drop_repeats,
    raw_partitions,
    require_dask,
    row_counts,
    score_dataset,
    summary_of,
    validated_partition,
)
from smartcart.engine.scoring.dask_orders import score_order_dataset
from smartcart.engine.scoring.scoring import Explanation, explain, score
from smartcart.engine.scoring.streaming import (
    LifetimeColumns,
    ScoringRun,
    output_format,
    score_source,
)

__all__ = [
    "Explanation",
    "LifetimeColumns",
    "Partition",
    "ScoreSummary",
    "ScoringRun",
    "check_output_folder",
    "dask_client",
    "cluster_description",
    "drop_repeats",
    "explain",
    "output_format",
    "raw_partitions",
    "require_dask",
    "row_counts",
    "score",
    "score_dataset",
    "score_order_dataset",
    "score_source",
    "summary_of",
    "validated_partition",
]
