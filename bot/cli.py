"""`smartcart`: the command line of the engine and the bot."""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path

import click

from segmentation.errors import SegmentationError
from segmentation.propensity import summary_line as response_summary_line

DEMO_ROWS = 2240
DEMO_SEED = 42
TRAIN_JSON_PROFILE = [
    "Income",
    "TotalSpending",
    "Children",
    "NumWebVisitsMonth",
    "NumDealsPurchases",
]


def friendly_errors(command: Callable) -> Callable:
    """One clear line and a non-zero exit for a user's mistake; never a traceback."""

    @wraps(command)
    def run(*args, **kwargs):
        from bot.settings import SettingsError

        try:
            return command(*args, **kwargs)
        except click.ClickException:
            raise  # already one clear line (a usage error exits with 2)
        except (SegmentationError, SettingsError, LookupError) as error:
            raise click.ClickException(str(error).strip("'\"")) from None
        except ValueError as error:
            raise click.ClickException(str(error)) from None
        except KeyboardInterrupt:
            raise click.Abort() from None
        except Exception as error:
            if os.environ.get("SMARTCART_DEBUG"):
                raise
            raise click.ClickException(
                f"unexpected {type(error).__name__}: {error} (set SMARTCART_DEBUG=1 for details)"
            ) from None

    return run


def progress(message: str) -> None:
    click.echo(f"  · {message}", err=True)


def settings():
    from bot.logs import use_settings
    from bot.settings import load_settings

    config = load_settings()
    use_settings(config)
    return config


def service(config=None):
    from segmentation.service import SegmentService
    from segmentation.store import Store

    config = config or settings()
    store = Store(config.SMARTCART_DATABASE_URL)
    store.migrate()
    return SegmentService(config.SMARTCART_MODEL_DIR, store)


def data_source(
    given: str | None,
    config,
    table: str = "customers",
    query: str | None = None,
    sheet: str | None = None,
    mapping: Path | None = None,
):
    """Where and how to read customers: --data (else SMARTCART_DATA) with the read options,
    through --mapping (else SMARTCART_MAPPING)."""
    from segmentation.loading import DataSource, is_sql_url

    source = given or config.SMARTCART_DATA
    if not source:
        raise click.UsageError(
            "no data: pass --data FILE (or an SQLAlchemy URL) or set SMARTCART_DATA"
        )
    if query and not is_sql_url(source):
        raise click.UsageError("--query reads from a database: --data must be an SQLAlchemy URL")
    return DataSource(
        source, table=table, query=query, sheet=sheet, mapping=mapping or config.SMARTCART_MAPPING
    )


def read_options(command: Callable) -> Callable:
    """--query, --sheet and --mapping: how --data is read (handed to the loader as they are)."""
    command = click.option(
        "--mapping",
        type=click.Path(dir_okay=False, path_type=Path),
        help="TOML file naming your columns and values for the contract's. "
        "Default: SMARTCART_MAPPING.",
    )(command)
    command = click.option("--sheet", help="Sheet of an Excel workbook. Default: the first.")(
        command
    )
    return click.option(
        "--query", help='SQL query when --data is a SQL URL, e.g. "SELECT * FROM crm_export".'
    )(command)


def engine_options(command: Callable) -> Callable:
    """--engine and --scheduler, shared by train and score."""
    command = click.option(
        "--scheduler",
        metavar="ADDRESS",
        help="Dask scheduler, e.g. tcp://10.0.0.5:8786 (--engine dask). Default: a local cluster.",
    )(command)
    return click.option(
        "--engine",
        type=click.Choice(["local", "dask"]),
        default="local",
        show_default=True,
        help="local: this process. dask: a Dask cluster, for a folder or glob of Parquet files.",
    )(command)


def dask_location(source) -> str:
    """The data set the Dask engine reads: Parquet files as they are, no mapping or query."""
    if source.mapping is not None or source.query or source.sheet:
        raise click.UsageError(
            "--engine dask reads Parquet files in the contract's columns: "
            "no --mapping, --query or --sheet (map the columns first with the local engine)"
        )
    return source.location


