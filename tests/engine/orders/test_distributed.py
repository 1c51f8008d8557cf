"""`--engine dask` on a partitioned Parquet order set: the same customers as the local engine,
even when one customer's lines are spread over the files in several spellings of the email, the
same counted orders (the lifetime model's input) and the same lines quarantined."""

from __future__ import annotations

import pandas as pd
import pytest
from distributed import Client, LocalCluster  # the dask extra: `make install` includes it

from smartcart.engine.errors import DataError
from smartcart.engine.orders import (
    customers_from_orders,
    customers_from_orders_dask,
    generate_orders,
    order_totals,
    orders_on_dask,
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
    write_parts(lines, tmp_path)
    local = customers_from_orders(tmp_path).frame
    distributed = customers_from_orders_dask(client, tmp_path)
    assert len(local) > 100 and list(distributed.columns) == list(local.columns)
    pd.testing.assert_frame_equal(distributed, local, check_dtype=False, atol=1e-9)
    as_of = customers_from_orders_dask(client, tmp_path, as_of=pd.Timestamp("2025-01-01").date())
    pd.testing.assert_frame_equal(
        as_of, customers_from_orders(tmp_path, as_of="2025-01-01").frame, check_dtype=False
    )


def write_parts(lines: pd.DataFrame, folder, rows: int = 400) -> None:
    for number, start in enumerate(range(0, len(lines), rows)):  # a customer spans files
        lines.iloc[start : start + rows].to_parquet(folder / f"part-{number:03d}.parquet")


def test_the_dask_engine_counts_orders_and_stray_lines_as_the_local_one(tmp_path, client):
    lines = generate_orders(150, seed=6)
    lines.loc[[5, 401, 1201], "amount"] = -1.0  # not refunds: quarantined
    write_parts(lines, tmp_path)
    local = customers_from_orders(tmp_path)
    gathered = orders_on_dask(client, tmp_path)
    pd.testing.assert_frame_equal(gathered.customers, local.frame, check_dtype=False, atol=1e-9)
    pd.testing.assert_frame_equal(
        gathered.totals, order_totals(tmp_path).frame, check_dtype=False, atol=1e-9
    )
    assert (gathered.lines, gathered.quarantined, gathered.as_of) == (
        local.lines,
        local.quarantined,
        local.as_of,
    )
    assert local.quarantined == 3
    assert sorted(gathered.quarantine["order_id"]) == sorted(local.quarantine["order_id"])


def test_several_currencies_are_one_error_naming_the_folder(tmp_path, client):
    """Each file in one currency (a file's own check passes), customers spanning files."""
    lines = generate_orders(60, seed=1)
    lines["currency"] = ["EUR" if i < 400 else "USD" for i in range(len(lines))]
    write_parts(lines, tmp_path)
    with pytest.raises(DataError, match=f"^{tmp_path}.*several currencies"):
        orders_on_dask(client, tmp_path)
