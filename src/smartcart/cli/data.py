"""`smartcart generate`, `customers`, `mapping suggest`, `playbook` and `templates check`: data,
mappings, templates."""

from __future__ import annotations

from pathlib import Path

import click

from smartcart.cli.common import (
    DEMO_ROWS,
    check_engine,
    data_source,
    engine_options,
    friendly_errors,
    live_personas,
    query_option,
    row_progress,
    rows_in,
    service,
    settings,
    step_progress,
)
from smartcart.cli.main import main
from smartcart.engine.data import DEFAULT_TABLE


@main.command()
@click.option("--rows", default=DEMO_ROWS, show_default=True, type=click.IntRange(1, 50_000_000))
@click.option("--seed", default=0, show_default=True)
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path),
    help="FILE.csv (tab-separated, published layout) or FILE.parquet; with --orders, "
    "FILE.csv or a FOLDER of Parquet parts",
)
@click.option("--orders", is_flag=True, help="Order lines instead of customers.")
@click.option(
    "--layout",
    type=click.Choice(["generic", "shopify"]),
    default="generic",
    show_default=True,
    help="With --orders: the generic order-lines contract or Shopify's orders export.",
)
@click.option(
    "--customers",
    type=click.IntRange(1, 10_000_000),
    help="With --orders: how many customers' orders (about 10 lines each). Default: --rows.",
)
@friendly_errors
def generate(rows, seed, out, orders, layout, customers) -> None:
    """Generate realistic customers of the published 29-column shape, or (--orders) the
    order lines of realistic customers."""
    out.parent.mkdir(parents=True, exist_ok=True)
    if orders:
        from smartcart.engine.orders import write_orders

        count = customers or rows
        with row_progress("Generating customers' orders", count) as advance:
            written = write_orders(out, count, seed=seed, layout=layout, on_rows=advance)
        click.echo(f"Wrote the {layout} order lines of {count} customers to {written}")
        return
    if layout != "generic" or customers is not None:
        raise click.UsageError("--layout and --customers go with --orders")
    from smartcart.engine.data.synthetic import generate_customers, write_customers

    with row_progress("Generating customers", rows) as advance:
        write_customers(generate_customers(rows, seed=seed), out, on_rows=advance)
    click.echo(f"Wrote {rows} customers to {out}")


@main.command()
@click.option(
    "--data",
    "data",
    required=True,
    help="Order file, Parquet folder or glob, or SQLAlchemy URL (with --query or --table).",
)
@click.option(
    "--table", default=DEFAULT_TABLE, show_default=True, help="Table, when --data is a SQL URL."
)
@query_option
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="FILE.parquet or FILE.csv: one row per customer.",
)
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Day recency and windows are counted to. Default: the day of the latest order.",
)
@click.option(
    "--mapping",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Order mapping (TOML): [columns], [dates], [categories]. Default: SMARTCART_MAPPING.",
)
@engine_options
@friendly_errors
def customers(data, table, query, out, as_of, mapping, engine, scheduler) -> None:
    """Write the customers derived from order lines (what train and score derive themselves),
    from a file, a Parquet folder or glob, or a database query or table.
    With --engine dask, a folder of Parquet order lines is aggregated on a Dask cluster."""
    from smartcart.cli.orders import write_order_customers
    from smartcart.engine.data import is_sql_url, order_location

    check_engine(engine, scheduler)
    config = settings()
    source = data_source(data, config, table, query, mapping=mapping)
    if engine == "dask" and is_sql_url(data):
        raise click.UsageError(
            "--engine dask reads a folder of Parquet order lines, not a database: "
            "drop --engine dask"
        )
    day = as_of.date() if as_of else None
    dask_scheduler = scheduler if engine == "dask" else ""
    with step_progress(rows_in(data) if engine == "local" else None) as advance:
        write_order_customers(
            order_location(source), out, day, mapping, config, dask_scheduler, advance
        )


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
    from smartcart.engine.model import resolve_persona
    from smartcart.engine.reports import render_playbook, templates_for
    from smartcart.slack import to_mrkdwn

    config = settings()
    engine = service(config)
    found = resolve_persona(" ".join(persona), engine.model.personas)
    templates = templates_for(config.SMARTCART_TEMPLATES)
    change = engine.change_since_last_digest(found.id)
    book = render_playbook(templates, found, engine.figures(), change)
    text = book.markdown if fmt == "md" else to_mrkdwn(book.markdown)
    if out is None:
        click.echo(text, nl=False)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    click.echo(f"Wrote the {found.name} playbook ({fmt}) to {out}", err=True)


@main.group()
def mapping() -> None:
    """Your columns and values to the data contract (a TOML mapping file)."""


@mapping.command("suggest")
@click.argument("file")
@click.option("--sheet", help="Sheet of an Excel workbook. Default: the first.")
@click.option("--table", default=DEFAULT_TABLE, show_default=True, help="Table, for a SQL URL.")
@click.option("--query", help="SQL query, for a SQL URL.")
@friendly_errors
def suggest_mapping_command(file, sheet, table, query) -> None:
    """Print a draft mapping of FILE's columns and values.

    smartcart mapping suggest FILE > mapping.toml, then read and complete it.
    """
    from smartcart.cli.orders import suggest_order_mapping
    from smartcart.engine.data import is_order_source, load_customers, suggest_mapping

    if not query and is_order_source(file):
        click.echo(suggest_order_mapping(file), nl=False)
        return
    raw = load_customers(file, table, query=query, sheet=sheet, all_columns=True)
    click.echo(suggest_mapping(raw.frame, raw.source), nl=False)


@main.group()
def templates() -> None:
    """The Jinja templates (playbooks, digest), built-in or from SMARTCART_TEMPLATES."""


@templates.command("check")
@friendly_errors
def check_templates_command() -> None:
    """Check every template; prints one `file:line: problem` per line, exits 1 if any."""
    from smartcart.engine.reports import Templates, check_templates
    from smartcart.slack.digest import digest_samples

    config = settings()
    folder = config.SMARTCART_TEMPLATES
    checked = Templates(folder)
    problems = check_templates(checked, digest_samples(), live_personas(config))
    for problem in problems:
        click.echo(problem)
    if problems:
        click.echo(f"{len(problems)} template problem(s)", err=True)
        raise SystemExit(1)
    where = f"{folder}, then the built-in ones" if folder else "built-in"
    click.echo(f"{len(checked.names())} templates OK ({where})")
