"""Per-customer predictions from fitted BG/NBD and Gamma-Gamma parameters, vectorised.

Definitions (the ones the bot shows):

- ``expected_purchases``: E[purchase occasions in the next ``horizon_days`` | x, t_x, T].
- ``p_alive``: the BG/NBD probability that the customer has not dropped out. The BG/NBD lets a
  customer drop out only after a repeat purchase, so it says 1 for customers with x = 0 (one
  purchase only); with a return curve (``one_time.py``, fitted with every model) their
  ``p_alive`` is instead the probability that they will still come back, which falls with the
  time since their only purchase.
- ``churn_risk``: ``high`` when p_alive < 0.3, ``medium`` when 0.3 <= p_alive < 0.7, ``low``
  otherwise (:data:`CHURN_HIGH_BELOW`, :data:`CHURN_MEDIUM_BELOW`).
- ``expected_spend``: Gamma-Gamma expected amount per occasion (population mean for x = 0).
- ``predicted_clv``: expected_purchases x expected_spend over the horizon, undiscounted revenue
  (no margin, no discount rate: over one year discounting changes little and is the caller's
  business).
- ``expected_next_order_at``: the as-of date plus 1 / E[lambda | history, alive] =
  (alpha + T) / (r + x) time units, i.e. the expected wait for the next purchase at the posterior
  mean purchase rate, assuming the customer is still alive (purchases are Poisson while alive, so
  the wait does not depend on the time since the last order). Rounded to a calendar day and
  capped at 100,000 days.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from smartcart.engine.errors import DataError
from smartcart.engine.lifetime.bgnbd import (
    expected_purchases,
    expected_rate_if_alive,
    probability_alive,
)
from smartcart.engine.lifetime.gamma_gamma import expected_spend
from smartcart.engine.lifetime.one_time import ReturnCurve
from smartcart.engine.lifetime.optimise import distinct_rows
from smartcart.engine.lifetime.summary import days_per_unit, to_day

CHURN_HIGH_BELOW = 0.3
CHURN_MEDIUM_BELOW = 0.7
CHURN_BANDS = ("low", "medium", "high")
PREDICTION_COLUMNS = (
    "expected_purchases",
    "p_alive",
    "churn_risk",
    "expected_spend",
    "predicted_clv",
    "expected_next_order_at",
)


def churn_risk(p_alive: np.ndarray | pd.Series) -> pd.Categorical:
    """``high`` below 0.3, ``medium`` below 0.7, else ``low``, from P(alive)."""
    p = np.asarray(p_alive, dtype=float)
    codes = np.where(p < CHURN_HIGH_BELOW, 2, np.where(p < CHURN_MEDIUM_BELOW, 1, 0))
    return pd.Categorical.from_codes(codes, categories=list(CHURN_BANDS))


def summary_as_of(
    summary: pd.DataFrame, as_of: object | None, unit_days: float
) -> pd.Timestamp | pd.Series:
    """The date the summary was taken: ``as_of``, the summary's own, or first order + T."""
    if as_of is not None:
        return to_day(as_of, "as-of date")
    if "calibration_end" in summary.attrs:
        return to_day(summary.attrs["calibration_end"], "calibration end")
    if "first_order_at" in summary.columns:
        days = np.rint(summary["T"].to_numpy(dtype=float) * unit_days)
        return summary["first_order_at"] + pd.to_timedelta(days, unit="D")
    raise DataError("the summary does not say when it was taken: pass as_of")


def predict_customers(
    bg_nbd: Mapping[str, float],
    gamma_gamma: Mapping[str, float],
    time_unit: str,
    summary: pd.DataFrame,
    horizon_days: float = 365.0,
    as_of: object | None = None,
    return_curve: ReturnCurve | None = None,
) -> pd.DataFrame:
    """The prediction columns (see the module doc) for each row of an RFM summary.

    ``summary`` needs ``frequency``, ``recency``, ``T`` (in ``time_unit``) and ``monetary_value``.
    BG/NBD quantities are computed once per distinct (x, t_x, T) and spread back.
    """
    missing = [c for c in ("frequency", "recency", "T", "monetary_value") if c not in summary]
    if missing:
        raise DataError(f"the summary lacks the column(s): {', '.join(missing)}")
    unit_days = days_per_unit(time_unit)
    if not np.isfinite(horizon_days) or horizon_days < 0:
        raise DataError(f"the horizon must be a number of days >= 0, got {horizon_days!r}")
    frequency = summary["frequency"].to_numpy(dtype=float)
    recency = summary["recency"].to_numpy(dtype=float)
    age = summary["T"].to_numpy(dtype=float)
    unique, inverse = distinct_rows({"x": frequency, "t_x": recency, "T": age})
    horizon = horizon_days / unit_days
    purchases = expected_purchases(bg_nbd, horizon, unique["x"], unique["t_x"], unique["T"])[
        inverse
    ]
    alive = probability_alive(bg_nbd, unique["x"], unique["t_x"], unique["T"])[inverse]
    if return_curve is not None:
        once = frequency == 0
        alive[once] = return_curve.probability_returns(age[once] * unit_days)
    spend = expected_spend(gamma_gamma, frequency, summary["monetary_value"].to_numpy(dtype=float))
    wait_days = unit_days / expected_rate_if_alive(bg_nbd, frequency, age)
    when = summary_as_of(summary, as_of, unit_days)
    next_at = when + pd.to_timedelta(np.rint(np.minimum(wait_days, 1e5)), unit="D")
    return pd.DataFrame(
        {
            "expected_purchases": purchases,
            "p_alive": alive,
            "churn_risk": churn_risk(alive),
            "expected_spend": spend,
            "predicted_clv": purchases * spend,
            "expected_next_order_at": np.asarray(next_at, dtype="datetime64[ns]"),
        },
        index=summary.index,
    )
