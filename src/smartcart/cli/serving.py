"""`smartcart serve`, `scheduler` and `health`: the running bot and its scheduler."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from smartcart.cli.common import friendly_errors, service, settings
from smartcart.cli.main import main


@main.command()
@click.option("--port", default=3000, show_default=True, help="HTTP port (ignored in Socket Mode).")
@click.option("--host", default="0.0.0.0", show_default=True)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="HTTP worker processes sharing the port (Socket Mode runs one connection).",
)
@click.option(
    "--no-scheduler",
    is_flag=True,
    help="Do not contend for the scheduler here (the lease keeps it to one process anyway).",
)
@friendly_errors
def serve(port, host, workers, no_scheduler) -> None:
    """Serve the Slack bot: HTTP at /slack/events, or Socket Mode when SLACK_APP_TOKEN is set."""
    from smartcart.slack import (
        SettingsError,
        build_context,
        scheduler_problem,
        use_multiprocess_folder,
        warn_when_open,
    )
    from smartcart.slack.subcommands import check_templates_at_start

    config = settings()
    if config.socket_mode:
        config.require_socket_mode()
        if workers > 1:
            raise SettingsError(
                "--workers: Socket Mode uses one connection to Slack; run it with one worker, "
                "or serve HTTP (unset SLACK_APP_TOKEN) to use several"
            )
    else:
        config.require_slack_http()
    warn_when_open(config)
    # Before any metric exists here or in a worker: every worker's metrics in one folder.
    clean_up_metrics = use_multiprocess_folder() if workers > 1 else (lambda: None)
    context = build_context(config)
    check_templates_at_start(config.SMARTCART_TEMPLATES)
    scheduler = None if no_scheduler else start_jobs(config, context.service)
    problems = [scheduler_problem(scheduler)] if scheduler is not None else []
    try:
        serve_requests(config, context, port, host, workers, problems)
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        clean_up_metrics()


def serve_requests(config, context, port: int, host: str, workers: int, problems: list) -> None:
    """Serve over Socket Mode or HTTP (one process or `workers`), keeping the liveness file."""
    from smartcart.slack import (
        context_factory,
        create_app,
        health_report,
        heartbeat,
        live_model_age,
        serve_http,
        serve_http_workers,
        socket_mode_handler,
        socket_mode_problem,
    )

    liveness = config.SMARTCART_HEALTH_FILE
    if config.socket_mode:
        click.echo("Connecting to Slack through Socket Mode", err=True)
        handler = socket_mode_handler(config, create_app(config, context_factory(context)))
        with heartbeat(liveness, "socket-mode", [socket_mode_problem(handler), *problems]):
            handler.start()
        return
    click.echo(
        f"Serving Slack requests at http://{host}:{port}/slack/events "
        f"({workers} worker{'s' if workers > 1 else ''})",
        err=True,
    )
    with heartbeat(liveness, "http", problems, port=port, host=host):
        if workers > 1:
            serve_http_workers(config, workers, port=port, host=host)
        else:
            app = create_app(config, context_factory(context))
            serve_http(
                config,
                app,
                health_report(context),
                port=port,
                host=host,
                model_age=live_model_age(context.service),
            )


def start_jobs(config, engine):
    """The scheduler inside `serve`, under the lease (None when nothing is configured to run)."""
    from smartcart.slack.digest import start_leased_scheduler

    scheduler = start_leased_scheduler(config, engine)
    if scheduler is None:
        click.echo("Scheduler: nothing to schedule", err=True)
    else:
        click.echo("Scheduler: runs here while this process holds the lease", err=True)
    return scheduler


@main.command()
@friendly_errors
def scheduler() -> None:
    """Run only the scheduler (digest, retraining); the lease keeps it to one per deployment."""
    from smartcart.slack import heartbeat, live_model_age, scheduler_problem, serve_metrics
    from smartcart.slack.digest import start_standalone, wait_until_stopped

    config = settings()
    engine = service(config)
    running = start_standalone(config, engine)
    if config.SMARTCART_METRICS_PORT is not None:
        serve_metrics(config.SMARTCART_METRICS_PORT, live_model_age(engine))
        click.echo(f"Metrics at http://0.0.0.0:{config.SMARTCART_METRICS_PORT}/metrics", err=True)
    click.echo(
        "Scheduler running (its jobs run while it holds the lease); Ctrl-C to stop", err=True
    )
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
    from smartcart.slack import check_liveness

    report = check_liveness(path or settings().SMARTCART_HEALTH_FILE, max_age)
    click.echo(report.line)
    if not report.ok:
        sys.exit(1)
