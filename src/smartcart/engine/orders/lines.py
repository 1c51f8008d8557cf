"""Canonical order lines in SQL, one query per layout, over an opened source.

Every layout ends in the same columns (`LINE_COLUMNS`): the line's file line, order_id,
customer_id, ordered_at, amount (the line's merchandise net of every discount, before refunds;
no shipping, no taxes), quantity, product, sku, category, channel, discount (the discount on
the line), status, refunded (the part of the amount refunded), currency, and `reason`: why the
line is quarantined, NULL when it is fine. `raw_date` and `raw_amount` keep the text read, for
the checks that refuse a column no value of which can be read.

Status: `cancelled` lines add nothing (a cancelled order, a voided, failed or unpaid one);
`refunded` lines are refunded in full (refunded = amount); `partially_refunded` lines carry
their share of the order's refund; anything else is a sale.

Shopify: the order's own fields are on its first row only; they are carried to every row of
the order by grouping on `Name` (the order fields of an order are its non-empty values). A
line's amount is Lineitem price x Lineitem quantity - Lineitem discount, less its pro rata share
of the order's other discounts: Discount Amount totals every discount of the order, the line
discounts included, so what it holds beyond them is allocated over the lines by their amount.
An order is cancelled when Cancelled at is set (or its payment voided); refunded in full when
Financial Status is `refunded` or Refunded Amount reaches its merchandise; else a Refunded
Amount is spread over the lines pro rata. The customer is Email, trimmed and lower-cased, else
Phone (then Billing Phone, Shipping Phone), digits and a leading + kept.

WooCommerce: Item Total is the line after discounts, without tax (else Item Cost x quantity);
discount = Item Subtotal - Item Total; Item Refunded is the line's refund. Order Status
completed, processing and on-hold are sales; refunded is refunded in full; cancelled, failed,
pending (unpaid), trash and checkout-draft are cancelled. The channel is `web`.

Generic: `amount` is the line's net amount. A `status` of cancelled, canceled, voided or failed
cancels the line; refunded, returned, refund or return marks a refund: with a positive amount
the line is refunded in full, with a negative one it is a refund line (of -amount) against its
order. A negative amount on any other line is quarantined, not summed: it is more often an
error than a refund without its status.
"""

from __future__ import annotations

from smartcart.engine.orders.expressions import Columns, category, shopify_channel, slug
from smartcart.engine.orders.layouts import OrderLayout
from smartcart.engine.orders.mapping import CategoryRule
from smartcart.engine.orders.sources import LINE, OrderSource, sql_text

LINE_COLUMNS = (
    "customer_id", "order_id", "ordered_at", "amount", "quantity", "product", "sku",
    "category", "channel", "discount", "status", "refunded", "currency",
)  # fmt: skip
CANCELLED = ("cancelled", "canceled", "voided", "failed")
REFUNDS = ("refunded", "returned", "refund", "return")
WOO_CANCELLED = ("cancelled", "failed", "pending", "trash", "checkout-draft", "draft")


def lines_sql(
    source: OrderSource,
    layout: OrderLayout,
    rules: tuple[CategoryRule, ...] = (),
    date_format: str | None = None,
    numbered: bool = True,
) -> str:
    """A query giving the canonical lines of `source` (LINE_COLUMNS, `line`, `reason`...);
    unless `numbered`, `line` is NULL (numbering is a serial step: the checks and the
    aggregation do without, messages number the few lines they name)."""
    cols = Columns(source, layout, date_format, numbered)
    build = {"shopify": _shopify, "woocommerce": _woocommerce, "generic": _generic}[layout.kind]
    body = build(cols, rules)
    return f"SELECT *, {_reason(cols)} AS reason FROM ({body})"


