"""The RFM summary against a hand computation: same-day orders merged, first order no repeat."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from smartcart.engine.errors import DataError
from smartcart.engine.lifetime import purchase_occasions, repeat_occasions_between, summarise_orders


def orders() -> pd.DataFrame:
    rows = [
        ("A", "2024-01-01 09:00", 10.0),
        ("A", "2024-01-01 18:30", 5.0),  # same day: one occasion of 15
        ("A", "2024-01-11", 20.0),
        ("A", "2024-01-31", 40.0),
        ("A", "2024-03-01", 99.0),  # after the calibration end
        ("B", "2024-02-01", 7.0),
        ("C", "2024-02-29", 3.0),
        ("C", "2024-02-29", 4.0),
    ]
    return pd.DataFrame(rows, columns=["customer_id", "ordered_at", "amount"])


def test_summary_matches_a_hand_computation_in_days():
    summary = summarise_orders(orders(), "2024-02-29", "day")
    assert list(summary.index) == ["A", "B", "C"]
    a, b, c = (summary.loc[name] for name in "ABC")
    # A: occasions on Jan 1 (15), Jan 11 (20), Jan 31 (40); Mar 1 is after the end.
    assert a["frequency"] == 2
    assert a["recency"] == 30
    assert a["T"] == 59  # Jan 1 to Feb 29, 2024 (a leap year)
    assert a["monetary_value"] == pytest.approx(30.0)  # repeats only: (20 + 40) / 2
    assert a["orders"] == 4
    assert a["historic_value"] == pytest.approx(75.0)
    assert a["average_order_value"] == pytest.approx(75.0 / 4)
    assert a["average_days_between_orders"] == pytest.approx(15.0)
    assert a["first_order_at"] == pd.Timestamp("2024-01-01")
    assert a["last_order_at"] == pd.Timestamp("2024-01-31")
    # B: one order, no repeat.
    assert (b["frequency"], b["recency"], b["T"], b["monetary_value"]) == (0, 0, 28, 0.0)
    assert math.isnan(b["average_days_between_orders"])
    # C: two orders on the calibration end day are one occasion, not a repeat.
    assert (c["frequency"], c["recency"], c["T"], c["orders"]) == (0, 0, 0, 2)
    assert c["historic_value"] == pytest.approx(7.0)
    assert c["average_order_value"] == pytest.approx(3.5)


def test_weeks_divide_days_by_seven_and_the_default_end_is_the_last_order():
    weeks = summarise_orders(orders(), "2024-02-29", "week")
    assert weeks.loc["A", "recency"] == pytest.approx(30 / 7)
    assert weeks.loc["A", "T"] == pytest.approx(59 / 7)
    assert weeks.attrs["time_unit"] == "week"
    everything = summarise_orders(orders())
    assert everything.loc["A", "frequency"] == 3
    assert everything.loc["A", "T"] == 60
    assert everything.loc["A", "monetary_value"] == pytest.approx((20 + 40 + 99) / 3)


def test_customers_first_seen_after_the_end_are_left_out_and_timezones_keep_the_local_day():
    frame = orders()
    frame["ordered_at"] = pd.to_datetime(frame["ordered_at"], format="mixed").dt.tz_localize(
        "Europe/Paris"
    )
    summary = summarise_orders(frame, "2024-01-31")
    assert list(summary.index) == ["A"]
    assert summary.loc["A", "frequency"] == 2


def test_occasions_sum_same_day_amounts():
    occasions = purchase_occasions(orders())
    first = occasions.iloc[0]
    assert (first["customer_id"], first["amount"], first["orders"]) == ("A", 15.0, 2)
    assert len(occasions) == 6


def test_holdout_counts_repeat_occasions_of_the_cohort_only():
    counts = repeat_occasions_between(orders(), "2024-01-15", "2024-03-01")
    assert counts.to_dict() == {"A": 2}  # Jan 31 and Mar 1; B and C came after Jan 15


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.drop(columns=["amount"]), "lacks the column"),
        (lambda f: f.assign(amount=["x"] + [1.0] * 7), "amount is missing or not a number"),
        (lambda f: f.assign(ordered_at=["not a date"] * 8), "not dates"),
        (lambda f: f.assign(customer_id=[None] + ["A"] * 7), "customer_id is missing"),
    ],
)
def test_unusable_orders_raise_a_data_error(change, message):
    with pytest.raises(DataError, match=message):
        summarise_orders(change(orders()))


def test_unknown_time_unit_and_an_end_before_every_order_are_data_errors():
    with pytest.raises(DataError, match="time unit 'month'"):
        summarise_orders(orders(), time_unit="month")
    with pytest.raises(DataError, match="no order on or before"):
        summarise_orders(orders(), "2023-12-31")
