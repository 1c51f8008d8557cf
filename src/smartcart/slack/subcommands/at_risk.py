"""`/segment at-risk [persona]`: customers at high churn risk per persona, and what they are worth.

Counts only (how many customers, their predicted value over the next 12 months); the customers
themselves are an export, customer-level data: each persona's *Export* button asks
`/segment export <persona> churn-risk=high` (`listeners/actions/export_button.py`), which goes
through the export's access check and audit trail like the typed command. The button is shown
only where the person asking may export. The lines of predicted value and revenue at risk per
persona are shared with the summary (`value_lines`).
"""

from __future__ import annotations

from smartcart.engine.history import persona_name, persona_short
from smartcart.engine.model import Persona
from smartcart.engine.reports import Figures, empty_lifetime, lifetime_totals, money, percent
from smartcart.slack.access import decide
from smartcart.slack.blockkit import actions, button, context_block, escape, header, section
from smartcart.slack.bot_engine import BotContext
from smartcart.slack.dispatch import Answer, Request, UserError, handles
from smartcart.slack.subcommands.playbook import find_persona

EXPORT_AT_RISK_ACTION = "export_at_risk"
NO_LIFETIME = (
    "The live model has no lifetime model, so there is no churn risk to count: train on an "
    "order history (Shopify, WooCommerce or order lines) with at least 500 customers over "
    "180 days."
)


@handles(
    "at-risk",
    "at-risk [persona]",
    "Customers at high churn risk per persona and their predicted value, with an export button",
)
def at_risk(ctx: BotContext, args: list[str], request: Request) -> Answer:
    figures = ctx.service.figures()
    if figures.lifetime is None:
        raise UserError(NO_LIFETIME)
    rows = figures.lifetime
    if args:
        persona = find_persona(args, "at-risk", ctx.service.model.personas)
        rows = {persona.id: rows.get(persona.id) or empty_lifetime(persona.id)}
    totals = lifetime_totals(rows)
    blocks = [
        header("Customers at high churn risk"),
        context_block(
            f"{totals['at_risk']:,} of {totals['customers']:,} customers · "
            f"{money(totals['revenue_at_risk'])} of predicted value over the next 12 months · "
            f"model {figures.model_version}"
        ),
    ]
    can_export = decide(ctx.settings, request).allowed  # as an export of theirs would be
    personas = figures.personas  # the live model's, a retailer's own included
    for persona_id, row in rows.items():
        blocks.append(section(at_risk_line(row, personas)))
        if can_export and row["at_risk"]:
            blocks.append(actions([export_button(persona_id, personas)]))
    blocks.append(context_block(export_note(can_export)))
    return Answer(text=fallback(rows, totals, personas), blocks=blocks)


def at_risk_line(row: dict, personas: tuple[Persona, ...] = ()) -> str:
    name = escape(persona_name(row["persona"], personas))
    share = row["at_risk"] / row["customers"] if row["customers"] else 0.0
    return (
        f"*{name}*: {row['at_risk']:,} of {row['customers']:,} customers at high risk "
        f"({percent(share)}), worth {money(row['revenue_at_risk'])} over the next 12 months"
    )


def export_button(persona_id: str, personas: tuple[Persona, ...] = ()) -> dict:
    """Export this persona's high-risk customers (answered like `export <persona>
    churn-risk=high`); the action id carries the persona so buttons stay distinct."""
    short = persona_short(persona_id, personas)
    return button(
        f"Export {short} (high risk)", f"{EXPORT_AT_RISK_ACTION}:{persona_id}", persona_id
    )


def export_note(can_export: bool) -> str:
    if can_export:
        return (
            "High risk: probability of still being a customer below 30%. An export's file "
            "comes to our direct messages and is recorded."
        )
    return (
        "High risk: probability of still being a customer below 30%. Exports of these "
        "customers are not enabled here."
    )


def fallback(rows: dict[str, dict], totals: dict, personas: tuple[Persona, ...] = ()) -> str:
    parts = [f"{escape(persona_name(p, personas))} {row['at_risk']:,}" for p, row in rows.items()]
    return (
        f"Customers at high churn risk: {totals['at_risk']:,} "
        f"({money(totals['revenue_at_risk'])} predicted value): " + "; ".join(parts)
    )


def value_lines(figures: Figures) -> list[str]:
    """Each persona's predicted value and revenue at risk (the summary's lifetime lines)."""
    lifetime = figures.lifetime or {}
    return [
        f"*{escape(persona_name(p, figures.personas))}*: {money(row['predicted_value'])} "
        f"predicted over the next 12 months · {money(row['revenue_at_risk'])} at risk "
        f"({row['at_risk']:,} customers at high churn risk)"
        for p, row in lifetime.items()
        if row["customers"]
    ]
