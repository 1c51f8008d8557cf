"""Place customers in segments with the live model, and explain one customer in plain words."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from segmentation import schema
from segmentation.features import derive_features
from segmentation.model import SegmentModel
from segmentation.propensity import add_propensity, likelihood_words
from segmentation.reports import CHANNELS

# How each trait reads: label, the customer's value, the average customer's value, unit.
TRAITS: dict[str, tuple[str, str, str, str]] = {
    "Income": ("Income", "{:,.0f}", "{:,.0f}", " a year"),
    "TotalSpending": ("Total spending", "{:,.0f}", "{:,.0f}", " in 2 years"),
    "TotalPurchases": ("Purchases", "{:,.0f}", "{:,.1f}", ""),
    "Children": ("Children at home", "{:,.0f}", "{:,.1f}", ""),
    "NumDealsPurchases": ("Discount purchases", "{:,.0f}", "{:,.1f}", ""),
    "NumWebVisitsMonth": ("Website visits", "{:,.0f}", "{:,.1f}", " last month"),
    "AcceptedCampaigns": ("Campaign offers accepted", "{:,.0f}", "{:,.1f}", " of 5"),
    "NumCatalogPurchases": ("Catalog purchases", "{:,.0f}", "{:,.1f}", ""),
    "Age": ("Age", "{:,.0f}", "{:,.0f}", ""),
    "Tenure": ("Customer for", "{:,.0f}", "{:,.0f}", " days"),
    "Recency": ("Days since last purchase", "{:,.0f}", "{:,.0f}", ""),
}
DRIVER_COUNT = 3


@dataclass
class Explanation:
    customer_id: int
    persona: str
    segment_name: str
    cluster: int
    confidence: float
    drivers: list[str]
    facts: dict[str, object]
    propensity: float | None = None
    propensity_decile: int | None = None

    @property
    def likelihood(self) -> str | None:
        """Likelihood to respond in plain words (None without a response model)."""
        if self.propensity is None or self.propensity_decile is None:
            return None
        return likelihood_words(self.propensity, self.propensity_decile)

    @property
    def confidence_label(self) -> str:
        if self.confidence >= 0.5:
            return "high"
        return "medium" if self.confidence >= 0.2 else "low"


def score(model: SegmentModel, customers: pd.DataFrame) -> pd.DataFrame:
    """Cluster, persona, confidence and (with a response model) propensity of every customer."""
    scores = score_features(model, customers[schema.ID], derive_features(customers, model.as_of))
    return add_propensity(scores, getattr(model, "response", None), customers)


def score_features(model: SegmentModel, ids: pd.Series, features: pd.DataFrame) -> pd.DataFrame:
    """`score` for features already derived (the pipeline after its FeatureBuilder step)."""
    X = model.pipeline[1:-1].transform(features)
    clusters = model.clusterer.predict(X)
    confidence = assignment_confidence(model, X, clusters)
    by_cluster = {s["cluster"]: s for s in model.segments}
    return pd.DataFrame(
        {
            "customer_id": ids.to_numpy(),
            "cluster": clusters.astype(int),
            "persona": [by_cluster[c]["persona"] for c in clusters],
            "segment": [by_cluster[c]["name"] for c in clusters],
            "confidence": confidence,
        }
    )


def assignment_confidence(model: SegmentModel, X: np.ndarray, clusters: np.ndarray) -> np.ndarray:
    """1 - (distance to own centroid / distance to the nearest other): 0 on a border, 1 at the centre."""
    distances = model.clusterer.transform(X)
    order = list(model.clusterer.clusters_)
    own_column = np.array([order.index(c) for c in clusters])
    rows = np.arange(len(X))
    own = distances[rows, own_column]
    others = distances.copy()
    others[rows, own_column] = np.inf
    nearest_other = others.min(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        confidence = 1 - own / nearest_other
    return np.clip(np.nan_to_num(confidence, nan=0.0), 0.0, 1.0).round(3)


def explain(model: SegmentModel, customer: pd.DataFrame) -> Explanation:
    """Persona, confidence, the traits that set this customer apart, and key facts."""
    all_features = derive_features(customer, model.as_of)
    scores = score_features(model, customer[schema.ID], all_features)
    scored = add_propensity(scores, getattr(model, "response", None), customer).iloc[0]
    features = all_features.iloc[0]
    return Explanation(
        customer_id=int(scored["customer_id"]),
        persona=str(scored["persona"]),
        segment_name=str(scored["segment"]),
        cluster=int(scored["cluster"]),
        confidence=float(scored["confidence"]),
        drivers=drivers(features, model.population),
        facts=key_facts(features),
        propensity=float(scored["propensity"]) if "propensity" in scored else None,
        propensity_decile=int(scored["propensity_decile"]) if "propensity" in scored else None,
    )


def drivers(features: pd.Series, population: dict[str, dict[str, float]]) -> list[str]:
    """The traits furthest from the average customer, phrased with both numbers."""
    distance = {
        f: (features[f] - population[f]["mean"]) / population[f]["std"]
        for f in TRAITS
        if f in population and pd.notna(features.get(f))
    }
    top = sorted(distance, key=lambda f: abs(distance[f]), reverse=True)[:DRIVER_COUNT]
    return [_phrase(f, features[f], population[f]["mean"], distance[f]) for f in top]


def _phrase(feature: str, value: float, mean: float, z: float) -> str:
    label, value_format, mean_format, unit = TRAITS[feature]
    strength = "well " if abs(z) >= 1.5 else ""
    direction = "above" if z > 0 else "below"
    shown, average = value_format.format(value), mean_format.format(mean)
    return f"{label} {strength}{direction} average: {shown}{unit} (average {average})"


def key_facts(features: pd.Series) -> dict[str, object]:
    channels = {name: features[column] for column, name in CHANNELS.items()}
    return {
        "tenure_days": int(features["Tenure"]),
        "days_since_last_purchase": int(features["Recency"]),
        "preferred_channel": max(channels, key=channels.get),
        "total_spending": float(features["TotalSpending"]),
        "income": None if pd.isna(features["Income"]) else float(features["Income"]),
    }
