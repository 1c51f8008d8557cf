"""Figures per segment, drift references, and the model report an analyst reads."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from segmentation import schema
from segmentation.features import PROFILE_FEATURES
from segmentation.personas import SegmentName
from segmentation.propensity import report_section

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
PSI_BINS = 10


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
                "avg_income": float(segment["Income"].mean()),
                "response_rate": rate,
                "lift": rate / base_rate if rate is not None and base_rate else None,
                "top_categories": top_categories(segment),
                "preferred_channel": preferred_channel(segment),
                "profile": {
                    f: float(segment[f].mean()) for f in PROFILE_FEATURES if f in segment.columns
                },
            }
        )
    return out


def top_categories(features: pd.DataFrame, count: int = 3) -> list[dict]:
    spend = features[schema.SPENDING_COLUMNS].sum()
    total = float(spend.sum()) or 1.0
    ranked = spend.sort_values(ascending=False).head(count)
    return [{"category": CATEGORY_NAMES[c], "share": float(v / total)} for c, v in ranked.items()]


def preferred_channel(features: pd.DataFrame) -> str:
    totals = features[list(CHANNELS)].sum()
    return CHANNELS[str(totals.idxmax())]


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


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def _number(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None or not np.isfinite(value) else f"{value:.{digits}f}"


def write_model_report(
    model, quarantine: pd.DataFrame, path: Path, charts: dict[str, Path]
) -> Path:
    """The analyst's Markdown report: data, candidates, the choice, stability, personas."""
    card = model.card
    lines = [
        f"# SmartCart model {model.version}",
        "",
        f"Trained {card['trained_at']} on `{card['data']['source']}` "
        f"(sha256 `{card['data']['sha256'][:16]}…`), as of {card['as_of']}.",
        "",
        "## Data",
        f"- rows read {card['rows']['read']}, used {card['rows']['used']}, "
        f"quarantined {card['rows']['quarantined']}",
        *[f"- {note}" for note in card["notes"]],
    ]
    if len(quarantine):
        lines += ["", "Quarantined rows (first 20; all of them in quarantine.csv):", ""]
        lines += ["| line | ID | reason |", "|---|---|---|"]
        lines += [f"| {r.line} | {r.ID} | {r.reason} |" for r in quarantine.head(20).itertuples()]
    lines += _candidate_section(model)
    lines += _persona_section(model)
    lines += report_section(getattr(model, "response", None))
    lines += ["", "## Charts", ""] + [f"![{name}]({p.name})" for name, p in charts.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def _candidate_section(model) -> list[str]:
    card = model.card
    metrics = card["metrics"]
    lines = [
        "",
        "## Model selection",
        f"Chosen: **{card['algorithm']}**, k = {card['k']} ({card['selection']}).",
        f"K-Means elbow knee at k = {card['elbow_k'] or 'n/a (K-Means not evaluated)'}.",
        f"Silhouette {_number(metrics['silhouette'])}, stability (mean ARI of "
        f"{card['refits']} refits on 80% subsamples) {_number(metrics['stability_ari'])}, "
        f"assignment agreement {_percent(metrics['assignment_agreement'])}.",
        "",
        "| algorithm | k | inertia | silhouette | Calinski-Harabasz | Davies-Bouldin "
        "| stability | min stability | smallest | noise |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for c in model.candidates:
        lines.append(
            f"| {c['algorithm']} | {c['k']} | {c['inertia']:.0f} | {_number(c['silhouette'])} "
            f"| {_number(c['calinski_harabasz'], 0)} | {_number(c['davies_bouldin'])} "
            f"| {_number(c['stability_ari'])} | {_number(c['stability_min'])} "
            f"| {_percent(c['smallest_share'])} | {_percent(c['noise_share'])} |"
        )
    return lines


def _persona_section(model) -> list[str]:
    lines = [
        "",
        "## Personas",
        "",
        "| segment | persona | customers | share | revenue | avg spend | avg income | response "
        "| lift | children | deals | web visits |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in model.segments:
        p = s["profile"]
        lift = "n/a" if s["lift"] is None else f"{s['lift']:.2f}x"
        lines.append(
            f"| {s['cluster']} | {s['name']} | {s['size']} | {s['share']:.1%} "
            f"| {s['revenue_share']:.1%} | {s['avg_spend']:,.0f} | {s['avg_income']:,.0f} "
            f"| {_percent(s['response_rate'])} | {lift} | {p['Children']:.2f} "
            f"| {p['NumDealsPurchases']:.2f} | {p['NumWebVisitsMonth']:.2f} |"
        )
    missing = model.card.get("missing_personas") or []
    if missing:
        lines += [
            "",
            f"Personas without a segment in this model (k={model.card['k']}): "
            + ", ".join(missing),
        ]
    return lines
