"""`/segment export <persona>`: the persona's customers as a CSV file for a campaign tool.

The file goes to the person who asked (a DM, since the answer is ephemeral); the app checks
access and records every export (who, where, which persona, how many rows) in the audit trail.
`smartcart export` uses `audience_csv` too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from bot.answers import Answer, Request, Upload, UserError, context, escape, handles, section
from bot.context import BotContext
from bot.views.playbook import find_persona
from segmentation.campaigns import (
    Campaign,
    CampaignError,
    ExportOptions,
    record_campaign,
    select_audience,
)
from segmentation.personas import Persona
from segmentation.service import SegmentService

# Audience columns -> CSV headers, in the order a campaign tool reads them.
CSV_COLUMNS = {
    "customer_id": "customer_id",
    "persona": "persona",
    "segment": "segment",
    "confidence": "confidence",
    "Recency": "days_since_last_purchase",
    "total_spending": "total_spending_2y",
    "Income": "income",
    "Kidhome": "kids_at_home",
    "Teenhome": "teens_at_home",
    "Education": "education",
    "Marital_Status": "marital_status",
    "propensity": "propensity",
    "group": "group",
}
EXPORT_OPTIONS = ("top", "campaign", "holdout")


@handles(
    "export",
    "export <persona> [--top 30%|500] [--campaign NAME [--holdout 10%]]",
    "The persona's customers as a CSV file (optionally the most likely to respond, "
    "with a control group)",
)
def export(ctx: BotContext, args: list[str], request: Request) -> Answer:
    words, options = split_export_options(args)
    persona = find_persona(words, "export")
    try:
        done = export_audience(ctx.service, persona, options, request.user_id, request.channel_id)
    except CampaignError as error:
        raise UserError(str(error)) from None
    rows = done.rows
    version = ctx.service.live_version()
    if rows == 0:
        message = empty_message(ctx.service, persona)
        return Answer(text=message, blocks=[section(message)], audit=audit_facts(persona, 0))
    filename = export_filename(persona, campaign=options.campaign)
    chosen = f" ({options.describe()})" if options.top else ""
    message = (
        f"*{persona.name}*: {rows:,} customers{chosen}, as `{filename}` in our direct messages."
    )
    blocks = [section(message)]
    if done.campaign is not None:
        blocks.append(section(campaign_line(done.campaign)))
    upload = Upload(
        filename=filename,
        content=done.content,
        title=f"{persona.name}: {rows:,} customers",
        initial_comment=f"{persona.name} audience, {rows:,} customers (model {version}).",
    )
    return Answer(
        text=f"{persona.name}: {rows:,} customers exported as {filename}",
        blocks=[*blocks, context(f"Model {version} · this export is recorded")],
        uploads=[upload],
        audit=audit_facts(persona, rows, options),
    )


def split_export_options(args: list[str]) -> tuple[list[str], ExportOptions]:
    """`premium --top 30% --campaign spring` -> (["premium"], options)."""
    words, values = [], {}
    position = 0
    while position < len(args):
        word = args[position].replace("\u2014", "--").replace("\u2013", "--")
        if not word.startswith("--"):
            words.append(word)
            position += 1
            continue
        name = word[2:].lower()
        if name not in EXPORT_OPTIONS:
            raise UserError(f"`export` takes --top, --campaign and --holdout, not `{word[:30]}`.")
        if position + 1 >= len(args) or args[position + 1].startswith("--"):
            raise UserError(f"`{word}` needs a value, like `--top 30%` or `--campaign spring`.")
        values[name] = args[position + 1]
        position += 2
    try:
        return words, ExportOptions.parse(**values)
    except ValueError as error:
        raise UserError(str(error)) from None


def campaign_line(campaign: Campaign) -> str:
    return (
        f"Campaign `{escape(campaign.name)}`: {campaign.target_size:,} target, "
        f"{campaign.control_size:,} control ({campaign.holdout:.0%} held out, the `group` "
        "column). Do not contact the control group; read the result with "
        f"`/segment campaign {escape(campaign.name)}` once responses are loaded."
    )


@dataclass
class AudienceExport:
    content: bytes
    rows: int
    campaign: Campaign | None = None


def export_audience(
    service: SegmentService,
    persona: Persona,
    options: ExportOptions,
    user_id: str,
    channel_id: str,
) -> AudienceExport:
    """The persona's audience as CSV, kept by `--top`, split and recorded for `--campaign`."""
    audience = service.audience(persona.id)
    if audience.empty:
        return AudienceExport(b"", 0)
    chosen = select_audience(audience, options)
    campaign = None
    if options.campaign is not None:
        version = service.live_version() or ""
        campaign = record_campaign(
            service.store, options, persona.id, chosen, user_id, channel_id, version
        )
    table = audience_table(chosen)
    content = table.to_csv(index=False, lineterminator="\n").encode("utf-8")
    return AudienceExport(content, len(table), campaign)


def audience_csv(service: SegmentService, persona: Persona) -> tuple[bytes, int]:
    """The persona's customers as CSV bytes (UTF-8, header row), and how many there are."""
    done = export_audience(service, persona, ExportOptions(), "", "")
    return done.content, done.rows


def audience_table(audience: pd.DataFrame) -> pd.DataFrame:
    table = audience[[c for c in CSV_COLUMNS if c in audience.columns]].rename(columns=CSV_COLUMNS)
    table["confidence"] = table["confidence"].astype(float).round(3)
    table["total_spending_2y"] = table["total_spending_2y"].round(2)
    table["income"] = pd.to_numeric(table["income"]).round().astype("Int64")
    return table


def export_filename(persona: Persona, day: date | None = None, campaign: str | None = None) -> str:
    named = f"{persona.id}-{campaign}" if campaign else persona.id
    return f"smartcart-{named}-{(day or date.today()).isoformat()}.csv"


def empty_message(service: SegmentService, persona: Persona) -> str:
    in_model = any(s["persona"] == persona.id for s in service.model.segments)
    reason = (
        "none of the stored customers is in it"
        if in_model
        else "the current model has no segment for it"
    )
    return f"Nothing to export: no customers in *{persona.name}* ({reason})."


def audit_facts(persona: Persona, rows: int, options: ExportOptions | None = None) -> dict:
    detail = persona.id
    if options is not None and options.top is not None:
        detail += f" top {options.top}"
    if options is not None and options.campaign is not None:
        detail += f" campaign {options.campaign} holdout {options.holdout:.0%}"
    return {"rows": rows, "detail": detail}
