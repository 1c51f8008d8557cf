"""Why a customer is in their persona, by contrast: the features that separate the customer's
segment from the nearest other segment, in the model's own scaled features.

For the customer x, their segment's centroid c and the nearest other centroid o, feature f
moves x towards c by m_f = (x_f - o_f)^2 - (x_f - c_f)^2 = (c_f - o_f)(2 x_f - c_f - o_f): the
gap between the centroids times how far past their midpoint x lies. Only features with m_f > 0
are reasons, and only those that distinguish the persona: a feature its rule names, in the
rule's direction, or one on which the segment stands apart from all customers. The rule's
features come first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from smartcart.engine.model import Persona, SegmentModel, segment_profiles

APART = 0.5  # |z| of a segment's mean from which a feature not in the rule sets it apart
# Order inputs are logarithms; a reason shows the figure people know.
SHOWN_AS = {
    "LogRecency": "Recency",
    "LogOrders": "TotalPurchases",
    "LogRevenue": "TotalSpending",
    "LogTenure": "Tenure",
}


@dataclass(frozen=True)
class Reason:
    feature: str  # the clustering input
    shown: str  # the feature whose figures are shown
    margin: float  # m_f above
    value: float  # the customer's
    typical: float  # the segment's mean
    population: float  # all customers' mean


def contrast_reasons(
    model: SegmentModel, features: pd.DataFrame, cluster: int, persona: Persona | None
) -> list[Reason]:
    """The customer's (one row of features) reasons for being in `cluster`, strongest first."""
    step = model.pipeline.named_steps["cluster"]
    clusterer = step.clusterer_
    order = list(clusterer.clusters_)
    if cluster not in order or len(order) < 2:
        return []
    x = step.scaling_.transform(features)[0]
    centroids = np.asarray(clusterer.centroids_, dtype=float)
    own = centroids[order.index(cluster)]
    distances = np.sqrt(((centroids - x) ** 2).sum(axis=1))
    distances[order.index(cluster)] = np.inf
    other = centroids[int(np.argmin(distances))]
    margins = (own - other) * (2 * x - own - other)
    z, means = segment_profiles(model)
    row = features.iloc[0]
    reasons = []
    for i, feature in enumerate(step.inputs):
        if margins[i] <= 0 or not distinguishes(feature, own[i], other[i], persona, z, cluster):
            continue
        shown = SHOWN_AS.get(feature, feature)
        if shown not in row.index or pd.isna(row[shown]):
            shown = feature
        reasons.append(
            Reason(
                feature=feature,
                shown=shown,
                margin=float(margins[i]),
                value=float(row[shown]),
                typical=float(means.get(cluster, {}).get(shown, np.nan)),
                population=float(model.population.get(shown, {}).get("mean", np.nan)),
            )
        )
    in_rule = set(persona.rule_features) if persona else set()
    return sorted(reasons, key=lambda r: (r.feature not in in_rule, -r.margin))


def distinguishes(
    feature: str, own: float, other: float, persona: Persona | None, z: dict, cluster: int
) -> bool:
    """The feature sets the persona apart: its rule names it in this direction, or (not in
    the rule) the segment's mean stands apart from all customers'."""
    if persona is not None and feature in persona.rule_features:
        if feature in persona.high:
            return own > other
        if feature in persona.low:
            return own < other
        if feature in persona.moderate:
            return abs(own) < abs(other)
        return True
    return abs(z.get(cluster, {}).get(feature, 0.0)) >= APART
