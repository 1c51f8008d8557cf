"""The model report an analyst reads (the figures come from `smartcart.engine.reports.figures`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from smartcart.engine.model import (
    Evaluation,
    description_warnings,
    distinguishing_figures,
    is_unmatched,
    report_section,
)


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
        f"Trained {card.trained_at} on `{card.data.source}` "
        f"(sha256 `{card.data.sha256[:16]}…`), as of {card.as_of}.",
        "",
        "## Data",
        f"- rows read {card.rows.read}, used {card.rows.used}, quarantined {card.rows.quarantined}",
        *[f"- {note}" for note in card.notes],
    ]
    lines += quarantine_lines(quarantine)
    lines += _candidate_section(model)
    lines += _persona_section(model)
    lines += persona_descriptions(model)
    lines += warning_lines(model)
    lines += report_section(getattr(model, "response", None))
    lines += ["", "## Charts", ""] + [f"![{name}]({p.name})" for name, p in charts.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def quarantine_lines(quarantine: pd.DataFrame) -> list[str]:
    """The first quarantined rows: customers by their ID, order lines by their order (a
    customer key may be an email, and its number is only a hash of it)."""
    if not len(quarantine):
        return []
    key = "ID" if "ID" in quarantine.columns else "order_id"
    title = "rows" if key == "ID" else "order lines"
    shown = quarantine.head(20)
    return [
        "",
        f"Quarantined {title} (first 20; all of them in quarantine.csv):",
        "",
        f"| line | {'ID' if key == 'ID' else 'order'} | reason |",
        "|---|---|---|",
        *[f"| {r['line']} | {r[key]} | {r['reason']} |" for r in shown.to_dict("records")],
    ]


def _candidate_section(model) -> list[str]:
    card = model.card
    metrics = card.metrics
    lines = [
        "",
        "## Model selection",
        f"Chosen: **{card.algorithm}**, k = {card.k} ({card.selection}).",
        f"K-Means elbow knee at k = {card.elbow_k or 'n/a (K-Means not evaluated)'}.",
        f"Silhouette {_number(metrics.silhouette)}, stability (mean ARI of "
        f"{card.refits} refits on 80% subsamples) {_number(metrics.stability_ari)}, "
        f"assignment agreement {_percent(metrics.assignment_agreement)}.",
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
    return lines + _evaluation_lines(card.evaluation)


def _evaluation_lines(evaluation: Evaluation | None) -> list[str]:
    """What was done at which size: the sample, the refits, the final fit, what was skipped."""
    if evaluation is None:
        return []
    sampled = (
        f"all {evaluation.rows:,} customers"
        if evaluation.sample_rows >= evaluation.rows
        else f"a random {evaluation.sample_rows:,} of the {evaluation.rows:,} customers"
    )
    lines = [
        "",
        "### What was done at which size",
        "",
        f"- Candidates were fitted and measured on {sampled}; each stability refit on "
        f"{evaluation.refit_rows:,} of them ({evaluation.refits} refits, "
        f"{evaluation.jobs} worker process(es) for Ward's trees).",
        f"- Final model: {evaluation.final_fit}.",
    ]
    skipped = evaluation.stability_skipped
    if skipped:
        lines.append(
            f"- Stability was measured where the rule needs it ({evaluation.stability_measured})"
            "; not for the others (n/a above):"
        )
        lines += [f"  - {names}: {reason}" for reason, names in skipped.items()]
    return lines


def _persona_section(model) -> list[str]:
    if model.contract == "orders":
        return _order_persona_section(model)
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
            f"| {s['cluster']} | {flagged(s)} | {s['size']} | {s['share']:.1%} "
            f"| {s['revenue_share']:.1%} | {s['avg_spend']:,.0f} | {s['avg_income']:,.0f} "
            f"| {_percent(s['response_rate'])} | {lift} | {p['Children']:.2f} "
            f"| {p['NumDealsPurchases']:.2f} | {p['NumWebVisitsMonth']:.2f} |"
        )
    return lines + _missing(model)


def flagged(segment: dict) -> str:
    """A segment's name, marked when no persona's rule matched it."""
    if is_unmatched(segment["persona"]):
        return f"{segment['name']} (no persona matched)"
    return segment["name"]


def _order_persona_section(model) -> list[str]:
    """Customers from orders: recency, frequency, spend and discount share per segment."""
    lines = [
        "",
        "## Personas",
        "",
        "| segment | persona | customers | share | revenue | avg revenue | orders "
        "| days since last order | customer for (days) | on discount | channel |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in model.segments:
        p = s["profile"]
        lines.append(
            f"| {s['cluster']} | {flagged(s)} | {s['size']} | {s['share']:.1%} "
            f"| {s['revenue_share']:.1%} | {s['avg_spend']:,.0f} | {p['TotalPurchases']:.1f} "
            f"| {p['Recency']:.0f} | {p['Tenure']:.0f} | {p['DealShare']:.0%} "
            f"| {s['preferred_channel']} |"
        )
    return lines + _missing(model)


def _missing(model) -> list[str]:
    missing = model.card.missing_personas
    unmatched = [s["name"] for s in model.segments if is_unmatched(s["persona"])]
    lines = []
    if unmatched:
        lines += [
            "",
            "Segments no persona's rule matched (named from their profile): "
            + ", ".join(unmatched),
        ]
    if missing:
        lines += [
            "",
            f"Personas without a segment in this model (k={model.card.k}): " + ", ".join(missing),
        ]
    return lines


def persona_descriptions(model) -> list[str]:
    """Each persona's description with the figures of its segment that back it."""
    lines = ["", f"### The personas ({model.card.persona_set} set)", ""]
    for persona in model.personas:
        figures = distinguishing_figures(model, persona.id)
        backed = "; ".join(figures) if figures else "no segment in this model"
        lines.append(f"- **{persona.name}** (`{persona.id}`): {persona.description} {backed}.")
    return lines


def warning_lines(model) -> list[str]:
    """Where a segment's profile contradicts its persona's description (or matched none)."""
    warnings = description_warnings(model)
    if not warnings:
        return []
    return ["", "### Warnings", "", *[f"- {w}" for w in warnings]]
