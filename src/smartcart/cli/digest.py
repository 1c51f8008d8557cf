"""`smartcart digest`: post, preview or show the status of the segment digest."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from smartcart.cli.common import emit_json, friendly_errors, service, settings
from smartcart.cli.main import main


@main.group(invoke_without_command=True)
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
@click.pass_context
@friendly_errors
def digest(ctx, now, dry_run, chart, as_json, mapping) -> None:
    """The segment digest: --now posts this period's (once), --dry-run previews it; else status."""
    if ctx.invoked_subcommand is not None:
        return
    from smartcart.slack.digest import DigestRunner

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
        from smartcart.slack import request_scope

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


@digest.command("resolve")
@click.option("--period", required=True, help="The run's period, e.g. 2024-W14.")
@click.option("--channel", default=None, help="Default: SMARTCART_DIGEST_CHANNEL.")
@click.option("--posted/--not-posted", default=None, help="What the channel shows.")
@click.option("--ts", default=None, help="With --posted: the message's ts, if known.")
@click.option("--user", default=None, help="User id for the audit trail (default: cli:<login>).")
@friendly_errors
def digest_resolve(period, channel, posted, ts, user) -> None:
    """Settle a failed_ambiguous digest run after looking at the channel (audited)."""
    import getpass

    from smartcart.slack.digest import CannotResolve, LostClaim, resolve_run

    if posted is None:
        raise click.UsageError("say what the channel shows: --posted or --not-posted")
    if ts and not posted:
        raise click.UsageError("--ts goes with --posted")
    config = settings()
    channel = channel or config.SMARTCART_DIGEST_CHANNEL
    if not channel:
        raise click.UsageError("no channel: pass --channel or set SMARTCART_DIGEST_CHANNEL")
    user_id = user or f"cli:{getpass.getuser()}"
    try:
        run = resolve_run(service(config).store, channel, period, posted, user_id, ts)
    except (CannotResolve, LostClaim) as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(1)
    click.echo(f"The digest run for {period} in {channel} is now {run.state}.")


def with_mapping(config, mapping: Path | None):
    """The settings with --mapping as SMARTCART_MAPPING (checked like the setting)."""
    if mapping is None:
        return config
    from smartcart.engine.data import read_mapping

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
