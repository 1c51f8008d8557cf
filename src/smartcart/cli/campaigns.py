"""`smartcart campaign list` and `campaign readout`: campaigns recorded by `export --campaign`."""

from __future__ import annotations

from pathlib import Path

import click

from smartcart.cli.common import emit_json, friendly_errors, service
from smartcart.cli.main import main


@main.group()
def campaign() -> None:
    """Campaigns recorded by `export --campaign`: list them, read out their results."""


@campaign.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the campaigns as JSON.")
@friendly_errors
def campaign_list(as_json) -> None:
    """Every campaign: persona, filters, target and control sizes, when and by whom."""
    from smartcart.engine.marketing import list_campaigns

    found = list_campaigns(service().store)
    if as_json:
        emit_json([c.as_dict() for c in found])
        return
    if not found:
        click.echo("No campaigns yet: export with --campaign NAME --holdout 10% to start one.")
        return
    click.echo(
        f"{'campaign':<24} {'persona':<16} {'filters':<10} {'target':>7} {'control':>7}  created"
    )
    for c in found:
        filters = f"top {c.filters['top']}" if c.filters.get("top") else "-"
        click.echo(
            f"{c.name:<24} {c.persona:<16} {filters:<10} {c.target_size:>7,} "
            f"{c.control_size:>7,}  {c.created_at:%Y-%m-%d %H:%M} by {c.created_by}"
            + ("" if c.responses_loaded_at else "  (no responses yet)")
        )


@campaign.command("readout")
@click.argument("name")
@click.option(
    "--responses",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV of the customers who responded: customer_id, optionally revenue.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the readout as one JSON object.")
@click.option(
    "--chart",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also draw target and control response rates with their intervals to this PNG.",
)
@friendly_errors
def campaign_readout(name, responses, as_json, chart) -> None:
    """Target vs control: response rates, lift with its 95% interval, p-value, verdict."""
    from smartcart.engine.marketing import (
        campaign_groups,
        get_campaign,
        read_responses,
        readout,
        readout_chart,
        save_responses,
    )

    store = service().store
    found = get_campaign(store, name)
    loaded = read_responses(responses)
    save_responses(store, found, loaded, str(responses))
    result = readout(found.name, campaign_groups(store, found), loaded)
    if chart is not None:
        readout_chart(result, chart)
    if as_json:
        emit_json(result.as_dict())
        return
    for line in result.lines():
        click.echo(line)
    if chart is not None:
        click.echo(f"Chart: {chart}")
