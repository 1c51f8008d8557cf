"""`/segment export <persona> [format=...] [min-confidence=...] [churn-risk=high] [top-clv=10%]
[changes]`: an audience file.

The file goes to the person who asked (a DM, since the answer is ephemeral); the app checks
access and records every export (who, where, which persona, format, how many rows) in the audit
trail. Contact details come from `SMARTCART_CONTACTS` (Slack users cannot pass a file); they
are only ever in the file, never in a message: the answer gives counts. The engine side (formats,
consent, hashing) is `smartcart.engine.marketing.audiences`. `smartcart export` asks this same handler (its
options become these words; its `--contacts` and `--default-country` are the context's).
"""

from __future__ import annotations

from smartcart.engine import DataError, ModelError, SegmentService
from smartcart.engine.marketing import (
    FORMAT_TITLES,
    FORMATS,
    HASHED_FORMATS,
    PLATFORM_FORMATS,
    Campaign,
    CampaignError,
    Contacts,
    ExportOptions,
    LifetimeFilter,
    PersonaExport,
    Targeting,
    load_contacts,
    persona_export,
)
from smartcart.engine.model import Persona
from smartcart.slack.blockkit import context_block, section, truncate
from smartcart.slack.bot_engine import BotContext
from smartcart.slack.command import Command
from smartcart.slack.dispatch import Answer, Request, Upload, UserError, handles
from smartcart.slack.subcommands.export_options import parse_confidence
from smartcart.slack.subcommands.playbook import find_persona

EXAMPLE = "Try `/segment export premium format=meta min-confidence=0.5`."
OPTIONS_HELP = (
    f"Options: `format={'|'.join(FORMATS)}`, `min-confidence=0.5` (or `50%`), `top=30%` (or "
    "`top=500`, the most likely to respond), `churn-risk=high|medium|low`, `top-clv=10%` (or "
    "`top-clv=500`, the highest predicted value), `campaign=NAME` with `holdout=10%` (a control "
    "group), and `changes` for who joined and who left since the last digest."
)
TARGETING_OPTIONS = ("top", "campaign", "holdout")
LIFETIME_OPTIONS = {"churn-risk": "churn_risk", "top-clv": "top_clv"}


@handles(
    "export",
    f"export <persona> [format={'|'.join(FORMATS)}] [min-confidence=0.5] [top=30%] "
    "[churn-risk=high|medium|low] [top-clv=10%|500] [campaign=NAME holdout=10%] [changes]",
    "The persona's customers as a file for a campaign tool (CSV, Meta, Google, Klaviyo)",
)
def export(ctx: BotContext, args: list[str], request: Request) -> Answer:
    words, options = parse_export_args(request.command, ctx.settings.SMARTCART_DEFAULT_COUNTRY)
    persona = find_persona(words, "export", ctx.service.model.personas)
    contacts = export_contacts(ctx, request, options)
    requested_by = (request.user_id, request.channel_id)
    try:
        made = persona_export(ctx.service, persona, options, contacts, requested_by)
    except ModelError as error:
        raise UserError(f"Cannot export changes: {error}.") from None
    except (CampaignError, DataError) as error:
        raise UserError(str(error)) from None
    if made.result.rows == 0:
        message = empty_message(ctx.service, made)
        return Answer(text=message, blocks=[section(message)], audit=audit_facts(made), result=made)
    return file_answer(made, ctx.service.live_version())


def parse_export_args(
    command: Command, default_country: str | None
) -> tuple[list[str], ExportOptions]:
    """The persona's words and the options (`format=meta`, `min-confidence=0.5`, `changes`),
    read from the request's parsed command (`--top 30%` and `--top=30%` are `top=30%` there)."""
    if command.missing_values:
        raise UserError(f"`{shown(command.missing_values[0])}` needs a value. {EXAMPLE}")
    words = [word for word in command.words if word.lower() != "changes"]
    chosen: dict = {"default_country": default_country, "changes": command.has_word("changes")}
    targeting: dict[str, str] = {}
    lifetime: dict[str, str] = {}
    for key, value in command.options:
        if key in TARGETING_OPTIONS:
            targeting[key] = value
        elif key in LIFETIME_OPTIONS:
            lifetime[LIFETIME_OPTIONS[key]] = value
        elif key == "format":
            chosen["format"] = known_format(value)
        elif key in ("min-confidence", "confidence"):
            chosen["min_confidence"] = confidence_value(value)
        else:
            raise UserError(f"Unknown option `{shown(f'{key}={value}')}`. {OPTIONS_HELP}")
    try:
        chosen["targeting"] = Targeting.parse(**targeting)
    except ValueError as error:
        raise UserError(f"{error}. {EXAMPLE}") from None
    try:
        chosen["lifetime"] = LifetimeFilter.parse(**lifetime)
    except DataError as error:
        raise UserError(str(error)) from None
    return words, ExportOptions(**chosen)