def check_engine(engine: str, scheduler: str | None) -> None:
    if scheduler and engine != "dask":
        raise click.UsageError("--scheduler goes with --engine dask")
    if engine == "dask":
        from segmentation.distributed import require_dask

        require_dask()


def emit_json(payload: object) -> None:
    click.echo(json.dumps(payload, indent=2, default=str))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-v",
    "--verbose",
    count=True,
    help="Log what happens: -v for INFO, -vv for DEBUG (secrets are never logged).",
)
@click.version_option(package_name="smartcart-segments", prog_name="smartcart")
def main(verbose: int) -> None:
    """SmartCart Segments: customer segments for marketing teams, in Slack."""
    from bot.logs import configure_logging

    level = {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    # The format is applied again from the settings (.env included) once a command reads them.
    configure_logging(level, os.environ.get("SMARTCART_LOG_FORMAT", "text").strip().lower())


@main.command()
@click.option(
    "--data",
    "data",
    help="Customer file (CSV/TSV/Parquet) or SQLAlchemy URL. Default: SMARTCART_DATA.",
)
@click.option(
    "--table", default="customers", show_default=True, help="Table, when --data is a SQL URL."
)
@click.option(
    "--algorithm",
    default="auto",
    show_default=True,
    type=click.Choice(["auto", "kmeans", "agglomerative", "dbscan"]),
)
@click.option("--k", "k", default="4", show_default=True, help="Number of segments, or 'auto'.")
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Date age and tenure are computed against. Default: latest enrolment in the data.",
)
@click.option("--seed", default=0, show_default=True, help="Random seed.")
@click.option("--refits", default=20, show_default=True, help="Subsample refits for stability.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
@read_options
@engine_options
@friendly_errors
def train(
    data,
    table,
    algorithm,
    k,
    as_of,
    seed,
    refits,
    as_json,
    query,
    sheet,
    mapping,
    engine,
    scheduler,
) -> None:
    """Train a model on customer data; it goes live only if training succeeds."""
    from segmentation.training import TrainingOptions

    check_engine(engine, scheduler)
    config = settings()
    if k != "auto" and not (k.isdigit() and 2 <= int(k) <= 10):
        raise click.BadParameter("must be a whole number from 2 to 10, or 'auto'", param_hint="--k")
    options = TrainingOptions(
        algorithm=algorithm,
        k=k if k == "auto" else int(k),
        as_of=as_of.date() if as_of else None,
        seed=seed,
        refits=refits,
        table=table,
    )
    source = data_source(data, config, table, query, sheet, mapping)
    if engine == "dask":
        result = train_on_dask(dask_location(source), options, scheduler, config)
    else:
        result = service(config).train(source, options, progress=progress)
    if as_json:
        emit_json(train_summary(result.model))
        return
    print_training(result)


def train_on_dask(source: str, options, scheduler: str | None, config):
    """Train on a Dask cluster and make the model live (the store is not changed)."""
    from segmentation.artifact import make_live
    from segmentation.distributed import dask_client
    from segmentation.distributed_training import train_dataset

    with dask_client(scheduler) as client:
        result = train_dataset(client, source, config.SMARTCART_MODEL_DIR, options, progress)
    make_live(config.SMARTCART_MODEL_DIR, result.model.version)
    return result


def train_summary(model) -> dict:
    """The JSON contract of `train --json` (scripts depend on these keys)."""
    metrics = model.card["metrics"]
    return {
        "model_version": model.version,
        "algorithm": model.card["algorithm"],
        "k": model.card["k"],
        "metrics": {
            key: metrics[key]
            for key in (
                "silhouette",
                "calinski_harabasz",
                "davies_bouldin",
                "stability_ari",
                "assignment_agreement",
            )
        },
        "rows": model.card["rows"],
        "segments": [
            {
                "persona": s["persona"],
                "name": s["name"],
                "size": s["size"],
                "share": round(s["share"], 4),
                "revenue_share": round(s["revenue_share"], 4),
                "response_rate": None
                if s["response_rate"] is None
                else round(s["response_rate"], 4),
                "profile": {f: round(v, 3) for f, v in s["profile"].items()},
            }
            for s in model.segments
        ],
        "candidates": model.candidates,
        "response_model": model.card.get("response_model"),
    }


def print_training(result) -> None:
    card = result.model.card
    metrics = card["metrics"]
    click.echo(
        f"Model {result.model.version} is live: {card['algorithm']}, k={card['k']} "
        f"({card['selection']})"
    )
    rows = card["rows"]
    click.echo(f"Rows: {rows['read']} read, {rows['used']} used, {rows['quarantined']} quarantined")
    for note in card["notes"]:
        click.echo(f"Note: {note}")
    click.echo(
        f"Silhouette {metrics['silhouette']}, stability {metrics['stability_ari']}, "
        f"assignment agreement {metrics['assignment_agreement']:.1%}"
    )
    click.echo(response_summary_line(card.get("response_model")))
    print_segments(result.model.segments)
    click.echo(f"Report: {result.report}")
    for name, path in result.charts.items():
        click.echo(f"Chart ({name}): {path}")


def print_segments(segments: list[dict]) -> None:
    click.echo(
        f"{'segment':<40} {'customers':>9} {'share':>6} {'revenue':>8} {'response':>9} {'lift':>5}"
    )
    for s in segments:
        rate = "n/a" if s["response_rate"] is None else f"{s['response_rate']:.1%}"
        lift = "n/a" if s["lift"] is None else f"{s['lift']:.2f}x"
        click.echo(
            f"{s['name']:<40} {s['size']:>9} {s['share']:>6.1%} {s['revenue_share']:>8.1%} "
            f"{rate:>9} {lift:>5}"
        )


@main.command()
@click.option(
    "--data",
    "data",
    help="Customer file, folder or glob of Parquet files, or SQLAlchemy URL. "
    "Default: SMARTCART_DATA.",
)
@click.option("--table", default="customers", show_default=True)
@click.option(
    "--replace", is_flag=True, help="Replace the stored customers instead of adding/updating."
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="Also write the scores, by the name: FILE.csv, FILE.parquet, or a FOLDER as "
    "partitioned Parquet (required with --engine dask).",
)
@click.option(
    "--chunk-rows",
    default=100_000,
    show_default=True,
    type=click.IntRange(1000),
    help="Customers read, scored and stored at a time (memory grows with it, not the data).",
)
@click.option("--json", "as_json", is_flag=True, help="Print counts per persona as JSON.")
@read_options
@engine_options
@friendly_errors
def score(
    data, table, replace, out, chunk_rows, as_json, query, sheet, mapping, engine, scheduler
) -> None:
    """Place customers in segments with the live model and store the result."""
    check_engine(engine, scheduler)
    config = settings()
    source = data_source(data, config, table, query, sheet, mapping)
    if engine == "dask":
        summary = score_on_dask(dask_location(source), out, replace, scheduler, config)
    else:
        summary = score_locally(source, out, replace, table, chunk_rows, config)
    if as_json:
        emit_json(summary.as_dict())
        return
    where = " on Dask" if engine == "dask" else ""
    click.echo(
        f"Scored {summary.rows['used']} customers with model {summary.model_version}{where} "
        f"({summary.rows['quarantined']} quarantined)"
    )
    for persona, count in summary.personas.items():
        click.echo(f"  {persona:<16} {count}")
    if out:
        click.echo(f"Scores written to {out}")
    if engine == "dask":
        click.echo("The bot's store is not changed by --engine dask (score locally to fill it).")


def score_locally(source, out: Path | None, replace: bool, table: str, chunk_rows: int, config):
    """Chunk by chunk (memory bounded by --chunk-rows), stored in one transaction."""
    from segmentation.distributed import ScoreSummary

    run = service(config).score_file(
        source, replace=replace, table=table, out=out, chunk_rows=chunk_rows
    )
    return ScoreSummary(run.model_version, run.rows, run.personas)


def score_on_dask(source: str, out: Path | None, replace: bool, scheduler: str | None, config):
    from segmentation.artifact import load_live_model
    from segmentation.distributed import check_output_folder, dask_client, score_dataset
    from segmentation.loading import dataset_files

    if out is None:
        raise click.UsageError("--engine dask writes its scores to --out FOLDER; pass one")
    if replace:
        raise click.UsageError(
            "--replace is about the bot's store, which --engine dask leaves alone"
        )
    dataset_files(source)  # the quick checks, before a cluster starts
    check_output_folder(out)
    model = load_live_model(config.SMARTCART_MODEL_DIR)
    with dask_client(scheduler) as client:
        return score_dataset(client, model, source, out, progress)


@main.command()
@click.option("--rows", default=DEMO_ROWS, show_default=True, type=click.IntRange(1, 50_000_000))
@click.option("--seed", default=0, show_default=True)
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="FILE.csv (tab-separated, published layout) or FILE.parquet",
)
@friendly_errors
def generate(rows, seed, out) -> None:
    """Generate realistic customers of the published 29-column shape."""
    from segmentation.generate import generate_customers, write_customers

    out.parent.mkdir(parents=True, exist_ok=True)
    write_customers(generate_customers(rows, seed=seed), out)
    click.echo(f"Wrote {rows} customers to {out}")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the whole model card as JSON.")
