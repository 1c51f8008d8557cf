"""Parquet folders, WooCommerce, the generator, and streaming against in-memory frames."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from smartcart.engine.orders import (
    customers_from_orders,
    generate_orders,
    iter_customers_from_orders,
    order_totals,
    read_order_lines,
    recognise,
    write_customers_from_orders,
    write_orders,
)

D1, D5, D8, D10, D11 = (f"2024-03-{day:02d} 10:00:00" for day in (1, 5, 8, 10, 11))


def test_woocommerce_export(tmp_path, csv_writer):
    header = ["Order ID", "Order Number", "Order Date", "Order Status", "Order Currency"]
    header += ["Billing Email", "Billing Phone", "Item Name", "Item SKU", "Item Quantity"]
    header += ["Item Subtotal", "Item Total", "Item Refunded"]
    rows = [
        [10, 10, D1, "wc-completed", "EUR", "a@x.com", "", "Tee", "AP1", 1, 30, 27, 0],
        [10, 10, D1, "wc-completed", "EUR", "a@x.com", "", "Mug", "HM1", 2, 20, 20, 0],
        [11, 11, D5, "refunded", "EUR", "a@x.com", "", "Boot", "SH1", 1, 50, 50, 0],
        [12, 12, D10, "processing", "EUR", " A@X.com", "", "Hat", "AP2", 1, 40, 40, -10],
        [13, 13, D11, "cancelled", "EUR", "b@x.com", "", "Hat", "AP2", 1, 40, 40, 0],
        [14, 14, D8, "completed", "EUR", "b@x.com", "", "Cap", "AP3", 1, 15, 15, 0],
    ]  # fmt: skip
    path = csv_writer(tmp_path / "woo.csv", header, rows)
    result = customers_from_orders(path)
    assert result.layout.kind == "woocommerce" and result.currency == "EUR"
    assert str(result.as_of) == "2024-03-10"  # the cancelled order of the 11th is no order
    rows = result.frame.set_index("customer_id")
    a, b = rows.loc["a@x.com"], rows.loc["b@x.com"]
    assert a.orders == 2 and a.revenue == pytest.approx(47 + 30)
    assert a.discount_share == pytest.approx(27 / 77)
    assert a.refund_share == pytest.approx(60 / 137) and a.channel_share_web == 1
    assert b.orders == 1 and b.revenue == 15 and b.recency_days == 2


def test_parquet_folder_streams_to_the_same_customers_as_a_frame(tmp_path):
    folder = write_orders(tmp_path / "orders", 600, seed=5, customers_per_part=200)
    assert len(list(folder.glob("*.parquet"))) == 3
    frame = pd.concat([pd.read_parquet(p) for p in sorted(folder.glob("*.parquet"))])
    streamed = customers_from_orders(folder, memory_limit="64MB", threads=1)
    whole = customers_from_orders(frame.reset_index(drop=True))
    globbed = customers_from_orders(str(folder / "part-*.parquet"))
    assert streamed.frame.shape[0] > 500 and streamed.lines == len(frame)
    pd.testing.assert_frame_equal(streamed.frame, whole.frame)
    pd.testing.assert_frame_equal(streamed.frame, globbed.frame)


def test_customers_written_from_duckdb_equal_the_frame(tmp_path):
    folder = write_orders(tmp_path / "orders", 400, seed=3, customers_per_part=150)
    whole = customers_from_orders(folder)
    as_parquet, as_csv = tmp_path / "customers.parquet", tmp_path / "customers.csv"
    written = write_customers_from_orders(folder, as_parquet, memory_limit="64MB", threads=1)
    assert written.customers == len(whole.frame) and written.lines == whole.lines
    assert written.as_of == whole.as_of and not (tmp_path / ".customers.parquet.partial").exists()
    read = pd.read_parquet(as_parquet)
    pd.testing.assert_frame_equal(read, whole.frame, check_dtype=False)
    write_customers_from_orders(folder, as_csv)
    text = pd.read_csv(as_csv, parse_dates=["first_order_at", "last_order_at"])
    pd.testing.assert_frame_equal(text, whole.frame, check_dtype=False)


@pytest.mark.parametrize("chunk_rows", [1, 7, 1000])
def test_chunks_carry_their_own_customers_orders(tmp_path, chunk_rows):
    folder = write_orders(tmp_path / "orders", 120, seed=4, customers_per_part=50)
    chunks = list(iter_customers_from_orders(folder, chunk_rows=chunk_rows, with_orders=True))
    for chunk in chunks:
        assert set(chunk.orders.customer_id) == set(chunk.frame.customer_id)
    streamed = pd.concat([c.orders for c in chunks], ignore_index=True)
    pd.testing.assert_frame_equal(streamed, order_totals(folder).frame)


def test_figures_agree_with_pandas(tmp_path):
    lines = generate_orders(300, seed=11)
    result = customers_from_orders(lines)
    as_of = pd.Timestamp(result.as_of)
    sold = lines[lines.status != "cancelled"]
    orders = sold.groupby(["customer_id", "order_id"]).agg(
        at=("ordered_at", "min"),
        merchandise=("amount", lambda s: s[sold.loc[s.index, "status"] != "refunded"].sum()),
        refunded=("status", lambda s: (s == "refunded").all()),
    )
    counted = orders[~orders.refunded & (orders.merchandise > 0)]
    expected = counted.groupby("customer_id").agg(
        orders=("at", "size"), revenue=("merchandise", "sum"), last=("at", "max")
    )
    rows = result.frame.set_index("customer_id").loc[expected.index]
    np.testing.assert_array_equal(rows.orders, expected.orders)
    np.testing.assert_allclose(rows.revenue, expected.revenue)
    recency = (as_of - expected["last"].dt.normalize()).dt.days
    np.testing.assert_array_equal(rows.recency_days, recency)


def test_generated_shopify_is_recognised_and_aggregated(tmp_path):
    for columns in (79, 75):
        frame = generate_orders(200, seed=3, layout="shopify", columns=columns)
        assert len(frame.columns) == columns
        assert recognise(list(frame.columns)).label.endswith(f"({columns} columns)")
    path = tmp_path / "shopify.csv"
    write_orders(path, 400, seed=3, layout="shopify", customers_per_part=150)
    result = customers_from_orders(path)
    assert result.quarantined == 0 and result.currency == "USD"
    assert 350 <= len(result.frame) <= 400
    assert result.frame.customer_id.str.fullmatch(r"customer\d+@example\.com").all()
    assert (result.frame.refund_share > 0).any() and (result.frame.discount_share > 0).any()
    statuses = set(read_order_lines(path).frame.status)
    assert {"cancelled", "refunded", "partially_refunded", "paid"} <= statuses


def test_generated_generic_lines_are_realistic():
    lines = generate_orders(2000, seed=1, end=dt.date(2025, 6, 30))
    per_customer = lines.groupby("customer_id").order_id.nunique()
    assert per_customer.max() >= 10 and (per_customer == 1).mean() > 0.1
    assert lines.groupby("order_id").size().max() > 2
    assert lines.ordered_at.max() <= pd.Timestamp("2025-06-30")
    assert set(lines.channel) == {"web", "app", "pos", "draft"}
    assert 0.1 < (lines.discount > 0).mean() < 0.4
