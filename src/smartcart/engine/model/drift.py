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
    return psi_of_counts(reference, bin_counts(reference, values))


def bin_counts(reference: dict[str, list[float]], values: np.ndarray) -> np.ndarray:
    """How many values fall in each of the reference's bins (counts of chunks add up)."""
    edges = np.asarray(reference["edges"])
    return np.bincount(np.searchsorted(edges, values, side="right"), minlength=len(edges) + 1)


def psi_of_counts(reference: dict[str, list[float]], counts: np.ndarray) -> float:
    expected = np.asarray(reference["shares"])
    actual = counts / max(counts.sum(), 1)
    expected, actual = np.clip(expected, 1e-4, None), np.clip(actual, 1e-4, None)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def feature_bin_counts(reference: dict, features: pd.DataFrame) -> dict[str, np.ndarray]:
    """Bin counts of every feature with a training reference (NaNs left out)."""
    out = {}
    for name, entry in reference.items():
        if name in features:
            values = features[name].to_numpy(dtype=float)
            out[name] = bin_counts(entry, values[~np.isnan(values)])
    return out


def feature_psi(reference: dict, features: pd.DataFrame) -> dict[str, float]:
    """PSI of every feature with a training reference (NaNs left out)."""
    return psi_of_feature_counts(reference, feature_bin_counts(reference, features))


def psi_of_feature_counts(reference: dict, counts: dict[str, np.ndarray]) -> dict[str, float]:
    return {name: round(psi_of_counts(reference[name], c), 4) for name, c in counts.items()}
