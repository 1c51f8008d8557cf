"""The digest message: the template rendered as one Block Kit message, and its chart.

`render_digest` turns a period's comparison into the message's text, Markdown and blocks and
writes the chart of sizes over the last digests that goes into the message's thread.
`digest_samples` gives the template checks (`smartcart templates check`) contexts that walk
through the template's branches.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from smartcart.engine.history import GONE, NEW, Comparison, Period, persona_name, persona_short
from smartcart.engine.reports import Templates, history_chart
from smartcart.slack.blockkit import context_block, header, split_mrkdwn_sections
from smartcart.slack.dispatch import Answer, finalize

TEMPLATE = "digest.md.j2"


@dataclass
class DigestMessage:
    text: str  # plain-text fallback (notifications)
    markdown: str  # the rendered template
    blocks: list[dict]
    chart: bytes
    chart_name: str


def render_digest(
    comparison: Comparison, period: Period, templates: Templates, chart_path: Path
) -> DigestMessage:
    """The digest as one Block Kit message, and its chart written to `chart_path` (PNG)."""
    markdown = templates.render(TEMPLATE, **template_context(comparison, period)).strip()
    current = comparison.current
    blocks = [
        header(f"Segment digest · {period.label}"),
        *split_mrkdwn_sections(markdown),
        context_block(
            f"Period {period.key} · {current.customers:,} customers from {current.source} · "
            f"model {current.model_version} · chart in the thread"
        ),
    ]
    answer = finalize(Answer(text=fallback_text(comparison, period), blocks=blocks))
    chart_path.parent.mkdir(parents=True, exist_ok=True)
    write_chart(comparison.history, chart_path, comparison.personas)
    return DigestMessage(
        answer.text, markdown, answer.blocks, chart_path.read_bytes(), chart_path.name
    )


def write_chart(
    history: tuple[list[str], dict[str, list[int]]], path: Path, personas: tuple = ()
) -> Path:
    periods, sizes = history
    return history_chart(periods, sizes, {p: persona_name(p, personas) for p in sizes}, path)


def fallback_text(comparison: Comparison, period: Period) -> str:
    warnings = len(comparison.warnings)
    moved = "" if comparison.first else f", {comparison.moved:,} moved between personas"
    flag = f", {warnings} warning{'s' if warnings != 1 else ''}" if warnings else ""
    return f"Segment digest {period.key}: {comparison.current.customers:,} customers{moved}{flag}"


def template_context(comparison: Comparison, period: Period) -> dict[str, Any]:
    previous = comparison.previous
    return {
        "period": period.key,
        "period_label": period.label,
        "previous_period": previous.period if previous else None,
        "first": comparison.first,
        "customers": comparison.current.customers,
        "customer_change": None
        if previous is None
        else comparison.current.customers - previous.customers,
        "model_version": comparison.current.model_version,
        "model_changed": comparison.model_changed,
        "personas": comparison.rows,
        "moved": comparison.moved,
        "joined": comparison.joined,
        "left": comparison.left,
        "moves": [
            {
                **m,
                "from": persona_short(m["from"], comparison.personas),
                "to": persona_short(m["to"], comparison.personas),
            }
            for m in comparison.moves
        ],
        "migration_table": migration_text(comparison.migrations, comparison.personas),
        "warnings": comparison.warnings,
        "churn": comparison.churn,
    }


# Column labels of the migration table, short enough for a phone-width Slack code block.
TABLE_LABELS = {
    "premium": "Premium",
    "family_budget": "Family",
    "digital_active": "Digital",
    "moderate_loyal": "Moderate",
    NEW: "new",
    GONE: "gone",
}


def migration_text(table: pd.DataFrame, personas: tuple = ()) -> str:
    """The from -> to table as fixed-width text (rows: before, columns: now)."""
    if table.empty:
        return "(no earlier digest)"

    def label(persona: str) -> str:
        return TABLE_LABELS.get(persona) or persona_short(persona, personas)[:12]

    width = max(8, *(len(label(p)) for p in [*table.index, *table.columns])) + 1
    lines = ["from\\to".ljust(width) + "".join(label(c).rjust(width) for c in table.columns)]
    for source, row in table.iterrows():
        lines.append(label(source).ljust(width) + "".join(f"{v:,}".rjust(width) for v in row))
    return "\n".join(lines)


def digest_samples() -> dict[str, dict[str, dict]]:
    """Contexts that walk through the digest template's branches (for template checks)."""
    row = {
        "persona": "premium",
        "name": "High-Value Premium Customers",
        "short": "Premium",
        "customers": 410,
        "share": 0.18,
        "revenue": 540000.0,
        "avg_spend": 1317.0,
        "response_rate": 0.31,
    }
    later = {
        "period": "2024-W15",
        "period_label": "week 15 of 2024",
        "previous_period": "2024-W14",
        "first": False,
        "customers": 2240,
        "customer_change": 12,
        "model_version": "v2",
        "model_changed": True,
        "personas": [{**row, "size_change": 12, "share_change": 0.4}],
        "moved": 37,
        "joined": 12,
        "left": 0,
        "moves": [{"from": "Family", "to": "Premium", "customers": 20}],
        "migration_table": "from \\ to  Premium",
        "warnings": [
            "The customers' income shifted since the model was trained: the segments may need retraining"
        ],
        "churn": {
            "at_risk": 120,
            "revenue_at_risk": 8400.0,
            "moved_into_high": 31,
            "moved_worth": 4100.0,
            "moved_worth_now": 900.0,
        },
    }
    first = {
        **later,
        "first": True,
        "previous_period": None,
        "customer_change": None,
        "model_changed": False,
        "personas": [{**row, "size_change": None, "share_change": None}],
        "warnings": [],
        "churn": {**later["churn"], "moved_into_high": None},
    }
    without_lifetime = {**later, "churn": None}
    return {
        TEMPLATE: {
            "first digest": first,
            "with changes and warnings": later,
            "without a lifetime model": without_lifetime,
        }
    }
