"""PNG charts: model selection (elbow and silhouette), segment profiles, and segment sizes.

Uses matplotlib's object API (no pyplot), which is safe to call from the bot's worker threads.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

PERSONA_COLORS = {
    "premium": "#7b3294",
    "family_budget": "#e66101",
    "digital_active": "#2c7bb6",
    "moderate_loyal": "#4dac26",
    "champions": "#7b3294",
    "loyal_regulars": "#4dac26",
    "new_customers": "#2c7bb6",
    "at_risk": "#d7191c",
    "bargain_hunters": "#e66101",
    "hibernating": "#878787",
}
PROFILE_ROWS = [
    "Income",
    "TotalSpending",
    "TotalPurchases",
    "Children",
    "NumDealsPurchases",
    "NumWebVisitsMonth",
    "AcceptedCampaigns",
    "Age",
    "Tenure",
    # customers from orders
    "Recency",
    "AverageOrderValue",
    "DaysBetweenOrders",
    "Orders365d",
    "DealShare",
    "RefundShare",
]


def selection_chart(candidates: list[dict], chosen: dict, elbow_k: int | None, path: Path) -> Path:
    figure = Figure(figsize=(10, 4), dpi=100)
    elbow, silhouette = figure.subplots(1, 2)
    for algorithm, marker in (("kmeans", "o"), ("agglomerative", "s")):
        points = sorted(
            (c["k"], c["inertia"], c["silhouette"])
            for c in candidates
            if c["algorithm"] == algorithm
        )
        if not points:
            continue
        ks, inertia, sil = zip(*points, strict=True)
        elbow.plot(ks, inertia, marker=marker, label=algorithm)
        silhouette.plot(ks, sil, marker=marker, label=algorithm)
    if elbow_k is not None:
        elbow.axvline(elbow_k, color="grey", linestyle="--", label=f"knee k={elbow_k}")
    silhouette.axvline(chosen["k"], color="black", linestyle=":", label=f"chosen k={chosen['k']}")
    elbow.set(title="Elbow (within-cluster sum of squares)", xlabel="k", ylabel="inertia")
    silhouette.set(title="Silhouette", xlabel="k", ylabel="silhouette")
    elbow.legend()
    silhouette.legend()
    figure.tight_layout()
    figure.savefig(path)
    return path


def profile_chart(segments: list[dict], population: dict, path: Path) -> Path:
    rows = [f for f in PROFILE_ROWS if f in segments[0]["profile"]]
    z = np.array(
        [
            [(s["profile"][f] - population[f]["mean"]) / population[f]["std"] for s in segments]
            for f in rows
        ]
    )
    figure = Figure(figsize=(2 + 1.9 * len(segments), 0.5 * len(rows) + 2), dpi=100)
    axes = figure.subplots()
    image = axes.imshow(z, cmap="RdBu_r", vmin=-2, vmax=2, aspect="auto")
    axes.set_xticks(range(len(segments)), [_wrap(s["name"]) for s in segments], fontsize=8)
    axes.set_yticks(range(len(rows)), rows)
    for i in range(len(rows)):
        for j in range(len(segments)):
            axes.text(j, i, f"{z[i, j]:+.1f}", ha="center", va="center", fontsize=8)
    axes.set_title("Segment profiles (standard deviations from the average customer)")
    figure.colorbar(image, ax=axes)
    figure.tight_layout()
    figure.savefig(path)
    return path


def summary_chart(segments: list[dict], path: Path, title: str = "Segments") -> Path:
    figure = Figure(figsize=(8, 4), dpi=100)
    axes = figure.subplots()
    positions = np.arange(len(segments))
    axes.bar(
        positions - 0.2,
        [100 * s["share"] for s in segments],
        0.4,
        label="% of customers",
        color=[PERSONA_COLORS.get(s["persona"], "grey") for s in segments],
        alpha=0.55,
    )
    axes.bar(
        positions + 0.2,
        [100 * s["revenue_share"] for s in segments],
        0.4,
        label="% of revenue",
        color=[PERSONA_COLORS.get(s["persona"], "grey") for s in segments],
    )
    axes.set_xticks(positions, [_wrap(s["name"]) for s in segments], fontsize=8)
    axes.set_ylabel("%")
    axes.set_title(title)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path)
    return path


def history_chart(
    periods: list[str], sizes: dict[str, list[int]], names: dict[str, str], path: Path
) -> Path:
    """Segment sizes over the last digests (one line per persona)."""
    figure = Figure(figsize=(8, 4), dpi=100)
    axes = figure.subplots()
    for persona, values in sizes.items():
        axes.plot(
            periods,
            values,
            marker="o",
            label=names.get(persona, persona),
            color=PERSONA_COLORS.get(persona),
        )
    axes.set_ylabel("customers")
    axes.set_title("Segment sizes by digest period")
    axes.legend(fontsize=8)
    figure.autofmt_xdate()
    figure.tight_layout()
    figure.savefig(path)
    return path


def _wrap(name: str) -> str:
    words = name.split()
    middle = (len(words) + 1) // 2
    return " ".join(words[:middle]) + "\n" + " ".join(words[middle:])
