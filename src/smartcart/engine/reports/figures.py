"""A segment's and a persona's figures: one definition, one set of field names.

Every figure anyone shows (the model report, `train --json`, the bot's summary, the playbooks,
the digest's snapshots) comes from here, with these names:

- `size` (customers), `share` (of customers), `revenue` (total spend), `revenue_share`,
  `avg_spend`, `avg_income`, `response_rate`, `lift` (over the base response rate),
  `top_categories` [{`category`, `share`}], `preferred_channel`, `profile` {feature: mean}.

`segment_figures` gives them per segment (cluster), `persona_numbers` sums a persona's segments,
`persona_figures` gives the digest's per-persona figures of a scored population.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from smartcart.engine.model import (
    ORDER_PROFILE_FEATURES,
    PERSONA_SETS,
    PROFILE_FEATURES,
    Persona,
    SegmentName,
    distinguishing_figures,
    is_unmatched,
    segment_expectations,
)
from smartcart.engine.reports.lifetime_figures import has_lifetime_columns, persona_lifetime

if TYPE_CHECKING:
    from smartcart.engine.model import SegmentModel

CHANNELS = {
    "NumWebPurchases": "web",
    "NumCatalogPurchases": "catalog",
    "NumStorePurchases": "store",
}
CATEGORY_NAMES = {
    "MntWines": "wine",
    "MntFruits": "fruit",
    "MntMeatProducts": "meat",
    "MntFishProducts": "fish",
    "MntSweetProducts": "sweets",
    "MntGoldProds": "gold",
}


# -- per segment ---------------------------------------------------------------------------------


def segment_figures(
    features: pd.DataFrame,
    labels: np.ndarray,
    names: list[SegmentName],
    response: pd.Series | None,
) -> list[dict]:
    """Size, shares, spend, income, response and profile of every named segment."""
    total_revenue = float(features["TotalSpending"].sum()) or 1.0
    base_rate = float(response.mean()) if response is not None else None
    out = []
    for name in names:
        members = labels == name.cluster
        segment = features[members]
        rate = float(response[members].mean()) if response is not None and members.any() else None
        out.append(
            {
                "cluster": int(name.cluster),
                "persona": name.persona,
                "name": name.name,
                "primary": name.primary,
                "fit": round(name.fit, 3),
                "size": int(members.sum()),
                "share": float(members.mean()),
                "revenue_share": float(segment["TotalSpending"].sum() / total_revenue),
                "avg_spend": float(segment["TotalSpending"].mean()),
                "avg_income": float(segment["Income"].mean()) if "Income" in segment else None,
                "response_rate": rate,
                "lift": rate / base_rate if rate is not None and base_rate else None,
                "top_categories": top_categories(segment),
                "preferred_channel": preferred_channel(segment),
                "profile": {f: float(segment[f].mean()) for f in profile_columns(segment)},
            }
        )
    return out


def profile_columns(features: pd.DataFrame) -> list[str]:
    """What a profile shows: the study's features, or those of customers from orders with
    their spend per category and share of orders per channel."""
    known = [*PROFILE_FEATURES, *ORDER_PROFILE_FEATURES]
    shown = [f for f in dict.fromkeys(known) if f in features.columns]
    return shown + [c for c in features.columns if c.startswith(("spend_", "channel_share_"))]


def category_names(columns: Iterable[str]) -> dict[str, str]:
    """Spend column -> category: the retailer's (`spend_<category>`), else the study's."""
    ordered = [c for c in columns if c.startswith("spend_")]
    return {c: c.removeprefix("spend_") for c in ordered} or CATEGORY_NAMES


def channel_names(columns: Iterable[str]) -> dict[str, str]:
    """Channel column -> channel: share of orders per channel, else the study's purchases."""
    ordered = [c for c in columns if c.startswith("channel_share_")]
    return {c: c.removeprefix("channel_share_") for c in ordered} or CHANNELS


def top_categories(features: pd.DataFrame, count: int = 3) -> list[dict]:
    names = category_names(features.columns)
    spend = features[[c for c in names if c in features.columns]].sum()
    total = float(spend.sum()) or 1.0
    ranked = spend.sort_values(ascending=False).head(count)
    return [{"category": names[c], "share": float(v / total)} for c, v in ranked.items()]


def preferred_channel(features: pd.DataFrame) -> str:
    names = channel_names(features.columns)
    totals = features[[c for c in names if c in features.columns]].sum()
    return names[str(totals.idxmax())] if len(totals) and totals.max() > 0 else "unknown"


# -- live figures of the stored customers ---------------------------------------------------------


@dataclass
class Figures:
    """Segment figures computed from the customers currently in the store."""

    model_version: str
    customers: int
    base_response_rate: float | None
    segments: list[dict]
    missing_personas: list[str]
    persona_set: str = "study"  # the model's personas (model.persona_sets.personas_of)
    personas: tuple[Persona, ...] = ()  # the model's own set (carried in the model)
    # persona id -> the figures of its segment behind its description ("income 78,519 (all ...)")
    backing: dict[str, list[str]] = field(default_factory=dict)
    # Per persona: predicted value and revenue at risk (`lifetime_figures.py`); None when the
    # customers carry no lifetime predictions (no lifetime model).
    lifetime: dict[str, dict] | None = None

    def persona(self, persona_id: str) -> list[dict]:
        return [s for s in self.segments if s["persona"] == persona_id]

    def find(self, persona_id: str) -> Persona | None:
        return next((p for p in self.personas if p.id == persona_id), None)

    @property
    def unmatched(self) -> list[dict]:
        """Segments no persona's rule matched (named from their profile)."""
        return [s for s in self.segments if is_unmatched(s["persona"])]