def _listed(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(sql_text(v) for v in values) + ")"


def _phone(expression: str) -> str:
    cleaned = f"regexp_replace({expression}, '[^0-9+]', '', 'g')"
    return f"nullif({cleaned}, '')"


def _email(cols: Columns) -> str:
    return f"nullif(lower(trim({cols.raw('email')})), '')"


def _reason(cols: Columns) -> str:
    keys = " and ".join(cols.label(r) for r in cols.layout.customer_keys) or "customer key"
    order, date = cols.label("order_id"), cols.label("ordered_at")
    amount = cols.label("unit_price" if cols.layout.kind == "shopify" else "amount")
    if cols.layout.kind == "woocommerce" and cols.name("amount") is None:
        amount = cols.label("unit_price")
    quantity = cols.label("quantity")
    return f"""CASE
        WHEN customer_id IS NULL THEN {sql_text(f"no customer: {keys} empty")}
        WHEN order_id IS NULL THEN {sql_text(f"{order} is empty")}
        WHEN raw_date IS NULL THEN {sql_text(f"{date} is empty")}
        WHEN ordered_at IS NULL THEN {sql_text(date + " '")} || raw_date || ''' is not a date'
        WHEN raw_amount IS NULL THEN {sql_text(f"{amount} is empty")}
        WHEN amount IS NULL THEN {sql_text(amount + " '")} || raw_amount || ''' is not a number'
        WHEN raw_quantity IS NOT NULL AND quantity IS NULL
            THEN {sql_text(quantity + " '")} || raw_quantity || ''' is not a number'
        WHEN negative THEN {sql_text(amount)} || ' is negative ('
            || CAST(round(amount, 2) AS VARCHAR) || ') on a line that is not a refund'
        END"""


def _generic(cols: Columns, rules: tuple[CategoryRule, ...]) -> str:
    status = cols.lower("status")
    keys = [cols.key("customer_id")] if cols.name("customer_id") else []
    keys += [_email(cols)] if cols.name("email") else []
    keys += [_phone(cols.raw("phone"))] if cols.name("phone") else []
    customer = keys[0] if len(keys) == 1 else f"coalesce({', '.join(keys)})"
    if len(keys) > 1 and not cols.is_text("customer_id"):
        customer = f"coalesce(CAST({keys[0]} AS VARCHAR), {', '.join(keys[1:])})"
    channel = slug(cols.raw("channel")) if cols.name("channel") else "CAST(NULL AS VARCHAR)"
    base = f"""SELECT {LINE} AS line, {cols.key("order_id")} AS order_id, {customer} AS customer_id,
        {cols.timestamp("ordered_at")} AS ordered_at, {cols.present("ordered_at")} AS raw_date,
        {cols.number("amount")} AS value, {cols.present("amount")} AS raw_amount,
        {cols.quantity()} AS quantity, {cols.present("quantity")} AS raw_quantity,
        {cols.raw("product")} AS product, {cols.raw("sku")} AS sku,
        {category(rules, cols, slug(cols.raw("category")))} AS category, {channel} AS channel,
        coalesce({cols.number("discount")}, 0) AS discount,
        CASE WHEN {status} IN {_listed(CANCELLED)} THEN 'cancelled'
             WHEN {status} IN {_listed(REFUNDS)} THEN 'refunded'
             ELSE coalesce({status}, 'paid') END AS status,
        {cols.raw("currency")} AS currency
        FROM {cols.relation}"""
    return f"""SELECT line, order_id, customer_id, ordered_at, raw_date,
        CASE WHEN status = 'refunded' AND value < 0 THEN 0 ELSE value END AS amount,
        raw_amount, quantity, raw_quantity, product, sku, category, channel, discount, status,
        CASE WHEN status = 'refunded' THEN abs(value) ELSE 0 END AS refunded, currency,
        coalesce(value < 0 AND status <> 'refunded', false) AS negative
        FROM ({base})"""


def _carried(order_fields: dict[str, str], base: str, sums: str = "") -> str:
    """Order fields carried to every line of the order: grouped on order_id, joined back."""
    grouped = ", ".join(f"max({name}) AS o_{name}" for name in order_fields)
    return f"""carried AS (
        SELECT l.*, o.* EXCLUDE (order_key) FROM ({base}) AS l
        LEFT JOIN (SELECT order_id AS order_key, {grouped}{sums} FROM ({base}) GROUP BY order_id)
            AS o ON l.order_id = o.order_key)"""


def _shopify(cols: Columns, rules: tuple[CategoryRule, ...]) -> str:
    phone = f"coalesce({', '.join(_phone(cols.raw(r)) for r in ('phone', 'billing_phone', 'shipping_phone'))})"  # noqa: E501
    order_fields = {
        "email": _email(cols),
        "phone": phone,
        "fin": cols.lower("financial_status"),
        "raw_date": f"coalesce({cols.raw('ordered_at')}, {cols.raw('paid_at')})",
        "time": f"coalesce({cols.timestamp('ordered_at')}, {cols.timestamp('paid_at')})",
        "currency": cols.text("currency"),
        "order_discount": cols.number("order_discount"),
        "refunded_amount": cols.number("refunded_amount"),
        "source": cols.lower("source"),
        "cancelled": cols.raw("cancelled_at"),
    }
    fields = ", ".join(f"{expr} AS {name}" for name, expr in order_fields.items())
    base = f"""SELECT {LINE} AS line, {cols.raw("order_id")} AS order_id, {fields},
        {cols.number("unit_price")} AS price, {cols.raw("unit_price")} AS raw_amount,
        {cols.quantity()} AS quantity, {cols.present("quantity")} AS raw_quantity,
        coalesce({cols.number("line_discount")}, 0) AS line_discount,
        {cols.raw("product")} AS product, {cols.raw("sku")} AS sku, {cols.raw("vendor")} AS vendor,
        {category(rules, cols, "CAST(NULL AS VARCHAR)")} AS category
        FROM {cols.relation}"""
    gross = "greatest(coalesce(price * quantity, 0) - line_discount, 0)"
    sums = f", sum({gross}) AS o_gross, sum(line_discount) AS o_line_discounts"
    extra = "least(greatest(coalesce(o_order_discount, 0) - o_line_discounts, 0), o_gross)"
    priced = f"""priced AS (SELECT *, price * quantity - line_discount AS line_net,
        CASE WHEN o_gross > 0 THEN {extra} * {gross} / o_gross ELSE 0 END AS allocated,
        o_gross - {extra} AS merchandise,
        CASE WHEN o_cancelled IS NOT NULL OR o_fin = 'voided' THEN 'cancelled'
             WHEN o_fin = 'refunded' THEN 'refunded'
             WHEN o_refunded_amount > 0 AND o_refunded_amount >= o_gross - {extra} THEN 'refunded'
             WHEN o_refunded_amount > 0 THEN 'partially_refunded'
             ELSE coalesce(o_fin, 'paid') END AS status
        FROM carried)"""
    return f"""WITH {_carried(order_fields, base, sums)}, {priced}
        SELECT line, order_id, coalesce(o_email, o_phone) AS customer_id,
        o_time AS ordered_at, o_raw_date AS raw_date,
        line_net - allocated AS amount, raw_amount, quantity, raw_quantity, product, sku,
        category, {shopify_channel("o_source")} AS channel, line_discount + allocated AS discount,
        status,
        CASE WHEN status = 'refunded' THEN line_net - allocated
             WHEN status = 'partially_refunded' AND merchandise > 0
                 THEN o_refunded_amount * (line_net - allocated) / merchandise
             ELSE 0 END AS refunded,
        o_currency AS currency, coalesce(price < 0, false) AS negative
        FROM priced"""


def _woocommerce(cols: Columns, rules: tuple[CategoryRule, ...]) -> str:
    status = f"regexp_replace({cols.lower('status')}, '^wc-', '')"
    order_fields = {
        "email": _email(cols),
        "phone": _phone(cols.raw("phone")),
        "raw_date": cols.raw("ordered_at"),
        "time": cols.timestamp("ordered_at"),
        "order_status": status,
        "currency": cols.text("currency"),
    }
    fields = ", ".join(f"{expr} AS {name}" for name, expr in order_fields.items())
    quantity = cols.quantity()
    total = cols.number("amount")
    if cols.name("amount") is None:
        total = f"{cols.number('unit_price')} * {quantity}"
    raw_amount = cols.raw("amount") if cols.name("amount") else cols.raw("unit_price")
    base = f"""SELECT {LINE} AS line, {cols.raw("order_id")} AS order_id, {fields},
        {total} AS value, {raw_amount} AS raw_amount, {quantity} AS quantity,
        {cols.present("quantity")} AS raw_quantity, {cols.raw("product")} AS product,
        {cols.raw("sku")} AS sku, {category(rules, cols, "CAST(NULL AS VARCHAR)")} AS category,
        greatest(coalesce({cols.number("item_subtotal")} - {total}, 0), 0) AS discount,
        abs(coalesce({cols.number("item_refunded")}, 0)) AS item_refunded
        FROM {cols.relation}"""
    kind = f"""CASE WHEN o_order_status IN {_listed(WOO_CANCELLED)} THEN 'cancelled'
        WHEN o_order_status = 'refunded' THEN 'refunded'
        WHEN item_refunded > 0 THEN 'partially_refunded' ELSE 'paid' END"""
    return f"""WITH {_carried(order_fields, base)},
        typed AS (SELECT *, {kind} AS status FROM carried)
        SELECT line, order_id, coalesce(o_email, o_phone) AS customer_id,
        o_time AS ordered_at, o_raw_date AS raw_date, value AS amount, raw_amount, quantity,
        raw_quantity, product, sku, category, 'web' AS channel, discount, status,
        CASE WHEN status = 'refunded' THEN value
             WHEN status = 'partially_refunded' THEN least(item_refunded, value)
             ELSE 0 END AS refunded,
        o_currency AS currency, coalesce(value < 0, false) AS negative
        FROM typed"""