@friendly_errors
def model(as_json) -> None:
    """Show the live model card."""
    card = service().model.card
    if as_json:
        emit_json(card)
        return
    metrics = card["metrics"]
    click.echo(f"Model {card['model_version']} trained {card['trained_at']}")
    click.echo(
        f"Data: {card['data']['source']} (sha256 {card['data']['sha256'][:12]}…), as of {card['as_of']}"
    )
    click.echo(f"Rows: {card['rows']}")
    click.echo(f"Algorithm: {card['algorithm']}, k={card['k']} ({card['selection']})")
    click.echo("Metrics: " + ", ".join(f"{k} {v}" for k, v in metrics.items()))
    click.echo(response_summary_line(card.get("response_model")))
    click.echo("Personas: " + ", ".join(f"{c}={p}" for c, p in card["personas"].items()))
    if card.get("missing_personas"):
        click.echo("Missing personas: " + ", ".join(card["missing_personas"]))


@main.command()
@click.option("--rows", default=DEMO_ROWS, show_default=True, type=click.IntRange(100, 1_000_000))
@friendly_errors
def demo(rows) -> None:
    """Generate data, train, score and show the answers, with no Slack and no files of yours."""
    from segmentation.generate import generate_customers, write_customers
    from segmentation.training import TrainingOptions

    config = settings()
    data_file = Path("var") / "demo" / "customers.csv"
    data_file.parent.mkdir(parents=True, exist_ok=True)
    click.echo(f"1. Generating {rows} customers (seed {DEMO_SEED}) -> {data_file}")
    write_customers(generate_customers(rows, seed=DEMO_SEED), data_file)
    click.echo(f"2. Training (model dir {config.SMARTCART_MODEL_DIR})")
    engine = service(config)
    result = engine.train(str(data_file), TrainingOptions(), progress=progress)
    print_training(result)
    click.echo("3. Scoring the same export again (as a weekly refresh would)")
    run = engine.score_file(str(data_file), replace=True)
    click.echo(f"   {run.rows['used']} customers scored with model {run.model_version}")
    first = run.most_confident
    explanation = engine.explain(first)
    click.echo(
        f"4. Customer {first}: {explanation.segment_name} "
        f"(confidence {explanation.confidence:.0%}, {explanation.confidence_label})"
    )
    for driver in explanation.drivers:
        click.echo(f"   - {driver}")
    run_demo_questions(first)


