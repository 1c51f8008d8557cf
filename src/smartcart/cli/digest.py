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
    help="Post this period's digest now to every channel that should have it: "
    "SMARTCART_DIGEST_CHANNEL and the subscribed ones (each at most once per period).",
)
@click.option(
    "--channel",
    default=None,
    help="Only this channel (with --now; in the status, only its line).",
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
def digest(ctx, now, channel, dry_run, chart, as_json, mapping) -> None:
    """The segment digest: --now posts this period's (once per channel), --dry-run previews it;
    else the status of every channel."""
    if ctx.invoked_subcommand is not None:
        return
    from smartcart.slack.digest import DigestRunner

    if now and dry_run:
        raise click.UsageError("choose --now or --dry-run, not both")
    config = with_mapping(settings(), mapping)
    engine = service(config)
    runner = DigestRunner(config, engine)
    if dry_run:
        preview = runner.dry_run(chart_path=chart)
        if as_json:
            emit_json(preview.as_dict())
            return
        click.echo(f"Digest for {preview.period.label} (dry run: nothing posted or stored)\n")
        click.echo(preview.message.markdown)
        click.echo(f"\nChart: {preview.chart_path}")
        return
    runners = channel_runners(config, engine, channel) or [runner]
    if now:
        post_now(runners, as_json)
        return
    statuses = [each.status() for each in runners]
    if as_json:
        emit_json({**statuses[0], "channels": statuses})
        return
    for status in statuses:
        print_digest_status(status)


def channel_runners(config, engine, only: str | None) -> list:
    """A runner per channel that should have the digest (the environment's first, then the
    subscribed ones, each once), or for `only` (its subscription's schedule when it has one)."""
    from smartcart.slack.digest import DigestRunner, all_subscriptions, settings_for

    subscriptions = all_subscriptions(config, engine.store)
    if only is not None:
        chosen = [s for s in subscriptions if s.channel == only]
        if not chosen:
            return [
                DigestRunner(config.model_copy(update={"SMARTCART_DIGEST_CHANNEL": only}), engine)
            ]
        subscriptions = chosen
    return [DigestRunner(settings_for(config, s), engine) for s in subscriptions]


def post_now(runners: list, as_json: bool) -> None:
    """One run per channel, each with its own request id; exit 1 when one failed unposted."""
    from smartcart.slack import request_scope

    results = []
    for runner in runners:
        with request_scope("digest"):
            results.append((runner.settings.SMARTCART_DIGEST_CHANNEL, runner.run(manual=True)))
    if as_json:
        runs = [{"channel": channel, **result.as_dict()} for channel, result in results]
        emit_json({**runs[0], "runs": runs})
    else:
        for channel, result in results:
            click.echo(f"{channel}: {result.message}" if len(results) > 1 else result.message)
    if any(r.state in ("failed", "failed_ambiguous") and not r.posted for _, r in results):
        sys.exit(1)


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


def print_digest_status(status: dict) -> None:
    click.echo(f"Channel: {status['channel'] or '(SMARTCART_DIGEST_CHANNEL not set)'}")
    click.echo(f"Current period: {status['period']} ({status['period_label']})")
    run = status["run"]
    state = "not run yet" if run is None else f"{run['state']} (ts {run['message_ts']})"
    click.echo(f"This period's digest: {state}")
    if run and run["error"]:
        click.echo(f"Last error: {run['error']}")
    click.echo(f"Next digest: {status['next_digest']}")
