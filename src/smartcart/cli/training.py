"""`smartcart train`, `score` and `model`: the model and the customers it places."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import click

from smartcart.cli.common import (
    check_engine,
    dask_location,
    data_source,
    emit_json,
    engine_options,
    friendly_errors,
    progress,
    read_options,
    row_progress,
    rows_in,
    service,
    settings,
    step_progress,
)
from smartcart.cli.main import main
from smartcart.engine.data import DEFAULT_CHUNK_ROWS, DEFAULT_TABLE, is_order_source


@main.command()
@click.option(
    "--data",
    "data",
    help="Customer file (CSV/TSV/Parquet) or SQLAlchemy URL. Default: SMARTCART_DATA.",
)
@click.option(
    "--table", default=DEFAULT_TABLE, show_default=True, help="Table, when --data is a SQL URL."
)
@click.option(
    "--algorithm",
    default="auto",
    show_default=True,
    type=click.Choice(["auto", "kmeans", "agglomerative", "dbscan"]),
)
@click.option(
    "--k",
    "k",
    default=None,
    help="Number of segments, or 'auto'. Default: 4 (6 for order data: one per default persona).",
)
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Date age and tenure are computed against. Default: latest enrolment in the data.",
)
@click.option("--seed", default=0, show_default=True, help="Random seed.")
@click.option("--refits", default=20, show_default=True, help="Subsample refits for stability.")
@click.option(
    "--personas",
    "personas",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Your personas file (TOML, docs/data/personas.md). Default: SMARTCART_PERSONAS, "
    "else the data's built-in personas.",
)
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
    personas,
    as_json,
    query,
    sheet,
    mapping,
    engine,
    scheduler,
) -> None:
    """Train a model on customer data; it goes live only if training succeeds."""
    from smartcart.engine import TrainingOptions

    check_engine(engine, scheduler)
    config = settings()
    if k is not None and k != "auto" and not (k.isdigit() and 2 <= int(k) <= 10):
        raise click.BadParameter("must be a whole number from 2 to 10, or 'auto'", param_hint="--k")
    options = TrainingOptions(
        algorithm=algorithm,
        k=k if k in (None, "auto") else int(k),
        as_of=as_of.date() if as_of else None,
        seed=seed,
        refits=refits,
        table=table,
        personas=personas or config.SMARTCART_PERSONAS,
        templates=config.SMARTCART_TEMPLATES,
    )
    source = data_source(data, config, table, query, sheet, mapping)
    steps = (lambda _: None) if as_json else progress
    if engine == "dask" and is_order_source(source):
        result = train_orders_on_dask(dask_location(source), options, scheduler, config, steps)
    elif engine == "dask":
        refuse_dask_with_erasures("train", config)
        result = train_on_dask(dask_location(source), options, scheduler, config, steps)
    else:
        with step_progress(None, quiet=as_json) as advance:
            result = service(config).train(
                source,
                options,
                progress=steps,
                on_stored=lambda done, total: advance("Storing customers", done / total, total),
            )
    if as_json:
        summary = train_summary(result.model)
        if getattr(result, "forgotten", None) is not None:  # erasures recorded (smartcart forget)
            summary["forgotten"] = result.forgotten
        emit_json(summary)
        return
    print_training(result)


def refuse_dask_with_erasures(command: str, config) -> None:
    """Dask cannot yet leave forgotten customers out of customer tables (order lines it can):
    with erasures recorded it refuses rather than bring them back."""
    forgotten = service(config).store.count_forgotten()
    if forgotten:
        raise click.UsageError(
            f"{forgotten} customers are forgotten (smartcart forget) and {command} --engine dask "
            f"cannot leave them out of a customer table yet (of order lines it can): {command} "
            "with the local engine (drop --engine dask)"
        )


def train_on_dask(source: str, options, scheduler: str | None, config, steps=progress):
    """Train on a Dask cluster and make the model live (the store is not changed)."""
    from smartcart.engine import train_dataset
    from smartcart.engine.model import make_live
    from smartcart.engine.scoring import dask_client

    with dask_client(scheduler) as client:
        result = train_dataset(client, source, config.SMARTCART_MODEL_DIR, options, steps)
    make_live(config.SMARTCART_MODEL_DIR, result.model.version)
    return result


def train_orders_on_dask(location: str, options, scheduler: str | None, config, steps):
    """Order lines' customers and counted orders derived on a Dask cluster (the lines stay
    there), then the model and the lifetime model trained and the customers stored here, as
    the local engine does."""
    from smartcart.engine.data import load_order_customers_on_dask
    from smartcart.engine.scoring import dask_client

    with dask_client(scheduler) as client:
        steps(f"deriving the customers of {location} on the cluster")
        data, totals = load_order_customers_on_dask(client, location, options.as_of)
    return service(config).train(location, options, progress=steps, data=data, totals=totals)


def train_summary(model) -> dict:
    """The JSON contract of `train --json` (scripts depend on these keys)."""
    from smartcart.engine.model import description_warnings

    card = model.card
    metrics = card.metrics
    return {
        "model_version": model.version,
        "algorithm": card.algorithm,
        "k": card.k,
        "metrics": {
            "silhouette": metrics.silhouette,
            "calinski_harabasz": metrics.calinski_harabasz,
            "davies_bouldin": metrics.davies_bouldin,
            "stability_ari": metrics.stability_ari,
            "assignment_agreement": metrics.assignment_agreement,
        },
        "rows": asdict(card.rows),
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
        "response_model": None if card.response_model is None else asdict(card.response_model),
        **lifetime_summary(model),
        "warnings": description_warnings(model),
    }


def lifetime_summary(model) -> dict:
    """Order models only: `lifetime_model` (the fitted model's object, as `smartcart lifetime
    --json` prints it, without a holdout) and `lifetime_note`, why there is none (None when
    there is one). A model of the study's customer table keeps its keys as they always were."""
    if model.contract != "orders":
        return {}
    lifetime = model.lifetime_model
    return {
        "lifetime_model": None if lifetime is None else lifetime.to_dict(),
        "lifetime_note": model.card.lifetime_note,
    }


def print_training(result) -> None:
    from smartcart.engine.model import description_warnings, summary_line

    card = result.model.card
    metrics = card.metrics
    click.echo(
        f"Model {result.model.version} is live: {card.algorithm}, k={card.k} ({card.selection})"
    )
    rows = card.rows
    click.echo(f"Rows: {rows.read} read, {rows.used} used, {rows.quarantined} quarantined")
    for note in card.notes:
        click.echo(f"Note: {note}")
    if result.model.lifetime is not None:
        click.echo("Lifetime value: BG/NBD + Gamma-Gamma fitted (smartcart lifetime checks it)")
    elif card.lifetime_note:
        click.echo(f"Note: {card.lifetime_note}")
    click.echo(
        f"Silhouette {metrics.silhouette}, stability {metrics.stability_ari}, "
        f"assignment agreement {metrics.assignment_agreement:.1%}"
    )
    click.echo(summary_line(card.response_model))
    print_segments(result.model.segments)
    for warning in description_warnings(result.model):
        click.echo(f"Warning: {warning}")
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
@click.option("--table", default=DEFAULT_TABLE, show_default=True)
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
    default=DEFAULT_CHUNK_ROWS,
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
        orders = is_order_source(source)
        summary = score_on_dask(dask_location(source), out, replace, scheduler, config, orders)
    else:
        with row_progress("Scoring", rows_in(source), quiet=as_json) as advance:
            summary = score_locally(source, out, replace, table, chunk_rows, config, advance)
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
    if summary.forgotten:
        click.echo(f"Left out {summary.forgotten} forgotten customers (erased on request)")
    if out:
        click.echo(f"Scores written to {out}")
    if engine == "dask":
        click.echo("The bot's store is not changed by --engine dask (score locally to fill it).")


def score_locally(
    source, out: Path | None, replace: bool, table: str, chunk_rows: int, config, advance=None
):
    """Chunk by chunk (memory bounded by --chunk-rows), stored in one transaction."""
    from smartcart.engine.scoring import ScoreSummary

    run = service(config).score_file(
        source, replace=replace, table=table, out=out, chunk_rows=chunk_rows, on_rows=advance
    )
    return ScoreSummary(run.model_version, run.rows, run.personas, forgotten=run.forgotten)


def score_on_dask(
    source: str, out: Path | None, replace: bool, scheduler: str | None, config, orders: bool
):
    """A customer table's partitions, or the customers of order lines derived on the cluster,
    scored there and written to `out` (the bot's store is left alone)."""
    from smartcart.engine.data import dataset_files
    from smartcart.engine.model import load_live_model
    from smartcart.engine.scoring import (
        check_output_folder,
        dask_client,
        score_dataset,
        score_order_dataset,
    )

    if out is None:
        raise click.UsageError("--engine dask writes its scores to --out FOLDER; pass one")
    if replace:
        raise click.UsageError(
            "--replace is about the bot's store, which --engine dask leaves alone"
        )
    model = load_live_model(config.SMARTCART_MODEL_DIR)
    model.check_reads("orders" if orders else "customers", source)
    if not orders:  # order lines: the forgotten are left out on the cluster
        refuse_dask_with_erasures("score", config)
    forgotten = service(config).forgotten() if orders else None  # no key: refused here
    dataset_files(source)  # the quick checks, before a cluster starts
    check_output_folder(out)
    with dask_client(scheduler) as client:
        if orders:
            return score_order_dataset(client, model, source, out, forgotten, progress)
        return score_dataset(client, model, source, out, progress)


@main.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print the whole model card as JSON.")
@click.pass_context
@friendly_errors
def model(context: click.Context, as_json) -> None:
    """Show the live model card (`model upgrade` converts models of release 0.1)."""
    from smartcart.engine.model import summary_line

    if context.invoked_subcommand is not None:
        return
    card = service().model.card
    if as_json:
        emit_json(card.as_dict())
        return
    click.echo(f"Model {card.model_version} trained {card.trained_at}")
    click.echo(f"Data: {card.data.source} (sha256 {card.data.sha256[:12]}…), as of {card.as_of}")
    click.echo(f"Rows: {asdict(card.rows)}")
    click.echo(f"Algorithm: {card.algorithm}, k={card.k} ({card.selection})")
    click.echo("Metrics: " + ", ".join(f"{k} {v}" for k, v in asdict(card.metrics).items()))
    click.echo(summary_line(card.response_model))
    click.echo("Personas: " + ", ".join(f"{c}={p}" for c, p in card.personas.items()))
    if card.missing_personas:
        click.echo("Missing personas: " + ", ".join(card.missing_personas))


@model.command("upgrade")
@click.option("--json", "as_json", is_flag=True, help="Print the versions converted as JSON.")
@friendly_errors
def model_upgrade(as_json) -> None:
    """Convert stored models of release 0.1 (format 2, a pickle) to format 3 (data)."""
    from smartcart.engine.model import upgrade_models

    converted = upgrade_models(settings().SMARTCART_MODEL_DIR)
    if as_json:
        emit_json({"converted": converted})
        return
    for version in converted:
        click.echo(f"converted model {version} to format 3")
    if not converted:
        click.echo("every stored model is already in format 3")
