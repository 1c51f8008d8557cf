"""The response model's charts for the model report: lift by decile, and reliability.

Both are drawn from the 5-fold out-of-fold predictions kept in the ResponseModel. matplotlib's
object API (no pyplot), as in charts.py.
"""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure

from smartcart.engine.model import ResponseModel


def lift_chart(model: ResponseModel, path: Path) -> Path:
    """Response rate per propensity decile against the base rate, and cumulative gains."""
    table = sorted(model.lift_table, key=lambda row: -row["decile"])
    base = float(model.metrics["base_rate"])
    figure = Figure(figsize=(10, 4), dpi=100)
    bars, gains = figure.subplots(1, 2)
    labels = [str(row["decile"]) for row in table]
    bars.bar(labels, [row["lift"] for row in table], color="#2c7bb6")
    bars.axhline(1.0, color="grey", linestyle="--", label=f"base rate {base:.1%} (lift 1x)")
    bars.set(
        title="Lift by propensity decile (5-fold CV)",
        xlabel="decile (10 = most likely)",
        ylabel="response rate / base rate",
    )
    bars.legend()
    shares = [0.0] + [(i + 1) / len(table) for i in range(len(table))]
    captured = [0.0] + [row["captured"] for row in table]
    gains.plot(shares, captured, marker="o", label="response model")
    gains.plot([0, 1], [0, 1], color="grey", linestyle="--", label="random")
    gains.set(
        title="Cumulative gains",
        xlabel="share of customers contacted, most likely first",
        ylabel="share of responders reached",
    )
    gains.legend()
    figure.tight_layout()
    figure.savefig(path)
    return path


def reliability_chart(model: ResponseModel, path: Path) -> Path:
    """Predicted against observed response rate (calibration), on out-of-fold predictions."""
    figure = Figure(figsize=(5, 5), dpi=100)
    axes = figure.subplots()
    predicted = [row["predicted"] for row in model.reliability]
    observed = [row["observed"] for row in model.reliability]
    top = max([*predicted, *observed, 0.05]) * 1.05
    axes.plot([0, top], [0, top], color="grey", linestyle="--", label="perfectly calibrated")
    axes.plot(predicted, observed, marker="o", label=model.estimator.replace("_", " "))
    axes.set(
        title=f"Reliability (Brier {model.metrics['brier']})",
        xlabel="predicted probability to respond",
        ylabel="observed response rate",
        xlim=(0, top),
        ylim=(0, top),
    )
    axes.legend()
    figure.tight_layout()
    figure.savefig(path)
    return path