def compute_figures(model: SegmentModel, customers: pd.DataFrame) -> Figures:
    """The model's segments' figures for these customers (scored with the model)."""
    assignment = model.assign(customers)
    names = [
        SegmentName(s["cluster"], s["persona"], s["name"], s["primary"], s["fit"])
        for s in model.segments
    ]
    response = customers.get("Response")
    segments = segment_figures(
        assignment.features.reset_index(drop=True),
        assignment.cluster,
        names,
        None if response is None else response.reset_index(drop=True),
    )
    base = None if response is None else float(np.mean(response))
    expectations = segment_expectations(assignment.table())
    for segment in segments:
        segment.update(
            expectations.get(
                segment["cluster"], {"expected_responders": None, "top_decile_share": None}
            )
        )
    present = {s["persona"] for s in segments}
    lifetime = None
    if has_lifetime_columns(customers):
        expected = dict.fromkeys(s["persona"] for s in model.segments)
        lifetime = persona_lifetime(assignment.persona, customers, expected)
    return Figures(
        model.version,
        len(customers),
        base,
        segments,
        [p.id for p in model.personas if p.id not in present],
        model.card.persona_set,
        tuple(model.personas),
        {p.id: distinguishing_figures(model, p.id) for p in model.personas},
        lifetime,
    )


# -- per persona (a persona's segments together) --------------------------------------------------


def persona_numbers(figures: Figures, persona_id: str) -> dict[str, Any] | None:
    """The persona's live numbers (summed over its segments), or None when it has none."""
    segments = figures.persona(persona_id)
    if not segments:
        return None
    size = sum(s["size"] for s in segments)
    rate = weighted(segments, "response_rate")
    base = figures.base_response_rate
    return {
        "size": size,
        "share": sum(s["share"] for s in segments),
        "revenue_share": sum(s["revenue_share"] for s in segments),
        "avg_spend": weighted(segments, "avg_spend"),
        "avg_income": weighted(segments, "avg_income"),
        "response_rate": rate,
        "lift": rate / base if rate is not None and base else None,
        "top_categories": combined_categories(segments),
        "preferred_channel": combined_channel(segments),
        "segments": [s["name"] for s in segments],
        **response_numbers(segments),
    }


def response_numbers(segments: list[dict]) -> dict[str, float | None]:
    """Expected responders to an offer to all of the persona, and the share of it in the top
    propensity decile (None without a response model)."""
    if any(s.get("expected_responders") is None for s in segments):
        return {"expected_responders": None, "top_decile_share": None}
    return {
        "expected_responders": sum(s["expected_responders"] for s in segments),
        "top_decile_share": weighted(segments, "top_decile_share"),
    }


def weighted(segments: list[dict], key: str) -> float | None:
    """The size-weighted mean of a per-segment average (None if any segment lacks it)."""
    if len(segments) == 1:
        return segments[0][key]
    if any(s[key] is None for s in segments):
        return None
    return sum(s[key] * s["size"] for s in segments) / sum(s["size"] for s in segments)


def combined_categories(segments: list[dict], count: int = 3) -> list[dict]:
    """Top product categories by share of spend, over all the persona's segments."""
    if len(segments) == 1:
        return segments[0]["top_categories"]
    totals = profile_totals(segments, category_names(segments[0]["profile"]))
    spend = sum(totals.values()) or 1.0
    ranked = sorted(totals.items(), key=lambda item: item[1], reverse=True)[:count]
    return [{"category": name, "share": value / spend} for name, value in ranked]


def combined_channel(segments: list[dict]) -> str:
    if len(segments) == 1:
        return segments[0]["preferred_channel"]
    totals = profile_totals(segments, channel_names(segments[0]["profile"]))
    return max(totals, key=totals.get) if totals else "unknown"


def profile_totals(segments: list[dict], columns: dict[str, str]) -> dict[str, float]:
    """Sum over segments of a profile mean times the segment size, per readable name."""
    return {
        name: sum(s["profile"].get(column, 0.0) * s["size"] for s in segments)
        for column, name in columns.items()
    }


def persona_figures(
    personas: pd.Series, spend: pd.Series, response: pd.Series | None, expected: Iterable[str]
) -> list[dict]:
    """Customers, share, revenue, average spend and response rate per persona (zeros included).

    (`customers` is the persona's size; the name is kept for the digest template's variables.)
    """
    frame = pd.DataFrame(
        {
            "persona": personas.to_numpy(),
            "spend": spend.to_numpy(dtype=float),
            "response": np.nan if response is None else response.to_numpy(dtype=float),
        }
    )
    grouped = frame.groupby("persona").agg(
        customers=("spend", "size"), revenue=("spend", "sum"), response=("response", "mean")
    )
    total = max(len(frame), 1)
    out = []
    for persona in ordered_personas([*expected, *grouped.index]):
        count = int(grouped["customers"].get(persona, 0))
        revenue = float(grouped["revenue"].get(persona, 0.0))
        rate = grouped["response"].get(persona, np.nan)
        out.append(
            {
                "persona": persona,
                "customers": count,
                "share": count / total,
                "revenue": revenue,
                "avg_spend": revenue / count if count else None,
                "response_rate": None if pd.isna(rate) else float(rate),
            }
        )
    return out


def ordered_personas(ids: Iterable[str]) -> list[str]:
    """Distinct persona ids, the known personas first in their order, then any others."""
    wanted = set(ids)
    known = [p.id for personas in PERSONA_SETS.values() for p in personas if p.id in wanted]
    return known + sorted(wanted - set(known))
