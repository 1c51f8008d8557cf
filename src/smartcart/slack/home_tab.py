"""The App Home tab: the live model, each persona at a glance, the digest, a short help.

With a lifetime model, the revenue at risk (predicted value of customers at high churn risk)
in all and per persona.

`home_view(...)` returns the view Slack's `views.publish` takes (type `home`, at most 100 blocks),
validated with slack_sdk's view and block models like every message. Buttons: each persona's
playbook (opened in a modal) and, only for users allowed customer-level data, its export form.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from slack_sdk.models.views import View

from smartcart.engine.model import Persona, personas_of
from smartcart.engine.reports import Figures, lifetime_totals, money, percent
from smartcart.slack.blockkit import (
    actions,
    button,
    context_block,
    divider,
    escape,
    fields_section,
    header,
    section,
    validate_block,
)
from smartcart.slack.digest import DigestSchedule
from smartcart.slack.dispatch import SLASH_COMMAND

HOME_CALLBACK_ID = "smartcart_home"
HOME_PLAYBOOK_ACTION = "home_playbook"
HOME_EXPORT_ACTION = "home_export"
MAX_HOME_BLOCKS = 100

HELP_LINES = (
    f"`{SLASH_COMMAND} customer <id>` — one customer's persona, reasons and next action",
    f"`{SLASH_COMMAND} summary` — every segment with a chart",
    f"`{SLASH_COMMAND} at-risk` — customers at high churn risk per persona (order history)",
    f"`{SLASH_COMMAND} playbook <persona>` — a persona's campaign playbook",
    f"`{SLASH_COMMAND} export` — the export form (persona, minimum confidence, format)",
    f"`{SLASH_COMMAND} digest status` — where and when the weekly digest is posted",
    "Every private answer has a *Share in channel* button.",
)


@dataclass(frozen=True)
class ModelFacts:
    version: str
    trained_at: str
    customers: int


def home_view(
    model: ModelFacts,
    figures: Figures,
    changes: dict[str, dict | None],
    schedules: list[DigestSchedule],
    can_export: bool,
) -> dict:
    """The Home view for one user; `can_export` adds the persona export buttons."""
    blocks = [
        header("SmartCart Segments"),
        section(
            f"*Live model {escape(model.version)}*, trained {escape(model.trained_at)} · "
            f"{model.customers:,} customers scored"
        ),
        *revenue_at_risk_blocks(figures),
        divider(),
    ]
    for persona in figures.personas or personas_of(figures.persona_set):
        blocks += persona_blocks(persona, figures, changes.get(persona.id), can_export)
    blocks += [divider(), *digest_blocks(schedules), divider(), *help_blocks(can_export)]
    return validated_home(blocks)


def revenue_at_risk_blocks(figures: Figures) -> list[dict]:
    """The revenue at risk in all (with a lifetime model; nothing otherwise)."""
    line = revenue_at_risk_line(figures)
    return [] if line is None else [section(line)]


def revenue_at_risk_line(figures: Figures) -> str | None:
    """The revenue at risk in all, for the summary and the Home tab (None without a lifetime
    model)."""
    if figures.lifetime is None:
        return None
    totals = lifetime_totals(figures.lifetime)
    return (
        f"*Revenue at risk*: {money(totals['revenue_at_risk'])} of the "
        f"{money(totals['predicted_value'])} predicted over the next 12 months, from "
        f"{totals['at_risk']:,} customers at high churn risk (`{SLASH_COMMAND} at-risk` for each "
        "persona)"
    )


def message_view(title: str, message: str) -> dict:
    """A Home view that only says something (no model yet, the engine is unavailable)."""
    return validated_home([header(title), section(escape(message)), *help_blocks(False)])


def persona_blocks(
    persona: Persona, figures: Figures, change: dict | None, can_export: bool
) -> list[dict]:
    segments = figures.persona(persona.id)
    if not segments:
        return [
            section(f"*{escape(persona.name)}*\nNo segment for this persona in the current model.")
        ]
    size = sum(s["size"] for s in segments)
    share = sum(s["share"] for s in segments)
    revenue = sum(s["revenue_share"] for s in segments)
    fields = [
        f"*Customers*\n{size:,} ({percent(share)})",
        f"*Share of revenue*\n{percent(revenue)}",
        f"*Since the last digest*\n{describe_change(change)}",
        f"*Next best action*\n{escape(persona.next_action)}",
    ]
    if figures.lifetime is not None and persona.id in figures.lifetime:
        row = figures.lifetime[persona.id]
        fields.append(
            f"*Revenue at risk*\n{money(row['revenue_at_risk'])} ({row['at_risk']:,} customers)"
        )
    facts = fields_section(fields)
    buttons = [button("Playbook", f"{HOME_PLAYBOOK_ACTION}:{persona.id}", persona.id)]
    if can_export:
        buttons.append(button("Export…", f"{HOME_EXPORT_ACTION}:{persona.id}", persona.id))
    return [section(persona_line(persona, figures)), facts, actions(buttons)]


def persona_line(persona: Persona, figures: Figures) -> str:
    """The persona's name, description and the figures of its segment that back it."""
    backing = figures.backing.get(persona.id)
    return f"*{escape(persona.name)}*: {escape(persona.description)}" + (
        f"\n_{escape('; '.join(backing))}_" if backing else ""
    )


