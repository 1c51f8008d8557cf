"""A small Shopify export computed by hand (tests/engine/orders/test_shopify.py works every
figure out), and Shopify exports written row by row as Shopify writes them: shared by the order
core's tests and the end-to-end tests of the order path."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from smartcart.engine.orders import SHOPIFY_COLUMNS, SHOPIFY_COLUMNS_75, parse_order_mapping

CATEGORIES = parse_order_mapping(
    {"categories": {"sku": {"AP-": "Apparel", "SH-": "shoes"}, "product": {"*mug*": "home"}}},
    "test mapping",
)


def line(name, price, quantity=1, discount=0, sku=""):
    return {
        "Lineitem name": name,
        "Lineitem price": price,
        "Lineitem quantity": quantity,
        "Lineitem discount": discount,
        "Lineitem sku": sku,
    }


def order(name, when, email="", status="paid", source="web", **fields):
    return {
        "Name": name,
        "Email": email,
        "Financial Status": status,
        "Created at": f"{when} -0400",
        "Currency": "USD",
        "Source": source,
        "Shipping": "4.95",
        "Taxes": "3.10",
        **fields,
    }


ORDERS = [
    # Ann, typed with capitals and spaces. Lines 40 and 10; Discount Amount 5 spread pro rata:
    # 4 and 1, so 36 and 9: revenue 45, both lines discounted.
    order("#1001", "2024-05-01 10:00:00", " Ann@Example.COM ", **{"Discount Amount": "5.00"})
    | {"lines": [line("Crew Tee", 20, 2, sku="AP-001"), line("Mug", 10, sku="HM-001")]},
    # Bob, cancelled: not an order.
    order("#1002", "2024-05-10 12:00:00", "bob@example.com", **{"Cancelled at": "2024-05-11"})
    | {"lines": [line("Boot", 100, sku="SH-003")]},
    # Ann from the app: Hoodie 50 less its own 10 discount (Discount Amount 10 is that one);
    # Socks 10. Merchandise 50, partly refunded 15: 12 off the hoodie, 3 off the socks.
    order(
        "#1003",
        "2024-06-01 09:00:00",
        "ann@example.com",
        status="partially_refunded",
        source="iphone",
        **{"Discount Amount": "10.00", "Refunded Amount": "15.00"},
    )
    | {"lines": [line("Hoodie", 50, discount=10, sku="AP-002"), line("Socks", 10, sku="AP-003")]},
    # Bob, refunded in full: not an order, but 30 refunded of 30 merchandise.
    order("#1004", "2024-06-10 08:00:00", "bob@example.com", status="refunded")
    | {"lines": [line("Sandal", 30, sku="SH-002")]},
    # Bob in the shop: 80.
    order("#1005", "2024-06-20 12:00:00", "BOB@example.com", source="pos")
    | {"lines": [line("Runner", 80, sku="SH-001")]},
    # Carol has no email: her phone. A draft order of 20...
    order("#1007", "2024-06-15 16:00:00", source="shopify_draft_order", Phone="+1 555-0100")
    | {"lines": [line("Candle", 20, sku="HM-002")]},
    # ... and one refunded in full by amount (25 >= 20 merchandise; the rest was shipping).
    order("#1006", "2024-06-30 08:00:00", Phone="+1 555-0100", **{"Refunded Amount": "25.00"})
    | {"lines": [line("Throw", 20, sku="HM-003")]},
]


def write_shopify(
    path: Path, orders: list[dict], columns: int = 79, before: pd.DataFrame | None = None
) -> Path:
    """Each order: its own fields plus `lines` (dicts of Lineitem fields); the order's fields
    go on its first row only, as in Shopify's export. `before`: rows written first (e.g.
    `generate_orders(..., layout="shopify")`), in the same header."""
    header = SHOPIFY_COLUMNS if columns == 79 else SHOPIFY_COLUMNS_75
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        if before is not None:
            for row in before[list(header)].to_dict("records"):
                writer.writerow(row)
        for order in orders:
            fields = {k: v for k, v in order.items() if k != "lines"}
            for index, line in enumerate(order["lines"]):
                row = {"Name": order["Name"], **line}
                if index == 0:
                    row.update(fields)
                writer.writerow(row)
    return path
