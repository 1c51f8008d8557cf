"""`/segment export <persona> [--min-confidence X] [--format csv|parquet]`: the persona's
customers as a file for a campaign tool (`/segment export` alone opens the export form).

The file goes to the person who asked (a DM, since the answer is ephemeral); the app checks
access and records every export (who, where, which persona, how many rows) in the audit trail.
`smartcart export` uses `audience_csv` too.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from bot.answers import Answer, Request, Upload, context, handles, section
from bot.context import BotContext
from bot.views.export_options import ExportOptions, encode, split_export_args
from bot.views.playbook import find_persona
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
}


@handles(
    "export",
    "export <persona> [--min-confidence 0.6] [--format csv|parquet]",
    "The persona's customers as a file for a campaign tool (`export` alone opens a form)",
)
def export(ctx: BotContext, args: list[str], request: Request) -> Answer:
    words, options = split_export_args(args)
    persona = find_persona(words, "export")
    content, rows = audience_file(ctx.service, persona, options)
    version = ctx.service.live_version()
    if rows == 0:
        message = empty_message(ctx.service, persona, options)
        facts = audit_facts(persona, 0, options)
        return Answer(text=message, blocks=[section(message)], audit=facts)
    filename = export_filename(persona, options=options)
    kept = f" with {options.describe()}" if options.min_confidence is not None else ""
    message = f"*{persona.name}*: {rows:,} customers{kept}, as `{filename}` in our direct messages."
    upload = Upload(
        filename=filename,
        content=content,
        title=f"{persona.name}: {rows:,} customers",
        initial_comment=f"{persona.name} audience, {rows:,} customers (model {version}).",
    )
    return Answer(
        text=f"{persona.name}: {rows:,} customers exported as {filename}",
        blocks=[section(message), context(f"Model {version} · this export is recorded")],
        uploads=[upload],
        audit=audit_facts(persona, rows, options),
    )


def audience_csv(service: SegmentService, persona: Persona) -> tuple[bytes, int]:
    """The persona's customers as CSV bytes (UTF-8, header row), and how many there are."""
    return audience_file(service, persona, ExportOptions())


def audience_file(
    service: SegmentService, persona: Persona, options: ExportOptions
) -> tuple[bytes, int]:
    """The persona's customers (at least `min_confidence` sure) as file bytes, and how many."""
    audience = service.audience(persona.id)
    if audience.empty:
        return b"", 0
    table = audience_table(audience)
    if options.min_confidence is not None:
        table = table[table["confidence"] >= options.min_confidence]
    if table.empty:
        return b"", 0
    return encode(table, options.format), len(table)


def audience_table(audience: pd.DataFrame) -> pd.DataFrame:
    table = audience[[c for c in CSV_COLUMNS if c in audience.columns]].rename(columns=CSV_COLUMNS)
    table["confidence"] = table["confidence"].astype(float).round(3)
    table["total_spending_2y"] = table["total_spending_2y"].round(2)
    table["income"] = pd.to_numeric(table["income"]).round().astype("Int64")
    return table


def export_filename(
    persona: Persona, day: date | None = None, options: ExportOptions | None = None
) -> str:
    extension = (options or ExportOptions()).format
    return f"smartcart-{persona.id}-{(day or date.today()).isoformat()}.{extension}"


def empty_message(
    service: SegmentService, persona: Persona, options: ExportOptions | None = None
) -> str:
    in_model = any(s["persona"] == persona.id for s in service.model.segments)
    reason = (
        "none of the stored customers is in it"
        if in_model
        else "the current model has no segment for it"
    )
    if in_model and options is not None and options.min_confidence is not None:
        reason = f"none placed with {options.describe()}"
    return f"Nothing to export: no customers in *{persona.name}* ({reason})."


def audit_facts(persona: Persona, rows: int, options: ExportOptions | None = None) -> dict:
    if options is None or options == ExportOptions():
        return {"rows": rows, "detail": persona.id}
    return {"rows": rows, "detail": f"{persona.id} {' '.join(options.flags())}"}
