"""`/segment customer <id or email>`: one customer's persona, why, how sure, and what to do
next. A model trained on the study's table knows whole-number ids; one trained on orders knows
its customers' own keys too (an email in any case, with spaces around, or as Slack sends a
typed email: `<mailto:jane@shop.com|jane@shop.com>`). Either lookup is audited alike."""

from __future__ import annotations

import re

from smartcart.engine.model import Persona
from smartcart.engine.reports import money, percent
from smartcart.slack.blockkit import (
    actions,
    context_block,
    escape,
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
LONGEST_KEY = 320  # an email's longest
MAILTO = re.compile(r"^<mailto:([^|>]+)(?:\|[^>]*)?>$")


@handles(
    "customer",
    "customer <id or email>",
    "Persona, reasons, confidence and next best action of one customer",
)
def customer(ctx: BotContext, args: list[str], request: Request) -> Answer:
    orders = ctx.service.model.contract == "orders"
    customer_id = parse_customer_id(args, text_ids=orders)
    explanation = ctx.service.explain(customer_id)
    version = ctx.service.live_version()
    if explanation is None:
        message = f"No customer {customer_id} in the current data (model {version})."
        return Answer(
            text=escape(message),
            blocks=[section(escape(message))],
            audit={"rows": 0, "detail": "not found"},
        )
    persona = ctx.service.model.persona(explanation.persona)
    facts = explanation.facts
    why = "\n".join(f"• {escape(driver)}" for driver in explanation.drivers)
    segment_name = escape(explanation.segment_name)
    about = (
        escape(persona.description.lower().rstrip("."))
        if persona
        else "no persona's rule matched this segment; named from its profile"
    )
    likelihood = f"\n*Next offer:* {explanation.likelihood}" if explanation.likelihood else ""
    blocks = [
        header(f"Customer {customer_id}: {explanation.segment_name}"),
        section(
            f"*{segment_name}* ({about})\n"
            f"*Confidence:* {percent(explanation.confidence, 0)} ({explanation.confidence_label})"
            f"{likelihood}"
        ),
        section(f"*Why this persona*\n{why}"),
        fields_section(
            [
                f"*Customer for*\n{months(facts['tenure_days'])}",
                f"*Last purchase*\n{facts['days_since_last_purchase']} days ago",
                f"*Preferred channel*\n{facts['preferred_channel']}",
                f"*{'Revenue, all orders' if orders else 'Spent in 2 years'}*\n"
                f"{money(facts['total_spending'])}",
            ]
        ),
        *lifetime_fields(explanation.lifetime),
        *next_action_blocks(persona),
        context_block(f"Model {version} · this lookup is recorded in the audit trail"),
    ]
    text = (
        f"Customer {customer_id}: {segment_name} "
        f"(confidence {percent(explanation.confidence, 0)}). "
        + (f"Next offer: {explanation.likelihood}. " if explanation.likelihood else "")
        + (f"Next: {escape(persona.next_action)}" if persona and persona.next_action else "")
    )
    return Answer(text=text, blocks=blocks, audit={"rows": 1, "detail": explanation.persona})


def next_action_blocks(persona: Persona | None) -> list[dict]:
    """The persona's next best action and playbook button (nothing for an unmatched segment)."""
    if persona is None:
        return []
    blocks = [section(f"*Next best action:* {escape(persona.next_action)}")]
    if not persona.next_action:
        blocks = []
    label = f"Open the {truncate(persona.short, 30)} playbook"
    return [*blocks, actions([playbook_button(persona.id, label)])]


def lifetime_fields(lifetime: dict | None) -> list[dict]:
    """Predicted value, churn risk and expected next order (customers from orders with a
    lifetime model; nothing otherwise)."""
    if lifetime is None:
        return []
    next_order = lifetime["expected_next_order_at"]
    return [
        fields_section(
            [
                f"*Predicted value, next 12 months*\n{money(lifetime['predicted_clv_365d'])}",
                f"*Churn risk*\n{lifetime['churn_risk']} "
                f"({percent(lifetime['probability_alive'], 0)} likely still a customer)",
                "*Expected next order*\n"
                + ("not expected" if next_order is None else next_order.strftime("%d %b %Y")),
            ]
        )
    ]


def parse_customer_id(args: list[str], text_ids: bool = False) -> int | str:
    """A whole-number id; with `text_ids` (a model trained on orders) any customer key, as
    text: an email is lower-cased and taken out of Slack's mailto link."""
    if not args:
        raise UserError("Which customer? Try `/segment customer 5524`.")
    if text_ids:
        return parse_customer_key(" ".join(args))
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


def parse_customer_key(text: str) -> str:
    raw = strip_control_characters(text).strip()
    linked = MAILTO.match(raw)
    key = linked.group(1).strip() if linked else raw
    if "@" in key:
        key = key.lower()
    if not key:
        raise UserError("Which customer? Try `/segment customer jane@shop.com`.")
    if len(key) > LONGEST_KEY:
        raise UserError(
            f"No customer {truncate(key, 40)}: ids are at most {LONGEST_KEY} characters."
        )
    return key