def run_demo_questions(customer_id: int) -> None:
    """The Slack answers, rendered locally through the same handlers as the bot."""
    for text in ("summary", f"customer {customer_id}", "personas"):
        click.echo(f'\n$ smartcart ask "/segment {text}"')
        click.echo(local_answer(text).rendered)


@main.command()
@click.argument("text", nargs=-1, required=False)
@click.option(
    "--json", "as_json", is_flag=True, help="Print the Slack payload (response_type, text, blocks)."
)
@click.option("--user", default=None, help="User id to answer as (default: cli:<your login>).")
@click.option("--channel", default="local", show_default=True, help="Channel id to answer in.")
@friendly_errors
def ask(text, as_json, user, channel) -> None:
    """Answer a /segment text locally, through the bot's own handlers (no Slack needed)."""
    answer = local_answer(" ".join(text), user, channel)
    if as_json:
        emit_json(answer.answer.payload())
        return
    click.echo(answer.rendered)
    for upload in answer.saved_uploads:
        click.echo(f"(file: {upload})")


class LocalAnswer:
    def __init__(self, answer, rendered: str, saved_uploads: list[Path]) -> None:
        self.answer = answer
        self.rendered = rendered
        self.saved_uploads = saved_uploads


def local_answer(text: str, user: str | None = None, channel: str = "local") -> LocalAnswer:
    """Dispatch like Slack does; lookups are audited as the local user; files saved under var/."""
    import getpass

    import bot.views  # noqa: F401  (registers the subcommands)
    from bot.answers import Request, dispatch, looks_up_customers, render_text
    from bot.context import build_context, context_factory

    context = build_context(settings())
    request = Request(text=text, user_id=user or f"cli:{getpass.getuser()}", channel_id=channel)
    answer = dispatch(_LocalContext(context_factory(context)), request)
    if looks_up_customers(text):
        context.audit(request, answer, allowed=True)
    saved = []
    for upload in answer.uploads:
        path = Path("var") / "answers" / upload.filename
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(upload.content)
        saved.append(path)
    return LocalAnswer(answer, render_text(answer), saved)


