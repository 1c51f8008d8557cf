"""Who moved into high churn risk between two digests (`smartcart/engine/history/churn.py`), and
snapshots without churn bands (a study model, or taken before revision 0006) still read."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from smartcart.engine.history import snapshots
from smartcart.engine.history.churn import churn_movement
from smartcart.engine.history.comparison import prepare_digest
from tests.support.digest import put_customers, week

NOW = datetime(2024, 4, 2, tzinfo=UTC)


def snapshot(members: pd.DataFrame) -> snapshots.Snapshot:
    return snapshots.Snapshot("p", NOW, NOW, "v", "x", [], {}, members)


def banded(bands: list[str | None], values: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": np.arange(1, len(bands) + 1, dtype="int64"),
            "persona": "champions",
            "churn_risk": np.array(bands, dtype=object),
            "predicted_clv_365d": values,
        }
    )


def test_moved_into_high_counts_only_customers_who_were_at_lower_risk():
    before = banded(["low", "medium", "high", None], [100.0, 50.0, 5.0, np.nan])
    now = banded(["high", "high", "high", "high", "high"], [10.0, 5.0, 4.0, 3.0, 2.0])
    churn = churn_movement(snapshot(before), snapshot(now))
    assert churn == {
        "at_risk": 5,
        "revenue_at_risk": pytest.approx(24.0),
        "moved_into_high": 2,  # 3 was high already, 4 had no band, 5 is new
        "moved_worth": pytest.approx(150.0),
        "moved_worth_now": pytest.approx(15.0),
    }


def test_without_bands_now_there_is_no_churn_and_without_bands_before_no_movement():
    plain = pd.DataFrame({"customer_id": [1, 2], "persona": ["premium", "premium"]})
    now = banded(["high", "low"], [10.0, 20.0])
    assert churn_movement(snapshot(plain), snapshot(plain)) is None
    first = churn_movement(None, snapshot(now))
    older = churn_movement(snapshot(plain), snapshot(now))
    assert (
        first
        == older
        == {
            "at_risk": 1,
            "revenue_at_risk": 10.0,
            "moved_into_high": None,
            "moved_worth": None,
            "moved_worth_now": None,
        }
    )


def test_a_snapshot_without_bands_is_stored_and_read_as_before(store, trained):
    put_customers(store, trained.model, trained.data.customers)
    comparison = prepare_digest(store, trained.model, week(NOW), None, True)
    assert comparison.churn is None
    stored = snapshots.stored_snapshot(store, comparison.current.period)
    assert list(stored.members.columns) == ["customer_id", "persona"]
    assert len(stored.members) == len(trained.data.customers)
