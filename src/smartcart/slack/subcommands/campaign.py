"""`/segment campaign [<name>]`: the campaigns, or one campaign's readout (target vs control)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from smartcart.engine.history import persona_name
from smartcart.engine.marketing import (
    Campaign,
    CampaignError,
    Readout,
    campaign_groups,
    get_campaign,
    list_campaigns,
    readout,
    readout_chart,
    stored_responses,
)
from smartcart.engine.model import Persona
from smartcart.engine.reports import percent
from smartcart.slack.blockkit import context_block, escape, fields_section, header, section
from smartcart.slack.bot_engine import BotContext
from smartcart.slack.dispatch import Answer, Request, Upload, UserError, handles

LISTED = 20


@handles(
    "campaign",
    "campaign [<name>]",
    "The campaigns, or one campaign's readout: target vs control, lift with its interval",
)
def campaign(ctx: BotContext, args: list[str], request: Request) -> Answer:
    if len(args) > 1:
        raise UserError("`campaign` takes one campaign name, like `/segment campaign spring`.")
    store = ctx.service.store
    personas = tuple(ctx.service.model.personas)  # the live model's, a retailer's own included
    try:
        if not args:
            return campaign_list(list_campaigns(store), personas)
        found = get_campaign(store, args[0])
        responses = stored_responses(store, found)
        if responses is None:
            return waiting_for_responses(found, personas)
        result = readout(found.name, campaign_groups(store, found), responses)
        return readout_answer(found, result, personas)
    except CampaignError as error:
        raise UserError(str(error)) from None


def campaign_line_text(found: Campaign, personas: tuple[Persona, ...] = ()) -> str:
    """The campaign's persona by its name among the live model's `personas`, else the built-in
    sets', else its id (a persona the live model no longer has), and its groups."""
    name = escape(persona_name(found.persona, personas))
    top = f", top {found.filters['top']}" if found.filters.get("top") else ""
    return (
        f"{name}{top}: {found.target_size:,} target, {found.control_size:,} control · "
        f"exported {found.created_at:%Y-%m-%d} by {escape(found.created_by)}"
    )


def campaign_list(found: list[Campaign], personas: tuple[Persona, ...] = ()) -> Answer:
    if not found:
        message = (
            "No campaigns yet. Export an audience with a control group to start one, like "
            "`/segment export premium --top 30% --campaign spring --holdout 10%`."
        )
        return Answer(text=message, blocks=[section(message)])
    lines = [
        f"*{escape(c.name)}*: {campaign_line_text(c, personas)}"
        + (" · responses loaded" if c.responses_loaded_at else " · no responses yet")
        for c in found[:LISTED]
    ]
    blocks = [header("Campaigns"), section("\n".join(lines))]
    if len(found) > LISTED:
        blocks.append(context_block(f"…and {len(found) - LISTED} older ones."))
    blocks.append(context_block("`/segment campaign <name>` shows one campaign's readout."))
    return Answer(text="Campaigns: " + ", ".join(c.name for c in found), blocks=blocks)


def waiting_for_responses(found: Campaign, personas: tuple[Persona, ...] = ()) -> Answer:
    message = (
        f"*Campaign {escape(found.name)}*: {campaign_line_text(found, personas)}.\n"
        "No responses loaded yet: an analyst runs "
        f"`smartcart campaign readout {escape(found.name)} --responses FILE`."
    )
    return Answer(text=message, blocks=[section(message)])


def readout_answer(found: Campaign, result: Readout, personas: tuple[Persona, ...] = ()) -> Answer:
    fields = []
    for label, group in (("Target", result.target), ("Control", result.control)):
        revenue = (
            f"\n{group.revenue_per_customer:,.2f} revenue per customer"
            if result.has_revenue and group.revenue_per_customer is not None
            else ""
        )
        fields.append(
            f"*{label}*\n{group.size:,} customers · {group.responders:,} responded "
            f"({percent(group.rate, 2)}){revenue}"
        )
    if result.lift_absolute is not None:
        relative = "n/a" if result.lift_relative is None else f"{result.lift_relative:+.1%}"
        low, high = result.ci95
        fields.append(
            f"*Lift*\n{result.lift_absolute * 100:+.2f} points ({relative} relative)\n"
            f"95% CI {low * 100:+.2f} to {high * 100:+.2f} points"
        )
        p_value = "< 0.0001" if result.p_value < 1e-4 else f"{result.p_value:.4f}"
        fields.append(f"*p-value*\n{p_value}")
    blocks = [
        header(f"Campaign {found.name}: readout"),
        context_block(campaign_line_text(found, personas)),
        fields_section(fields),
        section(f"*Verdict:* {escape(result.verdict)}"),
        context_block(
            f"Method: {result.method}. Responses from {escape(found.responses_source or '')}."
        ),
    ]
    return Answer(
        text=f"Campaign {found.name}: {result.verdict}",
        blocks=blocks,
        uploads=[readout_upload(result)],
    )


def readout_upload(result: Readout) -> Upload:
    """Target and control response rates with their intervals, shown inside the answer."""
    with tempfile.TemporaryDirectory() as folder:
        content = readout_chart(result, Path(folder) / "readout.png").read_bytes()
    title = f"Campaign {result.campaign}: target vs control"
    return Upload(filename="readout.png", content=content, title=title, inline=True)
