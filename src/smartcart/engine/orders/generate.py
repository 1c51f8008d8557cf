"""Synthetic order histories: `generate_orders` (a DataFrame) and `write_orders` (CSV, or a
Parquet folder written in parts so memory stays flat), vectorised with numpy.

The model, per customer: a first order day in the `years` before `end`; an order rate per year
(lognormal: most buy a few times a year, a few every other week); a lifetime after which the
customer stops (exponential), so recency varies; orders spread uniformly over the active span.
Per order: 1 + Poisson(0.9) line items, mostly from the customer's favourite category; a
channel, mostly the customer's usual one; a discount on a quarter of the orders; and a small
share cancelled, refunded in full or refunded in part. Emails have mixed case and stray spaces.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from smartcart.engine.orders.layouts import SHOPIFY_COLUMNS, SHOPIFY_COLUMNS_75

CATEGORIES = {  # category: (SKU prefix, vendor, [(product, price)...])
    "apparel": ("AP", "Northwind", [("Crew Tee", 19.0), ("Hoodie", 49.0), ("Socks 3-pack", 9.5)]),
    "shoes": ("SH", "Stride", [("Runner", 89.0), ("Sandal", 39.0), ("Boot", 129.0)]),
    "home": ("HM", "Hearth", [("Mug", 12.0), ("Candle", 18.5), ("Throw", 59.0)]),
    "beauty": ("BT", "Glow", [("Face Cream", 24.0), ("Lip Balm", 6.5), ("Serum", 36.0)]),
    "kids": ("KD", "Little Co", [("Romper", 22.0), ("Toy Car", 14.0), ("Puzzle", 17.0)]),
    "outdoor": ("OD", "Ridge", [("Water Bottle", 15.0), ("Tent", 199.0), ("Headlamp", 29.0)]),
}
CHANNELS = np.array(["web", "app", "pos", "draft"])
CHANNEL_WEIGHTS = np.array([0.6, 0.2, 0.15, 0.05])
SHOPIFY_SOURCES = {"web": "web", "app": "iphone", "pos": "pos", "draft": "shopify_draft_order"}
CANCEL_RATE, REFUND_RATE, PARTIAL_REFUND_RATE, DISCOUNT_RATE = 0.03, 0.03, 0.04, 0.25


def _catalogue() -> pd.DataFrame:
    rows = [
        (cat, f"{prefix}-{i:03d}", name, price, vendor)
        for cat, (prefix, vendor, products) in CATEGORIES.items()
        for i, (name, price) in enumerate(products)
    ]
    return pd.DataFrame(rows, columns=["category", "sku", "product", "price", "vendor"])


def _orders(rng: np.random.Generator, customers: int, end: dt.date, years: float) -> dict:
    span = years * 365.0
    first = rng.uniform(0, span, customers)  # days after the start
    rate = rng.lognormal(np.log(3.0), 0.9, customers)  # orders a year while active
    life = rng.exponential(2.0 * 365, customers)
    active = np.minimum(span - first, life)
    counts = 1 + rng.poisson(rate * active / 365.0)
    owner = np.repeat(np.arange(customers), counts)
    later = rng.uniform(0, 1, owner.size) * active[owner]
    starts = np.cumsum(counts) - counts
    later[starts] = 0.0  # each customer's first order is on their first day
    day = first[owner] + later
    start = np.datetime64(end) - np.timedelta64(int(span), "D")
    seconds = (day * 86400).astype("int64")
    return {"owner": owner, "at": start + seconds.astype("timedelta64[s]")}


def generate_orders(
    customers: int,
    *,
    seed: int = 0,
    layout: str = "generic",
    end: dt.date = dt.date(2025, 6, 30),
    years: float = 3.0,
    columns: int = 79,
    first_customer: int = 0,
    first_order: int = 1001,
) -> pd.DataFrame:
    """Order lines of `customers` customers: generic contract or a Shopify export (79 or 75
    columns). `first_customer` and `first_order` number them (writing in parts)."""
    if layout not in ("generic", "shopify"):
        raise ValueError("layout is 'generic' or 'shopify'")
    rng = np.random.default_rng(seed)
    lines = _lines(rng, customers, end, years, first_customer, first_order)
    if layout == "generic":
        return _generic(lines)
    return _shopify(lines, rng, SHOPIFY_COLUMNS if columns == 79 else SHOPIFY_COLUMNS_75)


def _lines(rng, customers: int, end: dt.date, years: float, first_customer: int, first_order):
    orders = _orders(rng, customers, end, years)
    owner, n_orders = orders["owner"], orders["owner"].size
    favourite = rng.integers(0, len(CATEGORIES), customers)
    usual = rng.choice(len(CHANNELS), customers, p=CHANNEL_WEIGHTS)
    per_order = np.minimum(1 + rng.poisson(0.9, n_orders), 8)
    order_of_line = np.repeat(np.arange(n_orders), per_order)
    catalogue = _catalogue()
    n = order_of_line.size
    picked = np.where(
        rng.random(n) < 0.6, favourite[owner[order_of_line]], rng.integers(0, len(CATEGORIES), n)
    )
    product = picked * 3 + rng.integers(0, 3, n)
    channel = np.where(
        rng.random(n_orders) < 0.8, usual[owner], rng.choice(len(CHANNELS), n_orders)
    )
    fate = rng.random(n_orders)
    rate = np.where(rng.random(n_orders) < DISCOUNT_RATE, rng.choice([0.1, 0.15, 0.2], n_orders), 0)
    quantity = 1 + rng.poisson(0.3, n)
    price = catalogue.price.to_numpy()[product]
    return {
        "customer": first_customer + owner[order_of_line],
        "order": first_order + order_of_line,
        "order_index": order_of_line,
        "at": orders["at"][order_of_line],
        "product": product,
        "quantity": quantity,
        "price": price,
        "discount": np.round(price * quantity * rate[order_of_line], 2),
        "channel": CHANNELS[channel[order_of_line]],
        "fate": fate[order_of_line],
        "catalogue": catalogue,
        "n_orders": n_orders,
    }


def _status(fate: np.ndarray) -> np.ndarray:
    bounds = np.cumsum([CANCEL_RATE, REFUND_RATE, PARTIAL_REFUND_RATE])
    names = np.array(["cancelled", "refunded", "partially_refunded", "paid"])
    return names[np.searchsorted(bounds, fate, side="right")]


def _generic(lines: dict) -> pd.DataFrame:
    catalogue = lines["catalogue"]
    status = _status(lines["fate"])
    status[status == "partially_refunded"] = "paid"  # generic refunds are whole lines
    gross = lines["price"] * lines["quantity"]
    return pd.DataFrame(
        {
            "customer_id": pd.Series(lines["customer"]).map("C{:07d}".format),
            "order_id": lines["order"],
            "ordered_at": lines["at"],
            "amount": np.round(gross - lines["discount"], 2),
            "quantity": lines["quantity"],
            "product": catalogue["product"].to_numpy()[lines["product"]],
            "sku": catalogue["sku"].to_numpy()[lines["product"]],
            "category": catalogue["category"].to_numpy()[lines["product"]],
            "channel": lines["channel"],
            "discount": lines["discount"],
            "status": status,
        }
    )


def _emails(rng: np.random.Generator, customer: np.ndarray) -> np.ndarray:
    plain = np.char.add(np.char.add("customer", customer.astype(str)), "@example.com")
    shouty = np.char.upper(plain)
    messy = rng.random(customer.size)
    out = np.where(messy < 0.1, shouty, plain)
    return np.where((messy > 0.1) & (messy < 0.15), np.char.add(" ", np.char.add(out, " ")), out)


def _shopify(lines: dict, rng: np.random.Generator, header: tuple[str, ...]) -> pd.DataFrame:
    catalogue = lines["catalogue"]
    order = lines["order_index"]
    first_row = np.r_[True, order[1:] != order[:-1]]
    gross = lines["price"] * lines["quantity"]
    merchandise = np.bincount(order, gross - lines["discount"])[order]
    status = _status(lines["fate"])
    refunded = np.select(
        [status == "refunded", status == "partially_refunded"],
        [merchandise, np.round(merchandise * 0.3, 2)],
        0.0,
    )
    order_customer = np.zeros(lines["n_orders"], dtype="int64")
    order_customer[order] = lines["customer"]
    email = _emails(rng, order_customer)[order]  # typed differently from order to order
    created = pd.Series(lines["at"]).dt.strftime("%Y-%m-%d %H:%M:%S -0400").to_numpy()
    frame = pd.DataFrame({c: pd.Series([""] * order.size, dtype=object) for c in header})
    order_fields = {
        "Email": email,
        "Financial Status": np.where(status == "cancelled", "voided", status).astype(object),
        "Paid at": created,
        "Currency": "USD",
        "Subtotal": np.round(merchandise, 2),
        "Shipping": 4.95,
        "Taxes": np.round(merchandise * 0.08, 2),
        "Total": np.round(merchandise * 1.08 + 4.95, 2),
        "Discount Amount": np.round(np.bincount(order, lines["discount"])[order], 2),
        "Created at": created,
        "Cancelled at": np.where(status == "cancelled", created, ""),
        "Refunded Amount": refunded,
        "Source": np.vectorize(SHOPIFY_SOURCES.get)(lines["channel"]),
    }
    for column, values in order_fields.items():
        values = pd.Series(np.broadcast_to(values, order.size)).astype(str).to_numpy(object)
        frame[column] = np.where(first_row, values, "")
    frame["Name"] = np.char.add("#", lines["order"].astype(str))
    frame["Lineitem quantity"] = lines["quantity"]
    frame["Lineitem name"] = catalogue["product"].to_numpy()[lines["product"]]
    frame["Lineitem price"] = lines["price"]
    frame["Lineitem sku"] = catalogue["sku"].to_numpy()[lines["product"]]
    frame["Lineitem discount"] = lines["discount"]
    frame["Vendor"] = catalogue["vendor"].to_numpy()[lines["product"]]
    return frame


def write_orders(
    path: str | Path,
    customers: int,
    *,
    seed: int = 0,
    layout: str = "generic",
    customers_per_part: int = 100_000,
    on_rows: Callable[[int], None] | None = None,
    **options,
) -> Path:
    """Write the orders of `customers` customers: to one CSV when `path` ends in .csv, else
    to a Parquet folder of parts (`part-00000.parquet`...), `customers_per_part` a part.
    `on_rows(n)` hears of each part's customers written (a progress bar)."""
    path = Path(path)
    as_csv = path.suffix.lower() == ".csv"
    if as_csv:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
    else:
        path.mkdir(parents=True, exist_ok=True)
    next_order = 1001
    for part, start in enumerate(range(0, customers, customers_per_part)):
        count = min(customers_per_part, customers - start)
        frame = generate_orders(
            count,
            seed=seed + part,
            layout=layout,
            first_customer=start,
            first_order=next_order,
            **options,
        )
        next_order += _orders_in(frame, layout)
        if as_csv:
            frame.to_csv(path, mode="a", header=part == 0, index=False)
        else:
            frame.to_parquet(path / f"part-{part:05d}.parquet", index=False)
        if on_rows is not None:
            on_rows(count)
    return path


def _orders_in(frame: pd.DataFrame, layout: str) -> int:
    ids = frame["order_id"] if layout == "generic" else frame["Name"].str[1:].astype("int64")
    return int(ids.max() - ids.min() + 1) if len(ids) else 0
