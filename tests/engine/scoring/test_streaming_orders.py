"""Scoring order lines streams the customers and their orders chunk by chunk: the lifetime
columns figured from each chunk's own orders equal those figured from the whole history."""

from __future__ import annotations

import pandas as pd
import pytest

from smartcart.engine import SegmentService, TrainingOptions
from smartcart.engine.data import ORDER_KEY
from smartcart.engine.lifetime import LIFETIME_COLUMNS, lifetime_columns
from smartcart.engine.orders import order_totals, write_orders
from smartcart.engine.scoring import score_source
from smartcart.engine.store import Store


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    home = tmp_path_factory.mktemp("streamed-orders")
    lines = write_orders(home / "lines", 600, seed=5, customers_per_part=300)
    store = Store(f"sqlite:///{home / 'smartcart.db'}")
    store.migrate()
    service = SegmentService(home / "models", store)
    model = service.train(str(lines), TrainingOptions(algorithm="kmeans", refits=2)).model
    assert model.lifetime_model is not None
    return model, lines


@pytest.mark.parametrize("chunk_rows", [37, 1000])
def test_lifetime_columns_from_each_chunk_equal_the_whole_history(trained, tmp_path, chunk_rows):
    model, lines = trained
    out = tmp_path / "scores.parquet"
    run = score_source(model, None, str(lines), out=out, chunk_rows=chunk_rows)
    scores = pd.read_parquet(out).set_index(ORDER_KEY)
    totals = order_totals(lines)
    whole = lifetime_columns(model.lifetime_model, totals.frame, totals.as_of)
    assert run.rows["used"] == len(scores) == len(whole)
    own = ("average_days_between_orders", "average_order_value")  # the customers' own figures
    columns = [c for c in LIFETIME_COLUMNS if c in scores.columns and c not in own]
    assert "churn_risk" in columns and "predicted_clv_365d" in columns
    expected = whole[columns].astype({"churn_risk": str})
    got = scores.loc[whole.index, columns].astype({"churn_risk": str})
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, check_names=False)
