"""A campaign readout as a picture: the target's and the control's response rates, each with its
95% Wilson interval, so a marketer sees at a glance whether the two overlap."""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure

from smartcart.engine.marketing.readouts import GroupResult, Readout, wilson_interval

TARGET_COLOR = "#2a6fdb"
CONTROL_COLOR = "#9aa5b1"


def readout_chart(result: Readout, path: Path) -> Path:
    """Write the PNG and return its path."""
    groups = [("Target", result.target, TARGET_COLOR), ("Control", result.control, CONTROL_COLOR)]
    rates, errors = [], [[], []]
    for _, group, _ in groups:
        rate, (low, high) = rate_and_interval(group)
        rates.append(100 * rate)
        errors[0].append(100 * (rate - low))
        errors[1].append(100 * (high - rate))
    figure = Figure(figsize=(6, 4), dpi=100)
    axes = figure.subplots()
    labels = [f"{name}\n{group.size:,} customers" for name, group, _ in groups]
    axes.bar(labels, rates, color=[color for *_, color in groups], width=0.5)
    axes.errorbar(labels, rates, yerr=errors, fmt="none", ecolor="black", capsize=8)
    for position, rate in enumerate(rates):
        axes.annotate(
            f"{rate:.1f}%", (position, rate), textcoords="offset points", xytext=(18, 4), fontsize=9
        )
    axes.set_ylabel("Response rate (%), 95% interval")
    axes.set_ylim(bottom=0)
    axes.set_title(f"Campaign {result.campaign}: {short_verdict(result)}", fontsize=10)
    figure.tight_layout()
    figure.savefig(path)
    return Path(path)


def rate_and_interval(group: GroupResult) -> tuple[float, tuple[float, float]]:
    if not group.size:
        return 0.0, (0.0, 0.0)
    return group.responders / group.size, wilson_interval(group.responders, group.size)


def short_verdict(result: Readout) -> str:
    first = result.verdict.split(".")[0]
    return first if len(first) <= 60 else first[:57] + "..."
