"""Open an order source, check it, and read its canonical lines (`read_order_lines`).

The checks run as one streamed aggregate over the lines. Fatal, one DataError each: a header
that is no order file; no customer key column; a date or amount column none of whose values
can be read; several currencies in one file; no usable line at all. A stray line is quarantined
with its reason (a DataFrame: line, order_id, reason; the first `QUARANTINE_ROWS` are kept, all
are counted) and left out of every figure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from smartcart.engine.errors import DataError
from smartcart.engine.orders.layouts import GENERIC_REQUIRED, OrderLayout, recognise
from smartcart.engine.orders.lines import LINE_COLUMNS, lines_sql
from smartcart.engine.orders.mapping import OTHER, OrderMapping, read_order_mapping
from smartcart.engine.orders.progress import OnProgress, watched
from smartcart.engine.orders.sources import OrderSource, SqlOrders, connect, open_source, sql_text

QUARANTINE_ROWS = 10_000
MAX_CATEGORIES = 20  # the rest by revenue count as `other`
MAX_CHANNELS = 10
LINES_VIEW = "order_lines"
PLAIN_VIEW = "order_lines_plain"  # the same, without line numbers: faster to scan
CHECKING = "Checking order lines"


@dataclass
class OpenedOrders:
    """An order source opened on a DuckDB connection, its canonical lines a view, checked."""

    con: duckdb.DuckDBPyConnection
    source: OrderSource
    layout: OrderLayout
    lines: int = 0
    quarantined: int = 0
    currency: str | None = None
    latest: object = None  # the latest ordered_at among usable lines
    categories: list[str] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)

    def quarantine(self) -> pd.DataFrame:
        """The first quarantined lines: line, order_id, reason."""
        if not self.quarantined:
            return pd.DataFrame({"line": [], "order_id": [], "reason": []}).astype(
                {"line": "int64", "order_id": "object", "reason": "object"}
            )
        query = (
            f"SELECT line, order_id, reason FROM {LINES_VIEW} WHERE reason IS NOT NULL "
            f"ORDER BY line LIMIT {QUARANTINE_ROWS}"
        )
        return self.con.execute(query).df()


@dataclass
class OrderLines:
    """Canonical order lines read whole (usable lines only, with their file `line`)."""

    frame: pd.DataFrame
    quarantine: pd.DataFrame
    quarantined: int
    layout: OrderLayout
    source: str
    currency: str | None = None


def open_orders(
    source: str | Path | pd.DataFrame | SqlOrders,
    mapping: str | Path | OrderMapping | None = None,
    *,
    memory_limit: str = "1GB",
    threads: int | None = None,
    on_progress: OnProgress | None = None,
) -> OpenedOrders:
    """Open and check an order source; every fatal problem is one DataError. `on_progress`
    hears how far the check of every line is (step "Checking order lines")."""
    if mapping is not None and not isinstance(mapping, OrderMapping):
        mapping = read_order_mapping(mapping)
    con = connect(memory_limit, threads)
    opened = open_source(con, source)
    layout = _layout(opened, mapping)
    rules = mapping.categories if mapping else ()
    date_format = mapping.dates.get("ordered_at") if mapping else None
    for view, numbered in ((LINES_VIEW, True), (PLAIN_VIEW, False)):
        query = lines_sql(opened, layout, rules, date_format, numbered)
        con.execute(f"CREATE TEMP VIEW {view} AS {query}")
    orders = OpenedOrders(con, opened, layout)
    with watched(con, CHECKING, on_progress):
        table = _run(orders, CHECK_QUERY)
    _check(orders, table)
    return orders


def order_layout(
    source: str | Path | pd.DataFrame | SqlOrders,
    mapping: str | Path | OrderMapping | None = None,
) -> OrderLayout | None:
    """What kind of order file a source is, from its header (through the mapping's column
    names), or None when it is no order file; reads no line. A source that cannot be opened
    is a DataError."""
    if mapping is not None and not isinstance(mapping, OrderMapping):
        mapping = read_order_mapping(mapping)
    con = connect("256MB", 1)
    try:
        opened = open_source(con, source, header_only=True)
        renames = mapping.renames(opened.columns, opened.location) if mapping else {}
        return recognise([renames.get(c, c) for c in opened.columns])
    finally:
        con.close()


def read_order_lines(
    source: str | Path | pd.DataFrame | SqlOrders,
    mapping: str | Path | OrderMapping | None = None,
) -> OrderLines:
    """The canonical lines of an order source, whole, in file order, with the quarantine."""
    orders = open_orders(source, mapping)
    columns = ", ".join(("line", *LINE_COLUMNS))
    query = f"SELECT {columns} FROM {LINES_VIEW} WHERE reason IS NULL ORDER BY line"
    frame = orders.con.execute(query).df()
    return OrderLines(
        frame,
        orders.quarantine(),
        orders.quarantined,
        orders.layout,
        orders.source.location,
        orders.currency,
    )


def _layout(opened: OrderSource, mapping: OrderMapping | None) -> OrderLayout:
    renames = mapping.renames(opened.columns, opened.location) if mapping else {}
    contract = [renames.get(c, c) for c in opened.columns]
    layout = recognise(contract)
    if layout is None:
        shown = ", ".join(opened.columns[:8]) + (", ..." if len(opened.columns) > 8 else "")
        what = "its rows are not order lines" if opened.dialect == "sql" else "not an order file"
        raise DataError(
            f"{opened.location}: {what}: expected Shopify's orders export, "
            f"WooCommerce's export (one row per item) or order lines with "
            f"{', '.join(GENERIC_REQUIRED)} and customer_id (its columns: {shown})"
        )
    back = {contract_name: file_name for file_name, contract_name in renames.items()}
    fields = {role: back.get(name, name) for role, name in layout.fields.items()}
    layout = OrderLayout(layout.kind, layout.label, fields)
    if not layout.customer_keys:
        raise DataError(
            f"{opened.location}: no customer key column: order lines need customer_id "
            "(or email, or phone) to tell whose order a line is"
        )
    return layout


# One group per (currency, category, channel): a handful of groups, rolled up in pandas (cheaper
# than GROUPING SETS, which aggregates every line once per set)
CHECK_QUERY = f"""
SELECT currency, category, channel,
    count(*) AS n, count(*) FILTER (reason IS NULL) AS ok,
    sum(amount - refunded) FILTER (reason IS NULL) AS net,
    max(ordered_at) FILTER (reason IS NULL AND status <> 'cancelled') AS latest,
    count(raw_date) AS raw_dates, count(ordered_at) AS dates,
    count(raw_amount) AS raw_amounts, count(amount) AS amounts