def known_format(value: str) -> str:
    if value.lower() not in FORMATS:
        raise UserError(
            f"Unknown format `{shown(value)}`; choose one of: {', '.join(FORMATS)}. {EXAMPLE}"
        )
    return value.lower()


def confidence_value(value: str) -> float:
    try:
        return parse_confidence(value, bare_percent=False)
    except ValueError:
        raise UserError(
            f"`min-confidence` takes a number from 0 to 1 (or a percentage), not `{shown(value)}`. "
            f"{EXAMPLE}"
        ) from None


def shown(text: str, limit: int = 40) -> str:
    """A user's word echoed inside backticks: cut short, backticks removed (escaped later)."""
    return truncate(text.replace("`", "'"), limit)


def export_contacts(ctx: BotContext, request: Request, options: ExportOptions) -> Contacts | None:
    """The contacts a file may hold: none in a csv asked from Slack (plain contact details
    never go into Slack; `smartcart.slack.access` refuses the other plain formats there)."""
    if request.origin == "slack" and options.format not in HASHED_FORMATS:
        return None
    if ctx.contacts is not None:
        return ctx.contacts
    return configured_contacts(ctx.settings.SMARTCART_CONTACTS, options)


def configured_contacts(source: str | None, options: ExportOptions) -> Contacts | None:
    """The contacts of SMARTCART_CONTACTS (None when not set); errors never quote a value."""
    if source is None:
        if options.format in PLATFORM_FORMATS:
            raise UserError(
                f"`format={options.format}` needs contact details, and none are configured: "
                "the bot's admins can set SMARTCART_CONTACTS. `format=csv` works without them."
            )
        return None
    try:
        return load_contacts(source)
    except DataError as error:
        raise UserError(
            f"The contact details (SMARTCART_CONTACTS) cannot be used right now: {error}. "
            "The bot's admins can fix the file."
        ) from None


def file_answer(made: PersonaExport, version: str | None) -> Answer:
    persona, result = made.persona, made.result
    what = f"{result.rows:,} {'changes' if made.options.changes else 'customers'}"
    if made.options.targeting.top is not None:
        what += f" ({made.options.targeting.describe()})"
    title = FORMAT_TITLES[made.options.format]
    since = f" since the digest of {made.since_period}" if made.since_period else ""
    message = (
        f"*{persona.name}*: {what}{since}, as `{made.filename}` in our direct messages ({title})."
    )
    notes = result.summary_lines()
    upload = Upload(
        filename=made.filename,
        content=result.content,
        title=f"{persona.name}: {what}",
        initial_comment=" ".join(
            [f"{persona.name} audience, {what}{since} ({title}, model {version}).", *notes]
        ),
    )
    blocks = [section(message)]
    if made.campaign is not None:
        blocks.append(section(campaign_line(made.campaign)))
    if notes:
        blocks.append(section("\n".join(notes)))
    blocks.append(context_block(f"Model {version} · this export is recorded"))
    return Answer(
        text=f"{persona.name}: {what} exported as {made.filename}",
        blocks=blocks,
        uploads=[upload],
        audit=audit_facts(made),
        result=made,
    )


def campaign_line(campaign: Campaign) -> str:
    return (
        f"Campaign `{campaign.name}`: {campaign.target_size:,} target, "
        f"{campaign.control_size:,} control ({campaign.holdout:.0%} held out, the `group` "
        "column). Do not contact the control group; read the result with "
        f"`/segment campaign {campaign.name}` once responses are loaded."
    )


def empty_message(service: SegmentService, made: PersonaExport) -> str:
    persona, result = made.persona, made.result
    if made.options.changes:
        return (
            f"Nothing to export: nobody joined or left *{persona.name}* since the digest of "
            f"{made.since_period}{left_out_note(made)}."
        )
    if result.candidates:
        return (
            f"Nothing to export: all {result.candidates:,} customers of *{persona.name}* were "
            f"left out ({result.left_out_text()})."
        )
    return f"Nothing to export: no customers in *{persona.name}* ({no_customers_reason(service, persona)})."


def left_out_note(made: PersonaExport) -> str:
    text = made.result.left_out_text()
    return f" that could be exported ({text})" if text else ""


def no_customers_reason(service: SegmentService, persona: Persona) -> str:
    in_model = any(s["persona"] == persona.id for s in service.model.segments)
    return (
        "none of the stored customers is in it"
        if in_model
        else "the current model has no segment for it"
    )


def audit_facts(made: PersonaExport) -> dict:
    return {"rows": made.result.rows, "detail": made.audit_detail()}
