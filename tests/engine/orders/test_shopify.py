"""A small Shopify export, computed by hand: every figure below is worked out in the comments."""

import math

import pytest

from smartcart.engine.orders import customers_from_orders, read_order_lines
from tests.support.orders import CATEGORIES, ORDERS


@pytest.fixture(params=[79, 75])
def export(request, tmp_path, shopify_writer):
    return shopify_writer(tmp_path / "orders_export.csv", ORDERS, columns=request.param)


def test_figures_match_the_hand_computation(export):
    result = customers_from_orders(export, mapping=CATEGORIES)
    assert str(result.as_of) == "2024-06-30"  # the latest order, #1006
    assert result.quarantined == 0 and result.currency == "USD"
    rows = result.frame.set_index("customer_id")
    assert sorted(rows.index) == ["+15550100", "ann@example.com", "bob@example.com"]

    ann = rows.loc["ann@example.com"]
    assert ann.orders == 2 and ann.revenue == pytest.approx(45 + 35)
    assert ann.recency_days == 29 and ann.tenure_days == 60  # from June 1st and May 1st
    assert ann.average_order_value == pytest.approx(40)
    assert ann.average_days_between_orders == pytest.approx(31 - 1 / 24)  # 31 days less 1 hour
    assert ann.orders_90d == 2 and ann.revenue_90d == pytest.approx(80)
    assert ann.spend_apparel == pytest.approx(36 + 28 + 7) and ann.spend_home == pytest.approx(9)
    assert ann.share_apparel == pytest.approx(71 / 80)
    assert ann.channel_share_web == 0.5 and ann.channel_share_app == 0.5
    assert ann.discount_share == pytest.approx((45 + 28) / 80)
    assert ann.refund_share == pytest.approx(15 / 95)

    bob = rows.loc["bob@example.com"]
    assert bob.orders == 1 and bob.revenue == pytest.approx(80)
    assert bob.recency_days == 10 and math.isnan(bob.average_days_between_orders)
    assert bob.spend_shoes == pytest.approx(80) and bob.channel_share_pos == 1.0
    assert bob.refund_share == pytest.approx(30 / 110) and bob.discount_share == 0

    carol = rows.loc["+15550100"]
    assert carol.orders == 1 and carol.revenue == pytest.approx(20)
    assert carol.recency_days == 15 and carol.channel_share_draft == 1.0
    assert carol.refund_share == pytest.approx(0.5)


def test_lines_carry_the_order_fields_to_every_row(export):
    lines = read_order_lines(export, CATEGORIES)
    assert lines.layout.kind == "shopify"
    socks = lines.frame[lines.frame["product"] == "Socks"].iloc[0]
    assert socks.customer_id == "ann@example.com" and socks.channel == "app"
    assert socks.status == "partially_refunded" and socks.refunded == pytest.approx(3)
    assert socks.line == 6 and socks.category == "apparel"  # header, 2 + 1 rows, Hoodie
    mug = lines.frame[lines.frame["product"] == "Mug"].iloc[0]
    assert mug.amount == pytest.approx(9) and mug.discount == pytest.approx(1)
    assert set(lines.frame[lines.frame.order_id == "#1002"].status) == {"cancelled"}


def test_the_header_version_is_named(tmp_path, shopify_writer):
    for columns in (79, 75):
        path = shopify_writer(tmp_path / f"{columns}.csv", ORDERS[:1], columns=columns)
        assert f"({columns} columns)" in read_order_lines(path).layout.label


def test_orders_after_as_of_are_ignored(export):
    result = customers_from_orders(export, as_of="2024-06-05", mapping=CATEGORIES)
    rows = result.frame.set_index("customer_id")
    assert list(rows.index) == ["ann@example.com"]  # Bob's and Carol's orders come later
    assert rows.loc["ann@example.com"].recency_days == 4
    assert rows.loc["ann@example.com"].tenure_days == 35


def test_windows_count_the_days_up_to_as_of(export):
    rows = customers_from_orders(export, as_of="2024-08-30").frame.set_index("customer_id")
    # as_of - 89 = 2024-06-02: Ann's June 1st order is out of the 90 days, May's too.
    assert rows.loc["ann@example.com"].orders_90d == 0
    assert rows.loc["bob@example.com"].orders_90d == 1
    assert rows.loc["ann@example.com"].orders_365d == 2
