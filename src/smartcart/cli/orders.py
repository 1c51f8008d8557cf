"""The order path's command-line helpers: `smartcart customers` (the table derived from order
lines, written for an analyst to check) and the draft mapping of an order file."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import click

OUT_SUFFIXES = (".parquet", ".pq", ".csv")


def write_order_customers(
    data: str,
    out: Path,
    as_of: date | None,
    mapping: Path | None,
    config,
    dask_scheduler: str | None = "",
    on_progress=None,
) -> None:
    """Derive the customers of `data` and write them to `out` (.parquet or .csv), whole or
    not at all, streamed from DuckDB (memory does not grow with the customers); the quarantined lines go beside it (`<out>.quarantine.csv`) when there are any.
    `dask_scheduler` other than "": on a Dask cluster (None: one in this process)."""
    from smartcart.engine.orders import write_customers_from_orders

    if out.suffix.lower() not in OUT_SUFFIXES:
        raise click.BadParameter("name it .parquet or .csv", param_hint="--out")
    mapping = mapping or config.SMARTCART_MAPPING
    if dask_scheduler != "":
        frame = _on_dask(data, as_of, mapping, dask_scheduler)
        _write(frame, out)
        click.echo(f"{len(frame):,} customers (Dask engine); wrote {out}")
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    derived = write_customers_from_orders(
        data, out, as_of=as_of, mapping=mapping, on_progress=on_progress
    )
    click.echo(
        f"{derived.layout.label}: {derived.lines:,} order lines, {derived.quarantined:,} "
        f"quarantined; {derived.customers:,} customers as of {derived.as_of.isoformat()}"
        + (f" (amounts in {derived.currency})" if derived.currency else "")
    )
    if derived.quarantined:
        quarantine = out.with_name(f"{out.stem}.quarantine.csv")
        derived.quarantine.to_csv(quarantine, index=False)
        click.echo(f"Quarantined lines (the first {len(derived.quarantine):,}): {quarantine}")
    click.echo(f"Wrote {out}")


def _on_dask(data: str, as_of: date | None, mapping, scheduler: str | None):
    from smartcart.engine.orders import customers_from_orders_dask
    from smartcart.engine.scoring import dask_client

    if not Path(data).is_dir():
        raise click.UsageError("--engine dask reads a folder of Parquet order lines")
    with dask_client(scheduler) as client:
        return customers_from_orders_dask(client, data, as_of=as_of, mapping=mapping)


def _write(frame, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial")
    try:
        if out.suffix.lower() == ".csv":
            frame.to_csv(partial, index=False)
        else:
            frame.to_parquet(partial, index=False)
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)


def suggest_order_mapping(file: str) -> str:
    """A draft order mapping: what the file was recognised as, and the sections to fill."""
    from smartcart.engine.orders import order_layout

    layout = order_layout(file)
    mapped = ", ".join(f"{role} = {column!r}" for role, column in layout.fields.items())
    return f"""# Draft order mapping for {file}
# Recognised as: {layout.label}. Order files are read as order lines and turned into one row
# per customer (smartcart customers --data {file} --out customers.csv shows that table).
# Columns read: {mapped}
# Nothing needs renaming. To use your own product categories, uncomment and edit the rules
# below (globs, case-insensitive; the first rule that matches names the line's category; the
# rest is `other`), then pass this file as --mapping.

# [categories.sku]          # SKU prefix = category
# "TEE-" = "apparel"

# [categories.product]      # pattern on the product name = category
# "*mug*" = "home"

# [categories.vendor]       # or [categories.product_type]
# "Acme*" = "home"
"""
