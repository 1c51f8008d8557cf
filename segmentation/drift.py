"""What the training data looked like, for explanations and for drift: means, spreads, deciles.

`FeatureBuilder` learns these when the model is fitted (`population_`, `reference_`); later data
is compared with them by the population stability index (PSI).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

PSI_BINS = 10


def population_stats(features: pd.DataFrame) -> dict[str, dict[str, float]]:
    return {
        f: {"mean": float(features[f].mean()), "std": float(features[f].std(ddof=0) or 1.0)}
        for f in features.columns
    }


def drift_reference(features: pd.DataFrame) -> dict[str, dict[str, list[float]]]:
    """Decile edges and shares of every feature at training time, for the PSI of later data."""
    reference = {}
    for column in features.columns:
        values = features[column].dropna().to_numpy()
        if len(values) == 0:
            continue
        edges = np.unique(np.quantile(values, np.linspace(0, 1, PSI_BINS + 1)[1:-1]))
        counts = np.bincount(np.searchsorted(edges, values, side="right"), minlength=len(edges) + 1)
        reference[column] = {"edges": edges.tolist(), "shares": (counts / counts.sum()).tolist()}
    return reference


def population_stability_index(reference: dict[str, list[float]], values: np.ndarray) -> float:
    edges = np.asarray(reference["edges"])
    expected = np.asarray(reference["shares"])
    counts = np.bincount(np.searchsorted(edges, values, side="right"), minlength=len(edges) + 1)
    actual = counts / max(counts.sum(), 1)
    expected, actual = np.clip(expected, 1e-4, None), np.clip(actual, 1e-4, None)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def feature_psi(reference: dict, features: pd.DataFrame) -> dict[str, float]:
    """PSI of every feature with a training reference (NaNs left out)."""
    out = {}
    for name, entry in reference.items():
        if name in features:
            values = features[name].to_numpy(dtype=float)
            out[name] = round(population_stability_index(entry, values[~np.isnan(values)]), 4)
    return out