class _LocalContext:
    """Resolves the context lazily, so 'no model yet' is answered like in Slack."""

    def __init__(self, factory) -> None:
        self._factory = factory

    def __getattr__(self, name: str):
        return getattr(self._factory(), name)


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
    import bot.views  # noqa: F401  (registers the subcommands)
    from bot.context import build_context
    from bot.health import scheduler_problem
    from bot.settings import SettingsError
    from bot.views.playbook import check_templates_at_start

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
    context = build_context(config)
    check_templates_at_start(config.SMARTCART_TEMPLATES)
    scheduler = None if no_scheduler else start_jobs(config, context.service)
    problems = [scheduler_problem(scheduler)] if scheduler is not None else []
    try:
        serve_requests(config, context, port, host, workers, problems)
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)


def serve_requests(config, context, port: int, host: str, workers: int, problems: list) -> None:
    """Serve over Socket Mode or HTTP (one process or `workers`), keeping the liveness file."""
    from bot.app import create_app
    from bot.context import context_factory, health
    from bot.health import heartbeat, socket_mode_problem
    from bot.server import serve_http, serve_http_workers, socket_mode_handler

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
            serve_http(config, app, health(context), port=port, host=host)


def start_jobs(config, engine):
    """The scheduler inside `serve`, under the lease (None when nothing is configured to run)."""
    from bot.digest.scheduler import start_leased_scheduler

    scheduler = start_leased_scheduler(config, engine)
    if scheduler is None:
        click.echo("Scheduler: nothing to schedule", err=True)
    else:
        click.echo("Scheduler: runs here while this process holds the lease", err=True)
    return scheduler


