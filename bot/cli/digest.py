"""`smartcart digest`: post, preview or show the status of the segment digest."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bot.cli.common import emit_json, friendly_errors, service, settings
from bot.cli.main import main


@main.command()
@click.option(
    "--now",
    "now",
    is_flag=True,
    help="Run the scheduled job once, now (posts at most once per period).",
)
@click.option(
    "--dry-run", is_flag=True, help="Print the digest and write its chart; post and store nothing."
)
@click.option(
    "--chart",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where --dry-run writes the chart. Default: var/digest/digest-<period>.png",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
@click.option(
    "--mapping",
    type=click.Path(dir_okay=False, path_type=Path),
    help="TOML mapping for SMARTCART_DATA's columns and values. Default: SMARTCART_MAPPING.",
)
@friendly_errors
def digest(now, dry_run, chart, as_json, mapping) -> None:
    """The segment digest: --now posts this period's (once), --dry-run previews it; else status."""
    from bot.digest.runner import DigestRunner

    if now and dry_run:
        raise click.UsageError("choose --now or --dry-run, not both")
    config = with_mapping(settings(), mapping)
    runner = DigestRunner(config, service(config))
    if dry_run:
        preview = runner.dry_run(chart_path=chart)
        if as_json:
            emit_json(preview.as_dict())
            return
        click.echo(f"Digest for {preview.period.label} (dry run: nothing posted or stored)\n")
        click.echo(preview.message.markdown)
        click.echo(f"\nChart: {preview.chart_path}")
        return
    if now:
        from bot.logs import request_scope

        with request_scope("digest"):
            result = runner.run(manual=True)
        if as_json:
            emit_json(result.as_dict())
        else:
            click.echo(result.message)
        if result.state in ("failed", "failed_ambiguous") and not result.posted:
            sys.exit(1)
        return
    print_digest_status(runner.status(), as_json)


def with_mapping(config, mapping: Path | None):
    """The settings with --mapping as SMARTCART_MAPPING (checked like the setting)."""
    if mapping is None:
        return config
    from segmentation.mapping import read_mapping

    read_mapping(mapping)
    return config.model_copy(update={"SMARTCART_MAPPING": mapping.absolute()})


def print_digest_status(status: dict, as_json: bool) -> None:
    if as_json:
        emit_json(status)
        return
    click.echo(f"Channel: {status['channel'] or '(SMARTCART_DIGEST_CHANNEL not set)'}")
    click.echo(f"Current period: {status['period']} ({status['period_label']})")
    run = status["run"]
    state = "not run yet" if run is None else f"{run['state']} (ts {run['message_ts']})"
    click.echo(f"This period's digest: {state}")
    if run and run["error"]:
        click.echo(f"Last error: {run['error']}")
    click.echo(f"Next digest: {status['next_digest']}")
