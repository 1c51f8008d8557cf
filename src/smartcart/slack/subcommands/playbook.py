"""`/segment playbook <persona> [share]`: the persona's playbook, from its template, live numbers.

The summary's and personas' buttons (`open_playbook:<id>`) are answered by this same handler.
"""

from __future__ import annotations

import logging
from pathlib import Path

from smartcart.engine.model import PERSONAS, Persona, choices, resolve_persona
from smartcart.engine.reports import (
    Playbook,
    TemplateProblem,
    prepare_templates,
    render_playbook,
    split_title,
    templates_for,
)
from smartcart.slack.blockkit import context_block, header, split_mrkdwn_sections
from smartcart.slack.bot_engine import BotContext
from smartcart.slack.dispatch import Answer, Request, UserError, handles
from smartcart.slack.mrkdwn import to_mrkdwn

logger = logging.getLogger(__name__)

LONGEST_PERSONA_TEXT = 80
SHARE = "share"


@handles(
    "playbook",
    "playbook <persona> [share]",
    "A persona's campaign playbook with live numbers (`share` posts it in the channel)",
)
def playbook(ctx: BotContext, args: list[str], request: Request) -> Answer:
    shared = bool(args) and args[-1].lower() == SHARE
    persona = find_persona(args[:-1] if shared else args, "playbook", ctx.service.model.personas)
    book = render_for_slack(ctx, persona)
    title, body = split_title(book.markdown)
    blocks = [
        header(title or f"{persona.name} playbook"),
        *split_mrkdwn_sections(to_mrkdwn(body)),
        context_block(
            f"Model {ctx.service.live_version()} · template `playbooks/{persona.id}.md.j2`"
        ),
    ]
    return Answer(
        text=f"{persona.name} playbook. Next best action: {persona.next_action}",
        blocks=blocks,
        response_type="in_channel" if shared else "ephemeral",
        shareable=True,
    )


def find_persona(
    words: list[str], subcommand: str, personas: list[Persona] | None = None
) -> Persona:
    """The persona the words name among `personas` (the live model's; the study's by
    default), or a UserError listing the choices."""
    personas = personas or PERSONAS
    text = " ".join(words)
    example = f"Try `/segment {subcommand} {personas[0].id}`."
    if not text:
        raise UserError(f"Which persona? Choose one of: {choices(personas)}. {example}")
    if len(text) > LONGEST_PERSONA_TEXT:
        raise UserError(f"That is not a persona; choose one of: {choices(personas)}. {example}")
    try:
        # the study's personas are resolve_persona's own default
        return resolve_persona(text) if personas == PERSONAS else resolve_persona(text, personas)
    except LookupError as error:
        raise UserError(f"{error.args[0][0].upper()}{error.args[0][1:]}. {example}") from None


def render_for_slack(ctx: BotContext, persona: Persona) -> Playbook:
    """The rendered playbook; a broken template (with no good version yet) is a clear answer."""
    templates = templates_for(ctx.settings.SMARTCART_TEMPLATES)
    try:
        change = ctx.service.change_since_last_digest(persona.id)
        return render_playbook(templates, persona, ctx.service.figures(), change)
    except TemplateProblem as problem:
        logger.error("playbook %s cannot be rendered: %s", persona.id, problem)
        raise UserError(
            f"The {persona.short} playbook template has a problem, so I can't show it right "
            "now. The bot's admins can see why with `smartcart templates check`."
        ) from None


def check_templates_at_start(folder: Path | None, personas: list[Persona] = ()) -> list[str]:
    """Check the templates the bot will use (the live model's personas' too) and log each
    problem; the bot starts anyway."""
    problems = prepare_templates(templates_for(folder), personas)
    for problem in problems:
        logger.warning("template problem (see `smartcart templates check`): %s", problem)
    return problems