def describe_change(change: dict | None) -> str:
    """`+12 customers, +0.4 pts` against the latest digest; a dash before the first one."""
    if change is None:
        return "— (no digest yet)"
    size, points = int(change["size"]), float(change["share_points"])
    if size == 0 and round(points, 1) == 0:
        return f"no change since {escape(str(change.get('period', 'the last digest')))}"
    return f"{size:+,} customers, {points:+.1f} pts"


def digest_blocks(schedules: list[DigestSchedule]) -> list[dict]:
    if not schedules:
        return [
            section(
                "*Weekly digest*\nNot posted anywhere yet. An admin can type "
                f"`{SLASH_COMMAND} digest subscribe` in a channel to get it there."
            )
        ]
    lines = [schedule_line(schedule) for schedule in schedules]
    return [section("*Weekly digest*\n" + "\n".join(lines))]


def schedule_line(schedule: DigestSchedule) -> str:
    where = channel_mention(schedule.channel)
    upcoming = local_time(schedule.next_run, schedule.timezone) if schedule.next_run else "—"
    last = (
        f"last posted {local_time(schedule.last_posted, schedule.timezone)}"
        if schedule.last_posted
        else "not posted yet"
    )
    return f"• {where}: next {upcoming} · {last}"


def local_time(moment: datetime, timezone: str) -> str:
    """`Mon 30 Nov 09:00 CET (Europe/Paris)`."""
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{local.strftime('%a %d %b %H:%M %Z')} ({escape(timezone)})"


def channel_mention(channel: str) -> str:
    """`<#C123>` for a channel id, else the name as given (escaped)."""
    if channel[:1] in ("C", "G") and channel.isalnum() and channel.isupper():
        return f"<#{channel}>"
    return f"`{escape(channel)}`"


def help_blocks(can_export: bool) -> list[dict]:
    lines = [line for line in HELP_LINES if can_export or "export" not in line]
    return [
        section("*Ask me anything about our segments*\n" + "\n".join(lines)),
        context_block(f"Type `{SLASH_COMMAND} help` in any channel for every command."),
    ]


def validated_home(blocks: list[dict]) -> dict:
    """The home view, raising ValueError when Slack would reject it (blocks, size, type)."""
    if len(blocks) > MAX_HOME_BLOCKS:
        raise ValueError(f"a Home view takes at most {MAX_HOME_BLOCKS} blocks, got {len(blocks)}")
    for index, block in enumerate(blocks):
        validate_block(block, index)
    view = {"type": "home", "callback_id": HOME_CALLBACK_ID, "blocks": blocks}
    View(**view).validate_json()
    return view
