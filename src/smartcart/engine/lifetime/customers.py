"""The lifetime model beside the segments: fitted at training, its columns on every customer.

``fit_beside_segments`` is what a training on order data calls: a thin history (the rule of
``readiness.py``) gives no model and a note, which a training reports and goes on without; a
fit that did not converge or ran a parameter to a bound raises ModelError, so the training
fails and the last good model stays live. ``lifetime_columns`` and ``add_lifetime_columns``
give each customer the columns of ``LIFETIME_COLUMNS`` over the next ``HORIZON_DAYS`` days:

- ``predicted_orders_365d``: expected purchase occasions (BG/NBD);
- ``predicted_clv_365d``: those times the expected spend per occasion (Gamma-Gamma), revenue;
- ``historic_clv``: revenue of the counted orders so far;
- ``probability_alive`` and ``churn_risk`` (low, medium, high; see ``predict.py``), for one-time
  buyers the probability of coming back (``one_time.py``);
- ``expected_next_order_at``: the as-of day plus the expected wait if still a customer;
- ``average_days_between_orders``: days from first to last purchase occasion / repeat occasions
  (empty with one occasion), and ``average_order_value``: revenue / orders.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from smartcart.engine.lifetime.model import LifetimeModel, fit_lifetime_model
from smartcart.engine.lifetime.readiness import HistoryAssessment, assess_history
from smartcart.engine.lifetime.summary import TimeUnit, summarise_orders

HORIZON_DAYS = 365
LIFETIME_COLUMNS = (
    "predicted_orders_365d",
    "predicted_clv_365d",
    "historic_clv",
    "probability_alive",
    "churn_risk",
    "expected_next_order_at",
    "average_days_between_orders",
    "average_order_value",
)
# The lifetime columns that customers from orders already carry among their own figures (their
# definitions agree but for same-day orders; ``add_lifetime_columns`` keeps the customers').
FIGURE_COLUMNS = ("average_days_between_orders", "average_order_value")


@dataclass(frozen=True)
class LifetimeFit:
    """The lifetime model of a training, or None with the note that says why not."""

    model: LifetimeModel | None
    note: str | None
    assessment: HistoryAssessment

    def to_dict(self) -> dict[str, object] | None:
        """``train --json``'s ``lifetime_model``: the model's object, or None."""
        return None if self.model is None else self.model.to_dict()


def fit_beside_segments(
    orders: pd.DataFrame, as_of: object | None = None, time_unit: TimeUnit = "day"
) -> LifetimeFit:
    """Fit on every order up to ``as_of`` (default: the last order's day); see the module doc."""
    verdict = assess_history(orders, as_of)
    if not verdict.supported:
        note = "no lifetime model: the history is too thin (" + "; ".join(verdict.notes) + ")"
        return LifetimeFit(None, note, verdict)
    summary = summarise_orders(orders, as_of, time_unit)
    return LifetimeFit(fit_lifetime_model(summary, time_unit), None, verdict)


def lifetime_columns(
    model: LifetimeModel, orders: pd.DataFrame, as_of: object | None = None
) -> pd.DataFrame:
    """The ``LIFETIME_COLUMNS`` of every customer with an order, indexed by customer_id."""
    summary = summarise_orders(orders, as_of, model.time_unit)
    predicted = model.predict(summary, horizon_days=HORIZON_DAYS)
    return pd.DataFrame(
        {
            "predicted_orders_365d": predicted["expected_purchases"],
            "predicted_clv_365d": predicted["predicted_clv"],
            "historic_clv": summary["historic_value"],
            "probability_alive": predicted["p_alive"],
            "churn_risk": predicted["churn_risk"],
            "expected_next_order_at": predicted["expected_next_order_at"],
            "average_days_between_orders": summary["average_days_between_orders"],
            "average_order_value": summary["average_order_value"],
        },
        index=summary.index,
    )


def add_lifetime_columns(
    customers: pd.DataFrame,
    model: LifetimeModel,
    orders: pd.DataFrame,
    as_of: object | None = None,
    key: str = "customer_id",
) -> pd.DataFrame:
    """``customers`` with the lifetime columns joined on (see ``join_lifetime_columns``)."""
    return join_lifetime_columns(customers, lifetime_columns(model, orders, as_of), key)


def join_lifetime_columns(
    customers: pd.DataFrame, columns: pd.DataFrame, key: str = "customer_id"
) -> pd.DataFrame:
    """``customers`` with ``lifetime_columns``' table joined on, matching their ``key`` column
    to its index as text (a key read as a number matches its digits); computed once, joined
    to every chunk of a large source.

    A column the customers already have (``average_order_value`` from the order customers'
    own figures, say) is kept as it is. Customers without a counted order get empty values.
    """
    new = [c for c in columns.columns if c not in customers.columns]
    by_text = columns[new].set_axis(columns.index.astype(str))
    joined = by_text.reindex(pd.Index(customers[key].astype(str)))
    joined.index = customers.index
    return pd.concat([customers, joined], axis=1)
