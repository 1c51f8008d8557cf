"""`/segment personas`: the live model's personas (the study's four, or the six of order
data), one line each, with their size in the live model."""

from __future__ import annotations

from smartcart.engine.model import personas_of
from smartcart.engine.reports import percent
from smartcart.slack.blockkit import actions, context_block, header, playbook_button, section
from smartcart.slack.bot_engine import BotContext
from smartcart.slack.dispatch import Answer, Request, handles


@handles("personas", "personas", "The personas, one line each")
def personas(ctx: BotContext, args: list[str], request: Request) -> Answer:
    figures = ctx.service.figures()
    lines = []
    known = personas_of(figures.persona_set)
    for persona in known:
        segments = figures.persona(persona.id)
        if segments:
            share = sum(s["share"] for s in segments)
            size = f"{sum(s['size'] for s in segments):,} customers ({percent(share)})"
        else:
            size = "no segment in the current model"
        lines.append(f"*{persona.name}* (`{persona.id}`): {persona.description} {size}.")
    blocks = [
        header("Personas"),
        *[section(line) for line in lines],
        actions([playbook_button(p.id, f"{p.short} playbook") for p in known]),
        context_block(f"Model {figures.model_version}"),
    ]
    return Answer(text="Personas: " + " ".join(lines), blocks=blocks, shareable=True)
