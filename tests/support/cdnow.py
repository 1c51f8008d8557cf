"""The CDNOW cohort of Fader, Hardie and Lee (2005), from the `lifetimes` wheel (a dev dependency
located here, never imported: its modules no longer import on current setuptools and pandas).

Without the package the tests that need it skip, unless SMARTCART_REQUIRE_REAL_DATA is set: then
they fail.
"""

from __future__ import annotations

import importlib.metadata
import os
from pathlib import Path

import pandas as pd
import pytest

CALIBRATION_END = "1997-09-30"
HOLDOUT_END = "1998-06-30"


def lifetimes_file(name: str) -> Path | None:
    """A data file of the installed lifetimes distribution, found without importing it."""
    try:
        files = importlib.metadata.files("lifetimes") or []
    except importlib.metadata.PackageNotFoundError:
        return None
    for entry in files:
        if entry.name == name and entry.parent.name == "datasets":
            path = Path(str(entry.locate()))
            return path if path.exists() else None
    return None


def data_file(name: str) -> Path:
    path = lifetimes_file(name)
    if path is None:
        reason = f"the lifetimes package (dev dependency, ships {name}) is not installed"
        if os.environ.get("SMARTCART_REQUIRE_REAL_DATA", "") not in ("", "0"):
            pytest.fail(f"SMARTCART_REQUIRE_REAL_DATA is set but {reason}")
        pytest.skip(reason)
    return path


def cdnow_orders() -> pd.DataFrame:
    """The 1/10th sample's 6,919 orders: customer_id, ordered_at, amount (and CDs bought)."""
    # Columns: customer id in the full file, id in the sample, date yyyymmdd, CDs, dollar value.
    raw = pd.read_csv(
        data_file("CDNOW_sample.txt"),
        sep=r"\s+",
        header=None,
        names=["master_id", "customer_id", "date", "cds", "amount"],
        dtype={"date": str},
    )
    return pd.DataFrame(
        {
            "customer_id": raw["customer_id"],
            "ordered_at": pd.to_datetime(raw["date"], format="%Y%m%d"),
            "amount": raw["amount"],
            "quantity": raw["cds"],
        }
    )
