"""`/segment customer <id>`: one customer's persona, why, how sure, and what to do next."""

from __future__ import annotations

from smartcart.engine.model import PERSONAS_BY_ID
from smartcart.engine.reports import money, percent
from smartcart.slack.blockkit import (
    actions,
    context_block,
    fields_section,
    header,
    playbook_button,
    section,
    strip_control_characters,
    truncate,
)
from smartcart.slack.bot_engine import BotContext
from smartcart.slack.dispatch import Answer, Request, UserError, handles
from smartcart.slack.subcommands.formatting import months

LARGEST_ID = 2**63 - 1


@handles(
    "customer", "customer <id>", "Persona, reasons, confidence and next best action of one customer"
)
def customer(ctx: BotContext, args: list[str], request: Request) -> Answer:
    customer_id = parse_customer_id(args)
    explanation = ctx.service.explain(customer_id)
    version = ctx.service.live_version()
    if explanation is None:
        message = f"No customer {customer_id} in the current data (model {version})."
        return Answer(
            text=message, blocks=[section(message)], audit={"rows": 0, "detail": "not found"}
        )
    persona = PERSONAS_BY_ID[explanation.persona]
    facts = explanation.facts
    why = "\n".join(f"• {driver}" for driver in explanation.drivers)
    likelihood = f"\n*Next offer:* {explanation.likelihood}" if explanation.likelihood else ""
    blocks = [
        header(f"Customer {customer_id}: {explanation.segment_name}"),
        section(
            f"*{explanation.segment_name}* ({persona.description.lower().rstrip('.')})\n"
            f"*Confidence:* {percent(explanation.confidence, 0)} ({explanation.confidence_label})"
            f"{likelihood}"
        ),
        section(f"*Why this persona*\n{why}"),
        fields_section(
            [
                f"*Customer for*\n{months(facts['tenure_days'])}",
                f"*Last purchase*\n{facts['days_since_last_purchase']} days ago",
                f"*Preferred channel*\n{facts['preferred_channel']}",
                f"*Spent in 2 years*\n{money(facts['total_spending'])}",
            ]
        ),
        section(f"*Next best action:* {persona.next_action}"),
        actions([playbook_button(persona.id, f"Open the {persona.short} playbook")]),
        context_block(f"Model {version} · this lookup is recorded in the audit trail"),
    ]
    text = (
        f"Customer {customer_id}: {explanation.segment_name} "
        f"(confidence {percent(explanation.confidence, 0)}). "
        + (f"Next offer: {explanation.likelihood}. " if explanation.likelihood else "")
        + f"Next: {persona.next_action}"
    )
    return Answer(text=text, blocks=blocks, audit={"rows": 1, "detail": explanation.persona})


def parse_customer_id(args: list[str]) -> int:
    if not args:
        raise UserError("Which customer? Try `/segment customer 5524`.")
    raw = args[0]
    if not (raw.isascii() and raw.isdigit()) or len(args) > 1:
        shown = truncate(strip_control_characters(" ".join(args)), 40)  # escaped by dispatch
        raise UserError(f"Customer ids are whole numbers, like `customer 5524` (got `{shown}`).")
    value = int(raw)
    if value > LARGEST_ID:
        raise UserError(
            f"No customer {raw[:30]}{'…' if len(raw) > 30 else ''}: ids are at most 19 digits."
        )
    return value
