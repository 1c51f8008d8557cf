"""Whether an order history is rich enough to fit lifetime models on, and why not.

A history is "too thin" (no model is fitted, the notes say why) when any of these holds:

- fewer than :data:`MIN_CUSTOMERS` (500) customers have an order;
- less than :data:`MIN_HISTORY_DAYS` (180) days lie between the first order and the calibration
  end (default: the last order);
- no customer has :data:`MIN_OCCASIONS_FOR_REPEAT` (3) or more purchase occasions (orders on the
  same day count once), so nothing shows how repeat buying unfolds.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from smartcart.engine.lifetime.summary import purchase_occasions, to_day

MIN_CUSTOMERS = 500
MIN_HISTORY_DAYS = 180
MIN_OCCASIONS_FOR_REPEAT = 3


@dataclass(frozen=True)
class HistoryAssessment:
    """The verdict on a history: ``supported`` or not, with one note per unmet condition."""

    supported: bool
    notes: tuple[str, ...]
    customers: int
    history_days: int
    customers_with_3_orders: int

    def to_dict(self) -> dict[str, object]:
        return {
            "supported": self.supported,
            "notes": list(self.notes),
            "customers": self.customers,
            "history_days": self.history_days,
            "customers_with_3_orders": self.customers_with_3_orders,
        }


def assess_history(
    orders: pd.DataFrame, calibration_end: object | None = None
) -> HistoryAssessment:
    """Check the "too thin" rule on the orders up to ``calibration_end`` (see the module doc)."""
    occasions = purchase_occasions(orders)
    if calibration_end is not None:
        occasions = occasions[occasions["day"] <= to_day(calibration_end, "calibration end")]
    if occasions.empty:
        return HistoryAssessment(False, ("there are no orders to learn from",), 0, 0, 0)
    end = (
        occasions["day"].max()
        if calibration_end is None
        else to_day(calibration_end, "calibration end")
    )
    per_customer = occasions.groupby("customer_id", sort=False, observed=True).size()
    customers = int(per_customer.size)
    history_days = int((end - occasions["day"].min()).days)
    repeaters = int((per_customer >= MIN_OCCASIONS_FOR_REPEAT).sum())
    notes = []
    if customers < MIN_CUSTOMERS:
        notes.append(
            f"only {customers} customers have orders; lifetime value needs at least {MIN_CUSTOMERS}"
        )
    if history_days < MIN_HISTORY_DAYS:
        notes.append(
            f"the orders span only {history_days} days; lifetime value needs at least "
            f"{MIN_HISTORY_DAYS} days of history"
        )
    if repeaters == 0:
        notes.append(
            f"no customer has {MIN_OCCASIONS_FOR_REPEAT} or more orders (on different days), so "
            "there is no repeat buying to learn from"
        )
    return HistoryAssessment(not notes, tuple(notes), customers, history_days, repeaters)
