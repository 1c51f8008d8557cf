"""`smartcart lifetime`: fit the lifetime-value model on an order history and check it."""

from __future__ import annotations

import json
from pathlib import Path

import click

from smartcart.cli.common import friendly_errors, progress
from smartcart.cli.main import main


@main.command()
@click.option(
    "--data",
    "source",
    required=True,
    help="Order history: Shopify or WooCommerce export, order-lines CSV, Parquet file or folder.",
)
@click.option(
    "--calibration-end",
    required=True,
    help="Last day (YYYY-MM-DD) of the orders the model is fitted on.",
)
@click.option(
    "--holdout-end",
    help="Check the forecast on the orders after --calibration-end up to this day.",
)
@click.option(
    "--time-unit",
    type=click.Choice(["day", "week"]),
    default="day",
    show_default=True,
    help="Unit of the model's alpha (and of recency and age).",
)
@click.option(
    "--mapping",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="TOML file naming your order columns (the orders mapping).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the model as one JSON object.")
@friendly_errors
def lifetime(source, calibration_end, holdout_end, time_unit, mapping, as_json) -> None:
    """Fit BG/NBD + Gamma-Gamma on the orders up to --calibration-end; with --holdout-end,
    compare its forecast of repeat purchases with what the customers then bought."""
    from smartcart.engine.lifetime import fit_orders
    from smartcart.engine.orders import order_totals

    if not as_json:
        progress(f"reading the orders of {source}")
    totals = order_totals(source, as_of=holdout_end or calibration_end, mapping=mapping)
    if not as_json:
        progress(f"{len(totals.frame):,} orders counted; fitting up to {calibration_end}")
    model = fit_orders(totals.frame, calibration_end, time_unit, holdout_end)
    if as_json:
        click.echo(json.dumps(model.to_dict(), allow_nan=False))
        return
    click.echo(describe(model.to_dict()))


def describe(fitted: dict) -> str:
    """The fitted model in a few lines for a person."""
    params = fitted["params"]
    lines = [
        f"{fitted['model']} on {fitted['customers']:,} customers (time unit: {fitted['time_unit']})",
        "  BG/NBD       "
        + ", ".join(f"{name} = {params[name]:.4g}" for name in ("r", "alpha", "a", "b")),
        "  Gamma-Gamma  "
        + ", ".join(f"{name} = {params[name]:.4g}" for name in ("p", "q", "gamma")),
        f"  log-likelihood {fitted['log_likelihood']:.1f}",
    ]
    holdout = fitted.get("holdout")
    if holdout:
        lines.append(
            f"  holdout: {holdout['predicted_repeat_purchases']:,.1f} repeat purchases predicted, "
            f"{holdout['actual_repeat_purchases']:,} made "
            f"({holdout['relative_error']:+.1%})"
        )
    return "\n".join(lines)