FROM {PLAIN_VIEW}
GROUP BY currency, category, channel
"""
SUMMED = ("n", "ok", "net", "raw_dates", "dates", "raw_amounts", "amounts")


def _rolled_up(table: pd.DataFrame, column: str | None) -> pd.DataFrame:
    """The check's figures per value of `column` (None: over every line)."""
    if column is None:
        row = {name: table[name].sum() for name in SUMMED}
        return pd.DataFrame([{**row, "latest": table["latest"].max() if len(table) else None}])
    grouped = table.groupby(column, dropna=False, sort=False)
    return grouped.agg({**dict.fromkeys(SUMMED, "sum"), "latest": "max"}).reset_index()


def _check(orders: OpenedOrders, table: pd.DataFrame) -> None:
    row = _rolled_up(table, None).iloc[0]
    where = orders.source.location
    if not row.n:
        raise DataError(f"{where}: has a header but no order lines")
    _whole_column(orders, row)
    orders.lines, orders.quarantined = int(row.n), int(row.n - row.ok)
    orders.latest = row.latest if pd.notna(row.latest) else None
    if not row.ok:
        line, reason = _first(orders, "reason", "reason IS NOT NULL")
        raise DataError(
            f"{where}: no order line can be used ({orders.quarantined} quarantined; "
            f"line {line}: {reason})"
        )
    currencies = _rolled_up(table, "currency")
    currencies = currencies[currencies.currency.notna()]
    if len(currencies) > 1:
        _currencies(orders)
    orders.currency = str(currencies.iloc[0].currency) if len(currencies) else None
    categories, channels = _rolled_up(table, "category"), _rolled_up(table, "channel")
    orders.categories, lump_categories = _top(
        categories[categories.ok > 0], "category", MAX_CATEGORIES
    )
    orders.channels, lump_channels = _top(channels[channels.ok > 0], "channel", MAX_CHANNELS)
    _lump(orders, {"category": lump_categories, "channel": lump_channels})


