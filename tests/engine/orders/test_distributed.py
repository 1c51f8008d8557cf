"""`--engine dask` on a partitioned Parquet order set: the same customers as the local engine,
even when one customer's lines are spread over the files in several spellings of the email."""

from __future__ import annotations

import pandas as pd
import pytest
from distributed import Client, LocalCluster  # the dask extra: `make install` includes it

from smartcart.engine.orders import (
    customers_from_orders,
    customers_from_orders_dask,
    generate_orders,
)


@pytest.fixture(scope="module")
def client():
    with (
        LocalCluster(n_workers=1, threads_per_worker=2, processes=False) as cluster,
        Client(cluster) as client,
    ):
        yield client


def test_the_dask_engine_derives_the_local_customers(tmp_path, client):
    lines = generate_orders(150, seed=4)
    emails = lines.pop("customer_id").str.replace("C", "Shopper.", regex=False) + "@Shop.example"
    lines.insert(0, "email", emails.where(lines.index % 3 != 0, " " + emails.str.upper()))
    for number, start in enumerate(range(0, len(lines), 400)):  # a customer spans files
        lines.iloc[start : start + 400].to_parquet(tmp_path / f"part-{number:03d}.parquet")
    local = customers_from_orders(tmp_path).frame
    distributed = customers_from_orders_dask(client, tmp_path)
    assert len(local) > 100 and list(distributed.columns) == list(local.columns)
    pd.testing.assert_frame_equal(distributed, local, check_dtype=False, atol=1e-9)
    as_of = customers_from_orders_dask(client, tmp_path, as_of=pd.Timestamp("2025-01-01").date())
    pd.testing.assert_frame_equal(
        as_of, customers_from_orders(tmp_path, as_of="2025-01-01").frame, check_dtype=False
    )
