"""`smartcart serve`, `scheduler` and `health`: the running bot and its scheduler."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bot.cli.common import friendly_errors, service, settings
from bot.cli.main import main


@main.command()
@click.option("--port", default=3000, show_default=True, help="HTTP port (ignored in Socket Mode).")
@click.option("--host", default="0.0.0.0", show_default=True)
@click.option(
    "--no-scheduler",
    is_flag=True,
    help="Do not run the digest/retraining scheduler here (run `smartcart scheduler` once instead).",
)
@friendly_errors
def serve(port, host, no_scheduler) -> None:
    """Serve the Slack bot: HTTP at /slack/events, or Socket Mode when SLACK_APP_TOKEN is set."""
    import bot.views  # noqa: F401  (registers the subcommands)
    from bot.app import create_app
    from bot.context import build_context, context_factory, health
    from bot.health import heartbeat, scheduler_problem, socket_mode_problem
    from bot.server import serve_http, socket_mode_handler
    from bot.views.playbook import check_templates_at_start

    config = settings()
    if config.socket_mode:
        config.require_socket_mode()
    else:
        config.require_slack_http()
    context = build_context(config)
    check_templates_at_start(config.SMARTCART_TEMPLATES)
    app = create_app(config, context_factory(context))
    scheduler = None if no_scheduler else start_jobs(config, context.service)
    problems = [scheduler_problem(scheduler)] if scheduler is not None else []
    liveness = config.SMARTCART_HEALTH_FILE
    try:
        if config.socket_mode:
            click.echo("Connecting to Slack through Socket Mode", err=True)
            handler = socket_mode_handler(config, app)
            with heartbeat(liveness, "socket-mode", [socket_mode_problem(handler), *problems]):
                handler.start()
        else:
            click.echo(f"Serving Slack requests at http://{host}:{port}/slack/events", err=True)
            with heartbeat(liveness, "http", problems, port=port, host=host):
                serve_http(config, app, health(context), port=port, host=host)
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)


def start_jobs(config, engine):
    """The scheduler inside `serve` (None when nothing is configured to run)."""
    from bot.digest.scheduler import describe_jobs, start_scheduler

    scheduler = start_scheduler(config, engine)
    for line in describe_jobs(scheduler) if scheduler else ["scheduler: nothing to schedule"]:
        click.echo(f"Scheduled {line}", err=True)
    return scheduler


@main.command()
@friendly_errors
def scheduler() -> None:
    """Run only the scheduler (digest, retraining): exactly one per deployment."""
    from bot.digest.scheduler import describe_jobs, start_standalone, wait_until_stopped
    from bot.health import heartbeat, scheduler_problem

    config = settings()
    running = start_standalone(config, service(config))
    for line in describe_jobs(running):
        click.echo(f"Scheduled {line}", err=True)
    click.echo("Scheduler running; Ctrl-C to stop", err=True)
    with heartbeat(config.SMARTCART_HEALTH_FILE, "scheduler", [scheduler_problem(running)]):
        wait_until_stopped(running)


@main.command("health")
@click.option(
    "--file",
    "path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The liveness file to read. Default: SMARTCART_HEALTH_FILE.",
)
@click.option(
    "--max-age",
    default=60.0,
    show_default=True,
    type=click.FloatRange(min=1),
    help="Seconds after which a silent process counts as dead.",
)
@friendly_errors
def health_command(path, max_age) -> None:
    """Is the local `serve` or `scheduler` alive? Exit 0 or 1 (a container health check)."""
    from bot.health import check_liveness

    report = check_liveness(path or settings().SMARTCART_HEALTH_FILE, max_age)
    click.echo(report.line)
    if not report.ok:
        sys.exit(1)