@main.command()
@click.argument("persona", nargs=-1, required=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["md", "slack"]),
    default="md",
    show_default=True,
    help="Markdown for a brief, or Slack mrkdwn.",
)
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE, not stdout."
)
@friendly_errors
def playbook(persona, fmt, out) -> None:
    """A persona's playbook with live numbers (by id, name, clear prefix or C0..C3)."""
    from bot.mrkdwn import to_mrkdwn
    from segmentation.personas import resolve_persona
    from segmentation.playbooks import render_playbook, templates_for

    config = settings()
    found = resolve_persona(" ".join(persona))
    templates = templates_for(config.SMARTCART_TEMPLATES)
    engine = service(config)
    change = engine.change_since_last_digest(found.id)
    book = render_playbook(templates, found, engine.figures(), change)
    text = book.markdown if fmt == "md" else to_mrkdwn(book.markdown)
    if out is None:
        click.echo(text, nl=False)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    click.echo(f"Wrote the {found.name} playbook ({fmt}) to {out}", err=True)


@main.command()
@click.argument("persona", nargs=-1, required=True)
@click.option(
    "--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="FILE.csv"
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "meta", "google", "klaviyo"]),
    default="csv",
    show_default=True,
    help="csv, a Meta custom audience, Google Customer Match (both hashed) or a Klaviyo import.",
)
@click.option(
    "--contacts",
    help="Contacts (CSV, Parquet or SQLAlchemy URL): customer_id, email, phone[, consent]. "
    "Default: SMARTCART_CONTACTS.",
)
@click.option(
    "--contacts-table",
    default="contacts",
    show_default=True,
    help="Table, when --contacts is a SQL URL.",
)
@click.option(
    "--default-country",
    help="Country of phones written without a country code (e.g. US). "
    "Default: SMARTCART_DEFAULT_COUNTRY.",
)
@click.option(
    "--min-confidence",
    type=click.FloatRange(0, 1),
    help="Keep only customers placed with at least this confidence (0 to 1).",
)
@click.option(
    "--changes", is_flag=True, help="Who joined and who left the persona since the last digest."
)
@click.option("--user", default=None, help="User id for the audit trail (default: cli:<login>).")
@click.option("--top", default=None, help="Keep the most likely to respond: a share (30%) or 500.")
@click.option("--campaign", default=None, help="Record a campaign of this name (with --holdout).")
@click.option("--holdout", default=None, help="Control group share with --campaign (default 10%).")
@friendly_errors
def export(
    persona,
    out,
    fmt,
    contacts,
    contacts_table,
    default_country,
    min_confidence,
    changes,
    user,
    top,
    campaign,
    holdout,
) -> None:
    """Write a persona's audience for a campaign tool (recorded in the audit trail)."""
    import getpass

    from bot.views.export import empty_message
    from segmentation.audiences import ExportOptions
    from segmentation.campaigns import Targeting
    from segmentation.contacts import load_contacts
    from segmentation.exports import persona_export
    from segmentation.personas import resolve_persona

    config = settings()
    text = " ".join(persona)
    found = resolve_persona(text)
    options = ExportOptions(
        format=fmt,
        min_confidence=min_confidence,
        changes=changes,
        default_country=default_country or config.SMARTCART_DEFAULT_COUNTRY,
        targeting=Targeting.parse(top=top, campaign=campaign, holdout=holdout),
    )
    source = contacts or config.SMARTCART_CONTACTS
    if source is None and fmt != "csv":
        raise click.UsageError(
            f"--format {fmt} needs contact details: pass --contacts FILE or set SMARTCART_CONTACTS"
        )
    engine = service(config)
    known = load_contacts(source, contacts_table) if source else None
    user_id = user or f"cli:{getpass.getuser()}"
    made = persona_export(engine, found, options, known, (user_id, "local"))
    rows = made.result.rows
    if rows:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(made.result.content)
    engine.store.audit(
        user_id, "local", "export", text, True, rows=rows, detail=made.audit_detail()
    )
    if not rows:
        click.echo(empty_message(engine, made).replace("*", ""), err=True)
        raise SystemExit(1)
    what = "changes" if changes else "customers"
    since = f" since the digest of {made.since_period}" if made.since_period else ""
    click.echo(f"Wrote {rows:,} {what} of {found.name}{since} to {out} (format {fmt})")
    for line in made.result.summary_lines():
        click.echo(line)
    if made.campaign is not None:
        c = made.campaign
        click.echo(
            f"Campaign {c.name}: {c.target_size:,} target, {c.control_size:,} control "
            f"({c.holdout:.0%} held out; the group column). Do not contact the control group."
        )