def _run(orders: OpenedOrders, query: str) -> pd.DataFrame:
    try:
        return orders.con.execute(query).df()
    except duckdb.Error as error:
        text = str(error).strip().splitlines()[0]
        raise DataError(f"{orders.source.location}: cannot be read ({text})") from None


def _first(orders: OpenedOrders, column: str, condition: str) -> tuple[int, object]:
    """(line, value of `column`) of the first line where `condition` holds."""
    query = f"SELECT line, {column} FROM {LINES_VIEW} WHERE {condition} ORDER BY line LIMIT 1"
    row = _run(orders, query).iloc[0]
    return int(row.line), row[column]


def _whole_column(orders: OpenedOrders, row: pd.Series) -> None:
    where, layout = orders.source.location, orders.layout
    if row.raw_dates and not row.dates:
        line, value = _first(orders, "raw_date", "raw_date IS NOT NULL AND ordered_at IS NULL")
        label = layout.column("ordered_at") or "ordered_at"
        raise DataError(
            f"{where}: column {label!r} has no date that can be read (line {line}: {value!r}); "
            "dates are read as ISO 8601 (2024-05-31 or 2024-05-31 14:02:00), or give the "
            'format in the mapping: [dates] ordered_at = "%d/%m/%Y"'
        )
    if row.raw_amounts and not row.amounts:
        line, value = _first(orders, "raw_amount", "raw_amount IS NOT NULL AND amount IS NULL")
        role = "unit_price" if layout.kind == "shopify" else "amount"
        label = layout.column(role) or layout.column("unit_price") or role
        raise DataError(
            f"{where}: column {label!r} has no number that can be read (line {line}: "
            f"{value!r}); amounts are written like 1234.50"
        )


def _currencies(orders: OpenedOrders) -> None:
    query = (
        f"SELECT currency, min(line) AS first_line FROM {LINES_VIEW} "
        "WHERE currency IS NOT NULL GROUP BY currency ORDER BY first_line"
    )
    groups = _run(orders, query)
    names = ", ".join(groups.currency)
    second = groups.iloc[1]
    label = orders.layout.column("currency") or "currency"
    raise DataError(
        f"{orders.source.location}: several currencies in column {label!r} ({names}); line "
        f"{int(second.first_line)} is the first in {second.currency}: "
        "split the orders by currency, figures in different currencies cannot be summed"
    )


def _top(groups: pd.DataFrame, column: str, most: int) -> tuple[list[str], bool]:
    """The `most` values of a column with the most revenue (the rest lumped as other), and
    whether any was lumped."""
    groups = groups[groups[column].notna()].sort_values(["net", column], ascending=[False, True])
    names = [str(v) for v in groups[column]]
    if len(names) > most:
        return sorted([n for n in names if n != OTHER][: most - 1] + [OTHER]), True
    return sorted(names), False


def _lump(orders: OpenedOrders, lumped: dict[str, bool]) -> None:
    """Categories and channels past the top ones are `other` (a view over the view); when
    none is past, the view is the usable lines as they are (an IN list per line costs)."""
    replaced = []
    if lumped["category"]:
        listed = ", ".join(sql_text(c) for c in orders.categories)
        replaced.append(
            f"CASE WHEN category IN ({listed}) THEN category ELSE {sql_text(OTHER)} END AS category"
        )
    if lumped["channel"]:
        listed = ", ".join(sql_text(c) for c in orders.channels)
        replaced.append(
            f"CASE WHEN channel IS NULL OR channel IN ({listed}) THEN channel "
            f"ELSE {sql_text(OTHER)} END AS channel"
        )
    columns = f"* REPLACE ({', '.join(replaced)})" if replaced else "*"
    orders.con.execute(
        f"CREATE TEMP VIEW lumped_lines AS SELECT {columns} FROM {PLAIN_VIEW} WHERE reason IS NULL"
    )
