"""Helpers for the order tests: Shopify exports written row by row, as Shopify writes them."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.support.orders import write_shopify


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
