"""Which segment is which persona: rules against profiles, an optimal one-to-one matching, and
a descriptive name for a segment no rule matches.

Each persona scores every segment from its z-scored profile (`Persona.score`); an optimal
one-to-one matching (Hungarian) gives every persona the segment it fits best among those its
rule matches (persona_rules.py). A segment left over joins the persona that fits it best when
that rule matches it ("Family Budget Shoppers (2)"); else it is named from its profile ("High
catalog purchases, low website visits") and flagged (`SegmentName.matched` False).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from smartcart.engine.model.persona_rules import check_rule, rule_matches
from smartcart.engine.model.personas import Persona, SegmentName

UNMATCHED_PREFIX = "segment_"
FORBIDDEN = -1e9
# Features in a marketer's words, for descriptive names; others are split from their name.
FEATURE_WORDS = {
    "TotalSpending": "spending",
    "TotalPurchases": "purchases",
    "NumWebVisitsMonth": "website visits",
    "NumDealsPurchases": "discount purchases",
    "NumCatalogPurchases": "catalog purchases",
    "NumWebPurchases": "web purchases",
    "NumStorePurchases": "store purchases",
    "AcceptedCampaigns": "campaign response",
    "DealShare": "discount share",
    "RefundShare": "refund share",
    "Recency": "days since last purchase",
    "Tenure": "tenure",
    "LogRecency": "days since last order",
    "LogOrders": "orders",
    "LogRevenue": "revenue",
    "LogTenure": "tenure",
}


def z_profiles(features: pd.DataFrame, labels: np.ndarray) -> pd.DataFrame:
    """Cluster means as z-scores against the whole population (rows: clusters)."""
    means = features.groupby(labels).mean()
    spread = features.std(ddof=0).replace(0, 1.0)
    return (means - features.mean()) / spread


def name_segments(
    profiles: pd.DataFrame, personas: list[Persona], means: pd.DataFrame, population: dict
) -> list[SegmentName]:
    """Name every segment (rows of `profiles`, z-scores; `means` the raw means)."""
    clusters = list(profiles.index)
    scores = np.array([[p.score(profiles.loc[c]) for p in personas] for c in clusters])
    allowed = np.array(
        [
            [matches(p, profiles.loc[c], means.loc[c], population) for p in personas]
            for c in clusters
        ]
    ).reshape(len(clusters), len(personas))
    rows, cols = linear_sum_assignment(np.where(allowed, scores, FORBIDDEN), maximize=True)
    chosen = {clusters[r]: c for r, c in zip(rows, cols, strict=True) if allowed[r, c]}
    names = [
        SegmentName(c, personas[chosen[c]].id, personas[chosen[c]].name, True, scores[i, chosen[c]])
        for i, c in enumerate(clusters)
        if c in chosen
    ]
    counts = {personas[j].id: 1 for j in chosen.values()}
    for i, c in enumerate(clusters):
        if c in chosen:
            continue
        eligible = np.where(allowed[i], scores[i], -np.inf)
        if not allowed[i].any():
            fit = float(scores[i].max()) if len(personas) else 0.0
            label = descriptive_name(profiles.loc[c])
            names.append(SegmentName(c, f"{UNMATCHED_PREFIX}{c}", label, True, fit, False))
            continue
        best = personas[int(np.argmax(eligible))]
        counts[best.id] = counts.get(best.id, 0) + 1
        label = f"{best.name} ({counts[best.id]})"
        names.append(SegmentName(c, best.id, label, False, float(eligible.max())))
    order = [p.id for p in personas]
    return sorted(
        [_plain(n) for n in names],
        key=lambda s: (order.index(s.persona) if s.matched else len(order), s.cluster),
    )


def matches(persona: Persona, z: pd.Series, means: pd.Series, population: dict) -> bool:
    return rule_matches(check_rule(persona, z.to_dict(), means.to_dict(), population))


def _plain(name: SegmentName) -> SegmentName:
    return SegmentName(
        int(name.cluster), name.persona, name.name, name.primary, float(name.fit), name.matched
    )


def descriptive_name(z: pd.Series, count: int = 2) -> str:
    """The profile's most distinctive features in words: "High income, few children"."""
    shown = z[[f for f in z.index if not f.startswith(("Mnt", "spend_", "channel_share_"))]]
    top = shown.abs().sort_values(ascending=False).head(count).index
    parts = [f"{'high' if z[f] > 0 else 'low'} {feature_words(f)}" for f in top]
    text = ", ".join(parts) or "average on every feature"
    return text[0].upper() + text[1:]


def feature_words(feature: str) -> str:
    if feature in FEATURE_WORDS:
        return FEATURE_WORDS[feature]
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", feature).replace("_", " ").lower()


def is_unmatched(persona_id: str) -> bool:
    """A segment no persona's rule matched (its persona id is `segment_<cluster>`)."""
    return persona_id.startswith(UNMATCHED_PREFIX)


def missing_personas(names: list[SegmentName], personas: list[Persona]) -> list[str]:
    present = {s.persona for s in names}
    return [p.id for p in personas if p.id not in present]
