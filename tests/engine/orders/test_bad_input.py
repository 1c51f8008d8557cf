"""Each problem is one line naming the column and the line (the header is line 1)."""

import pytest

from smartcart.engine.errors import DataError
from smartcart.engine.orders import customers_from_orders, read_order_lines

HEADER = ["customer_id", "order_id", "ordered_at", "amount", "status"]


def test_no_customer_key_column(tmp_path, csv_writer):
    path = csv_writer(
        tmp_path / "o.csv", ["order_id", "ordered_at", "amount"], [[1, "2024-01-01", 5]]
    )
    with pytest.raises(
        DataError, match="o.csv: no customer key column: order lines need customer_id"
    ):
        read_order_lines(path)


def test_not_an_order_file(tmp_path, csv_writer):
    path = csv_writer(tmp_path / "c.csv", ["ID", "Income"], [[1, 2]])
    with pytest.raises(DataError, match=r"c.csv: not an order file.*its columns: ID, Income"):
        read_order_lines(path)


def test_a_column_of_unreadable_dates_is_fatal(tmp_path, csv_writer):
    rows = [["a", 1, "31/12/2024", 5, ""], ["b", 2, "30/12/2024", 5, ""]]
    path = csv_writer(tmp_path / "o.csv", HEADER, rows)
    with pytest.raises(DataError) as error:
        read_order_lines(path)
    assert "column 'ordered_at' has no date that can be read (line 2: '31/12/2024')" in str(
        error.value
    )


def test_a_column_of_unreadable_amounts_is_fatal(tmp_path, csv_writer):
    rows = [["a", 1, "2024-01-01", "", ""], ["b", 2, "2024-01-02", "12,50", ""]]
    path = csv_writer(tmp_path / "o.csv", HEADER, rows)
    with pytest.raises(DataError, match=r"column 'amount' has no number .*\(line 3: '12,50'\)"):
        read_order_lines(path)


def test_stray_lines_are_quarantined_with_line_and_reason(tmp_path, csv_writer):
    rows = [
        ["a", 1, "2024-01-01", 10, ""],
        ["a", 2, "garbage", 10, ""],  # line 3
        ["", 3, "2024-01-02", 10, ""],  # line 4
        ["b", 4, "2024-01-03", -7, "paid"],  # line 5: negative, not a refund
        ["b", 5, "2024-01-03", -4, "refunded"],  # a refund line: fine
        ["b", 5, "2024-01-03", 9, ""],
        ["c", 6, "2024-01-04", "ten", ""],  # line 8
        ["c", "", "2024-01-04", 3, ""],  # line 9
    ]
    path = csv_writer(tmp_path / "o.csv", HEADER, rows)
    result = customers_from_orders(path)
    assert result.quarantined == 5
    reasons = dict(zip(result.quarantine.line, result.quarantine.reason, strict=True))
    assert reasons == {
        3: "ordered_at 'garbage' is not a date",
        4: "no customer: customer_id empty",
        5: "amount is negative (-7.0) on a line that is not a refund",
        8: "amount 'ten' is not a number",
        9: "order_id is empty",
    }
    assert list(result.quarantine.order_id[:1]) == ["2"]
    rows = result.frame.set_index("customer_id")
    assert rows.loc["b"].revenue == 5 and rows.loc["b"].refund_share == pytest.approx(4 / 9)


def test_several_currencies_name_them_and_the_first_line_of_the_second(tmp_path, shopify_writer):
    def order(name, currency):
        return {
            "Name": name,
            "Email": "a@example.com",
            "Financial Status": "paid",
            "Created at": "2024-01-01 10:00:00 +0000",
            "Currency": currency,
            "lines": [{"Lineitem name": "X", "Lineitem price": 5, "Lineitem quantity": 1}] * 2,
        }

    path = shopify_writer(tmp_path / "s.csv", [order("#1", "USD"), order("#2", "EUR")])
    with pytest.raises(DataError) as error:
        customers_from_orders(path)
    text = str(error.value)
    assert "several currencies in column 'Currency' (USD, EUR); line 4 is the first in EUR" in text
    assert "\n" not in text


def test_nothing_usable(tmp_path, csv_writer):
    path = csv_writer(tmp_path / "o.csv", HEADER, [["a", 1, "2024-01-01", -3, ""]])
    with pytest.raises(
        DataError, match=r"no order line can be used \(1 quarantined; line 2: amount"
    ):
        read_order_lines(path)


def test_as_of_must_be_a_day(tmp_path, csv_writer):
    path = csv_writer(tmp_path / "o.csv", HEADER, [["a", 1, "2024-01-01", 3, ""]])
    with pytest.raises(DataError, match="as_of 'soon' is not a day"):
        customers_from_orders(path, as_of="soon")
