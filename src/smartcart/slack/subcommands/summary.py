"""`/segment summary`: every segment's size, value and response, a chart, playbook buttons."""

from __future__ import annotations

import tempfile
from pathlib import Path

from smartcart.engine.model import is_unmatched
from smartcart.engine.reports import Figures, money, percent, summary_chart
from smartcart.engine.reports import times as lift
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
from smartcart.slack.dispatch import Answer, Request, Upload, UserError, handles
from smartcart.slack.home_tab import revenue_at_risk_line
from smartcart.slack.subcommands.at_risk import value_lines


@handles(
    "summary",
    "summary [share]",
    "All segments with sizes, revenue, response and a chart (`share` posts in the channel)",
    on_its_way=":hourglass_flowing_sand: Putting the summary and its chart together…",
)
def summary(ctx: BotContext, args: list[str], request: Request) -> Answer:
    if args and args != ["share"]:
        raise UserError("`summary` takes nothing or `share`, like `/segment summary share`.")
    figures = ctx.service.figures()
    blocks = [
        header("Customer segments"),
        context_block(
            f"{figures.customers:,} customers · "
            + (
                f"base response rate {percent(figures.base_response_rate)} · "
                if figures.base_response_rate is not None
                else ""
            )
            + f"model {figures.model_version}"
        ),
    ]
    lines = []
    for segment in figures.segments:
        line = segment_line(segment)
        lines.append(line)
        blocks.append(section(line))
    if figures.unmatched:
        names = ", ".join(escape(s["name"]) for s in figures.unmatched)
        blocks.append(
            context_block(f"No persona's rule matched: {names} (named from their profile)")
        )
    blocks += lifetime_blocks(figures)
    if figures.missing_personas:
        missing = ", ".join(escape(persona_name(figures, p)) for p in figures.missing_personas)
        blocks.append(context_block(f"No segment in this model for: {missing}"))
    present = [p for p in dict.fromkeys(s["persona"] for s in figures.segments) if figures.find(p)]
    buttons = [
        playbook_button(p, truncate(f"{figures.find(p).short} playbook", 75)) for p in present
    ]
    if buttons:
        blocks.append(actions(buttons[:25]))
    shared = args == ["share"]
    text = "Customer segments: " + "; ".join(
        f"{escape(s['name'])} {s['size']:,} ({percent(s['share'])})" for s in figures.segments
    )
    return Answer(
        text=text,
        blocks=blocks,
        response_type="in_channel" if shared else "ephemeral",
        uploads=[chart_upload(figures.segments)],
        shareable=True,
    )


def persona_name(figures, persona_id: str) -> str:
    found = figures.find(persona_id)
    return found.name if found else persona_id


def segment_name(segment: dict) -> str:
    """The segment's name, flagged when no persona's rule matched it."""
    name = escape(segment["name"])
    return f"{name} (no persona matched)" if is_unmatched(segment["persona"]) else name


def lifetime_blocks(figures: Figures) -> list[dict]:
    """Each persona's predicted value and revenue at risk (with a lifetime model only)."""
    line = revenue_at_risk_line(figures)
    if line is None:
        return []
    return [section(line), section("\n".join(value_lines(figures)))]


def segment_line(segment: dict) -> str:
    if "AverageOrderValue" in segment["profile"]:
        return order_segment_line(segment)
    return (
        f"*{segment_name(segment)}*: {segment['size']:,} customers ({percent(segment['share'])}), "
        f"{percent(segment['revenue_share'])} of revenue\n"
        f"Average spend {money(segment['avg_spend'])} · average income "
        f"{money(segment['avg_income'])} · response {percent(segment['response_rate'])} "
        f"({lift(segment['lift'])} the base)" + expected_responders_line(segment)
    )


def order_segment_line(segment: dict) -> str:
    """A segment of customers from orders: spend, orders, recency and discounts."""
    profile = segment["profile"]
    return (
        f"*{segment_name(segment)}*: {segment['size']:,} customers ({percent(segment['share'])}), "
        f"{percent(segment['revenue_share'])} of revenue\n"
        f"Average revenue {money(segment['avg_spend'])} · {profile['TotalPurchases']:,.1f} "
        f"orders · last order {profile['Recency']:,.0f} days ago · "
        f"{percent(profile['DealShare'], 0)} on discount" + expected_responders_line(segment)
    )


def expected_responders_line(segment: dict) -> str:
    """Expected responders to an offer sent to the whole segment (with a response model)."""
    expected = segment.get("expected_responders")
    if expected is None:
        return ""
    return (
        f"\nAn offer to all of them: about {expected:,.0f} expected responders · "
        f"{percent(segment['top_decile_share'])} of them in our top 10% most likely to respond"
    )


def chart_upload(segments: list[dict]) -> Upload:
    with tempfile.TemporaryDirectory() as folder:
        path = summary_chart(
            segments, Path(folder) / "segments.png", "Share of customers and revenue"
        )
        content = path.read_bytes()
    return Upload(filename="segments.png", content=content, title="Customer segments", inline=True)
