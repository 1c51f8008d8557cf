"""Order history to the per-customer RFM summary the lifetime models are fitted on.

Conventions (those of Fader, Hardie and Lee 2005 and of the Gamma-Gamma spend model):

- Orders by one customer on the same calendar day are ONE purchase occasion; their amounts add up.
- The first occasion is not a repeat: ``frequency`` (x) counts the repeat occasions.
- ``recency`` (t_x) is the time from the first to the last occasion; ``T`` (age) is the time from
  the first occasion to the calibration end. Both are whole days, divided by 7 for weeks.
- ``monetary_value`` is the mean amount of the repeat occasions (0 for x = 0), as the Gamma-Gamma
  model expects; the first occasion's amount only enters ``historic_value``.
- Orders after the calibration end are left out; the calibration end day itself is included.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from smartcart.engine.errors import DataError

TimeUnit = Literal["day", "week"]
DAYS_PER_UNIT: dict[str, float] = {"day": 1.0, "week": 7.0}
ORDER_COLUMNS = ("customer_id", "ordered_at", "amount")
SUMMARY_COLUMNS = (
    "frequency",
    "recency",
    "T",
    "monetary_value",
    "orders",
    "first_order_at",
    "last_order_at",
    "average_order_value",
    "average_days_between_orders",
    "historic_value",
    "days_to_second_order",
)


def days_per_unit(time_unit: str) -> float:
    """Days in one time unit (``day`` = 1, ``week`` = 7); a DataError names the allowed units."""
    try:
        return DAYS_PER_UNIT[time_unit]
    except KeyError:
        allowed = ", ".join(sorted(DAYS_PER_UNIT))
        raise DataError(f"time unit {time_unit!r} is not one of: {allowed}") from None


def to_day(value: object, what: str) -> pd.Timestamp:
    """A date-like value as a midnight Timestamp (time zone dropped, wall-clock date kept)."""
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as error:
        raise DataError(f"{what} {value!r} is not a date") from error
    if stamp is pd.NaT:
        raise DataError(f"{what} is missing")
    if stamp.tzinfo is not None:
        stamp = stamp.tz_localize(None)
    return stamp.normalize()


def purchase_occasions(orders: pd.DataFrame) -> pd.DataFrame:
    """One row per customer and calendar day: ``customer_id``, ``day``, ``amount``, ``orders``.

    Checks the columns and values first: a DataError names what is missing or unreadable.
    """
    missing = [column for column in ORDER_COLUMNS if column not in orders.columns]
    if missing:
        raise DataError(f"order history lacks the column(s): {', '.join(missing)}")
    if orders["customer_id"].isna().any():
        row = int(np.flatnonzero(orders["customer_id"].isna().to_numpy())[0])
        raise DataError(f"order history: customer_id is missing on row {row}")
    try:
        raw = orders["ordered_at"]
        if pd.api.types.is_datetime64_any_dtype(raw):
            when = pd.to_datetime(raw)
        else:  # text or date objects: each value parsed on its own ("2024-01-01", "... 09:00")
            when = pd.to_datetime(raw, format="mixed")
    except (TypeError, ValueError) as error:
        raise DataError(
            f"order history: ordered_at has values that are not dates ({error})"
        ) from None
    if when.isna().any():
        row = int(np.flatnonzero(when.isna().to_numpy())[0])
        raise DataError(f"order history: ordered_at is missing on row {row}")
    if when.dt.tz is not None:
        when = when.dt.tz_localize(None)
    amount = pd.to_numeric(orders["amount"], errors="coerce")
    if amount.isna().any():
        row = int(np.flatnonzero(amount.isna().to_numpy())[0])
        raise DataError(f"order history: amount is missing or not a number on row {row}")
    frame = pd.DataFrame(
        {
            "customer_id": orders["customer_id"].to_numpy(),
            "day": when.dt.normalize().to_numpy(),
            "amount": amount.to_numpy(dtype=float),
        }
    )
    grouped = frame.groupby(["customer_id", "day"], sort=True, observed=True)["amount"]
    out = grouped.agg(["sum", "size"]).reset_index()
    return out.rename(columns={"sum": "amount", "size": "orders"})


def summarise_orders(
    orders: pd.DataFrame,
    calibration_end: object | None = None,
    time_unit: TimeUnit = "day",
) -> pd.DataFrame:
    """The RFM summary per customer as of ``calibration_end`` (default: the last order's day).

    Returns a DataFrame indexed by ``customer_id`` with columns ``frequency`` (repeat occasions),
    ``recency`` and ``T`` in ``time_unit``, ``monetary_value`` (mean repeat-occasion amount, 0
    when x = 0), ``orders`` (order rows, before same-day merging), ``first_order_at``,
    ``last_order_at``, ``average_order_value`` (historic value / order rows),
    ``average_days_between_orders`` (days between first and last occasion / x; NaN when x = 0),
    ``historic_value`` (sum of all amounts up to the calibration end) and
    ``days_to_second_order`` (days from the first to the second occasion; NaN when x = 0).
    """
    unit_days = days_per_unit(time_unit)
    occasions = purchase_occasions(orders)
    if occasions.empty:
        raise DataError("order history has no orders")
    end = (
        occasions["day"].max()
        if calibration_end is None
        else to_day(calibration_end, "calibration end")
    )
    occasions = occasions[occasions["day"] <= end]
    if occasions.empty:
        raise DataError(
            f"order history has no order on or before the calibration end {end:%Y-%m-%d}"
        )
    summary = summarise_occasions(occasions, end, unit_days)
    summary.attrs["time_unit"] = time_unit
    return summary


def summarise_occasions(
    occasions: pd.DataFrame, end: pd.Timestamp, unit_days: float
) -> pd.DataFrame:
    """The summary from :func:`purchase_occasions` rows sorted by customer and day, all <= end."""
    groups = occasions.groupby("customer_id", sort=True, observed=True)
    first = groups["day"].min()
    last = groups["day"].max()
    count = groups.size()
    total = groups["amount"].sum()
    rows = groups["orders"].sum()
    # The first occasion of each customer (rows are sorted by customer, then day).
    is_first = ~occasions["customer_id"].duplicated().to_numpy()
    first_amount = pd.Series(
        occasions["amount"].to_numpy()[is_first],
        index=occasions["customer_id"].to_numpy()[is_first],
    ).reindex(first.index)
    # ... and the day of its second occasion, when it has one (the row right after the first).
    first_rows = np.flatnonzero(is_first)
    next_rows = np.minimum(first_rows + 1, len(occasions) - 1)
    ids = occasions["customer_id"].to_numpy()
    days = occasions["day"].to_numpy()
    has_second = (first_rows + 1 < len(occasions)) & (ids[next_rows] == ids[first_rows])
    second_gap = np.where(
        has_second, (days[next_rows] - days[first_rows]) / np.timedelta64(1, "D"), np.nan
    )
    frequency = (count - 1).astype(np.int64)
    span_days = (last - first).dt.days.astype(np.int64)
    age_days = (end - first).dt.days.astype(np.int64)
    repeat_total = total - first_amount
    with np.errstate(invalid="ignore", divide="ignore"):
        monetary = np.where(frequency > 0, repeat_total / frequency.where(frequency > 0, 1), 0.0)
        between = np.where(frequency > 0, span_days / frequency.where(frequency > 0, 1), np.nan)
    summary = pd.DataFrame(
        {
            "frequency": frequency,
            "recency": span_days / unit_days,
            "T": age_days / unit_days,
            "monetary_value": monetary,
            "orders": rows.astype(np.int64),
            "first_order_at": first,
            "last_order_at": last,
            "average_order_value": total / rows,
            "average_days_between_orders": between,
            "historic_value": total,
            "days_to_second_order": pd.Series(second_gap, index=ids[first_rows]).reindex(
                first.index
            ),
        }
    )
    summary.index.name = "customer_id"
    summary.attrs["calibration_end"] = end
    summary.attrs["time_unit_days"] = unit_days
    return summary


def repeat_occasions_between(orders: pd.DataFrame, start_after: object, end: object) -> pd.Series:
    """Purchase occasions per customer with start_after < day <= end (same-day orders merged).

    Only customers whose first occasion is on or before ``start_after`` count (the calibration
    cohort), so every occasion counted is a repeat. Customers without one get 0.
    """
    start_day = to_day(start_after, "holdout start")
    end_day = to_day(end, "holdout end")
    if end_day <= start_day:
        raise DataError(f"holdout end {end_day:%Y-%m-%d} is not after {start_day:%Y-%m-%d}")
    occasions = purchase_occasions(orders)
    first = occasions.groupby("customer_id", sort=True, observed=True)["day"].min()
    cohort = first.index[first <= start_day]
    inside = occasions[(occasions["day"] > start_day) & (occasions["day"] <= end_day)]
    counts = inside.groupby("customer_id", sort=True, observed=True).size()
    return counts.reindex(cohort, fill_value=0).astype(np.int64).rename("repeat_purchases")
