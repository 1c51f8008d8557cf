"""Order files as the second input contract: recognised from the header, derived to one row
per customer with a whole-number ID beside the customer's own key."""

from __future__ import annotations

import pandas as pd
import pytest

from smartcart.engine.data import (
    ORDER_KEY,
    DataSource,
    customer_number,
    is_order_source,
    load_order_customers,
    load_validated,
)
from smartcart.engine.data.order_input import iter_order_customers
from smartcart.engine.errors import DataError
from smartcart.engine.orders import write_orders
from tests.support.orders import ORDERS, write_shopify


def test_the_header_decides_the_contract(tmp_path, generated_file):
    shopify = write_shopify(tmp_path / "orders_export.csv", ORDERS)
    folder = write_orders(tmp_path / "lines", 30, seed=1)
    assert is_order_source(shopify) and is_order_source(str(folder))
    assert is_order_source(str(folder / "*.parquet"))
    assert not is_order_source(generated_file)
    assert not is_order_source("sqlite:///nowhere.db") and not is_order_source(tmp_path / "no.csv")
    assert load_validated(generated_file).contract == "customers"


def test_keys_get_stable_whole_numbers():
    assert customer_number("5524") == 5524
    email = customer_number("ann@example.com")
    assert email == customer_number("ann@example.com") and 0 <= email < 2**63
    assert email != customer_number("bob@example.com")
    assert customer_number("9" * 19) != int("9" * 19)  # past the plain range: hashed


def test_order_customers_as_validated_data(tmp_path):
    shopify = write_shopify(tmp_path / "orders_export.csv", ORDERS)
    data = load_validated(shopify)
    assert data.contract == "orders" and data.dialect == "shopify"
    assert str(data.as_of) == "2024-06-30" and data.rows_read == 9  # 7 orders, 2 with two items
    assert data.rows == {"read": 9, "used": 3, "quarantined": 0}
    assert "Shopify orders export (79 columns)" in data.notes[0]
    customers = data.customers.set_index(ORDER_KEY)
    ann = customers.loc["ann@example.com"]
    assert ann["ID"] == customer_number("ann@example.com")
    assert ann["orders"] == 2 and ann["revenue"] == pytest.approx(80)
    assert not data.has_campaigns


def test_a_mapping_file_names_the_categories(tmp_path):
    shopify = write_shopify(tmp_path / "orders_export.csv", ORDERS)
    mapping = tmp_path / "mapping.toml"
    mapping.write_text('[categories.sku]\n"AP-" = "Apparel"\n"SH-" = "shoes"\n')
    data = load_validated(DataSource(str(shopify), mapping=mapping))
    assert {"spend_apparel", "spend_shoes"} <= set(data.customers.columns)


def test_a_bad_order_file_is_one_line(tmp_path):
    bad = tmp_path / "orders.csv"
    bad.write_text("customer_id,order_id,ordered_at,amount\nC1,1,someday,10\n")
    with pytest.raises(DataError, match="column 'ordered_at' has no date that can be read"):
        load_validated(bad)


def test_order_lines_from_sql_give_the_customers_the_file_gives(tmp_path):
    import sqlalchemy as sa

    lines = pd.read_csv(write_orders(tmp_path / "lines.csv", 40, seed=3), dtype=str)
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    engine = sa.create_engine(url)
    lines.to_sql("order_lines", engine, index=False)
    engine.dispose()
    query = "SELECT * FROM order_lines"
    from_sql = load_validated(DataSource(url, query=query))
    from_file = load_validated(tmp_path / "lines.csv")
    assert is_order_source(DataSource(url, table="order_lines"))
    assert from_sql.contract == "orders" and from_sql.source.endswith("#query")
    pd.testing.assert_frame_equal(from_sql.customers, from_file.customers)
    with pytest.raises(DataError, match="cannot be read"):
        load_order_customers(DataSource(url, query="SELECT * FROM no_such_table"))


def test_chunks_stream_the_customers_the_whole_load_gives(tmp_path):
    lines = tmp_path / "lines.csv"
    lines.write_text(
        "customer_id,order_id,ordered_at,amount\n"
        "ann,1,2024-05-01,10\nbob,2,2024-05-02,20\nbob,3,someday,5\ncid,4,2024-05-03,30\n"
    )
    whole = load_order_customers(lines)
    assert len(whole.quarantine) == 1  # bob's line 4: its date cannot be read
    chunks = list(iter_order_customers(lines, chunk_rows=1))
    assert [len(c.customers) for c in chunks] == [1] * len(whole.customers)
    joined = pd.concat([c.customers for c in chunks], ignore_index=True)
    pd.testing.assert_frame_equal(joined, whole.customers)
    assert chunks[0].rows_read == whole.rows_read and chunks[0].sha256 == whole.sha256
    assert sum(len(c.quarantine) for c in chunks) == len(whole.quarantine)
    assert "order lines as of" in chunks[0].notes[0] and not chunks[1].notes


def test_two_keys_sharing_a_number_across_chunks_stop_the_run(tmp_path, monkeypatch):
    shopify = write_shopify(tmp_path / "orders_export.csv", ORDERS)
    monkeypatch.setattr("smartcart.engine.data.order_input.customer_number", lambda key: 7)
    with pytest.raises(DataError, match="share one number"):
        list(iter_order_customers(shopify, chunk_rows=1))
