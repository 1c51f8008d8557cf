"""`/segment personas`: the live model's personas (the study's four, or the six of order
data), one line each, with their size in the live model."""

from __future__ import annotations

from smartcart.engine.model import personas_of
from smartcart.engine.reports import percent
from smartcart.slack.blockkit import (
    actions,
    context_block,
    escape,
    header,
    playbook_button,
    section,
    truncate,
)
from smartcart.slack.bot_engine import BotContext
from smartcart.slack.dispatch import Answer, Request, handles


@handles("personas", "personas", "The personas, one line each")
def personas(ctx: BotContext, args: list[str], request: Request) -> Answer:
    figures = ctx.service.figures()
    lines = []
    known = list(figures.personas) or personas_of(figures.persona_set)
    for persona in known:
        segments = figures.persona(persona.id)
        if segments:
            share = sum(s["share"] for s in segments)
            size = f"{sum(s['size'] for s in segments):,} customers ({percent(share)})"
        else:
            size = "no segment in the current model"
        backing = figures.backing.get(persona.id)
        behind = f"\n_{escape('; '.join(backing))}_" if backing else ""
        lines.append(
            f"*{escape(persona.name)}* (`{persona.id}`): {escape(persona.description)} "
            f"{size}.{behind}"
        )
    lines += [
        f"*{escape(s['name'])}*: no persona's rule matched this segment, "
        f"{s['size']:,} customers ({percent(s['share'])})."
        for s in figures.unmatched
    ]
    blocks = [
        header("Personas"),
        *[section(line) for line in lines],
        *[
            actions([playbook_button(p.id, truncate(f"{p.short} playbook", 75)) for p in group])
            for group in batches(known, 25)
        ],
        context_block(f"Model {figures.model_version}"),
    ]
    return Answer(text="Personas: " + " ".join(lines), blocks=blocks, shareable=True)


def batches(items: list, size: int) -> list[list]:
    """Slack takes at most 25 elements in one actions block."""
    return [items[start : start + size] for start in range(0, len(items), size)]