@main.group()
def mapping() -> None:
    """Your columns and values to the data contract (a TOML mapping file)."""


@mapping.command("suggest")
@click.argument("file")
@click.option("--sheet", help="Sheet of an Excel workbook. Default: the first.")
@click.option("--table", default="customers", show_default=True, help="Table, for a SQL URL.")
@click.option("--query", help="SQL query, for a SQL URL.")
@friendly_errors
def suggest_mapping_command(file, sheet, table, query) -> None:
    """Print a draft mapping of FILE's columns and values.

    smartcart mapping suggest FILE > mapping.toml, then read and complete it.
    """
    from segmentation.loading import load_customers
    from segmentation.suggest import suggest_mapping

    raw = load_customers(file, table, query=query, sheet=sheet, all_columns=True)
    click.echo(suggest_mapping(raw.frame, raw.source), nl=False)


@main.group()
def campaign() -> None:
    """Campaigns recorded by `export --campaign`: list them, read out their results."""


@campaign.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the campaigns as JSON.")
@friendly_errors
def campaign_list(as_json) -> None:
    """Every campaign: persona, filters, target and control sizes, when and by whom."""
    from segmentation.campaigns import list_campaigns

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
@friendly_errors
def campaign_readout(name, responses, as_json) -> None:
    """Target vs control: response rates, lift with its 95% interval, p-value, verdict."""
    from segmentation.campaigns import campaign_groups, get_campaign
    from segmentation.readouts import read_responses, readout, save_responses

    store = service().store
    found = get_campaign(store, name)
    loaded = read_responses(responses)
    save_responses(store, found, loaded, str(responses))
    result = readout(found.name, campaign_groups(store, found), loaded)
    if as_json:
        emit_json(result.as_dict())
        return
    for line in result.lines():
        click.echo(line)


@main.group()
def templates() -> None:
    """The Jinja templates (playbooks, digest), built-in or from SMARTCART_TEMPLATES."""


@templates.command("check")
@friendly_errors
def check_templates_command() -> None:
    """Check every template; prints one `file:line: problem` per line, exits 1 if any."""
    from bot.digest.runner import digest_samples
    from segmentation.playbooks import check_templates
    from segmentation.templating import Templates

    folder = settings().SMARTCART_TEMPLATES
    checked = Templates(folder)
    problems = check_templates(checked, digest_samples())
    for problem in problems:
        click.echo(problem)
    if problems:
        click.echo(f"{len(problems)} template problem(s)", err=True)
        raise SystemExit(1)
    where = f"{folder}, then the built-in ones" if folder else "built-in"
    click.echo(f"{len(checked.names())} templates OK ({where})")


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


@main.command()
@friendly_errors
def scheduler() -> None:
    """Run only the scheduler (digest, retraining); the lease keeps it to one per deployment."""
    from bot.digest.scheduler import start_standalone, wait_until_stopped
    from bot.health import heartbeat, scheduler_problem

    config = settings()
    running = start_standalone(config, service(config))
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
    from bot.health import check_liveness

    report = check_liveness(path or settings().SMARTCART_HEALTH_FILE, max_age)
    click.echo(report.line)
    if not report.ok:
        sys.exit(1)


if __name__ == "__main__":
    sys.exit(main())
