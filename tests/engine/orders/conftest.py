"""Helpers for the order tests: Shopify exports written row by row, as Shopify writes them."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from smartcart.engine.orders import SHOPIFY_COLUMNS, SHOPIFY_COLUMNS_75


def write_shopify(path: Path, orders: list[dict], columns: int = 79) -> Path:
    """Each order: its own fields plus `lines` (dicts of Lineitem fields); the order's fields
    go on its first row only, as in Shopify's export."""
    header = SHOPIFY_COLUMNS if columns == 79 else SHOPIFY_COLUMNS_75
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        for order in orders:
            fields = {k: v for k, v in order.items() if k != "lines"}
            for index, line in enumerate(order["lines"]):
                row = {"Name": order["Name"], **line}
                if index == 0:
                    row.update(fields)
                writer.writerow(row)
    return path


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def shopify_writer():
    return write_shopify


@pytest.fixture
def csv_writer():
    return write_csv
