"""Will a one-time buyer come back? The BG/NBD cannot say, so the population's return curve does.

The BG/NBD lets a customer drop out only after a repeat purchase, so for anyone with one
purchase occasion it gives P(alive) = 1, whether the purchase was last week or two years ago.
A marketer rightly reads "bought once, long ago" as lost. For these customers the probability
of being alive is replaced by the probability that they will still come back:

- The return curve S(d) is the share of customers who have not made a second purchase d days
  after their first, estimated by Kaplan-Meier over every customer: a repeat buyer's second
  occasion is an event at its day, a one-time buyer is censored at its age (days since the
  first purchase), so young customers who had no time to return yet do not count as lost.
- Those who will ever return are assumed to do so within the longest age the history shows,
  so S at the end of the curve, S_end, estimates the share who never return (a "cure" model).
- A one-time buyer whose only purchase was d days ago comes back with probability
  (S(d) - S_end) / S(d): near 1 - S_end right after the purchase, falling to 0 once d is past
  the point by which nearly every returning customer had returned.

This probability takes the place of ``p_alive`` for x = 0 and goes through the same churn bands.
Expected purchases and CLV stay those of the BG/NBD, whose totals the holdout check validates.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from smartcart.engine.errors import DataError, ModelError

# The stored curve is thinned to at most this many knots (steps of at most 1/200 in S).
MAX_KNOTS = 200


@dataclass(frozen=True)
class ReturnCurve:
    """Kaplan-Meier share of customers still without a second purchase, at knots in days.

    ``days`` ascends from 0; ``not_returned`` descends from 1 (at day 0) to S_end.
    """

    days: tuple[float, ...]
    not_returned: tuple[float, ...]

    @classmethod
    def fit(cls, days_to_second: ArrayLike, age_days: ArrayLike) -> ReturnCurve:
        """The curve from each customer's days to a second purchase (NaN: none yet) and age."""
        second = np.asarray(days_to_second, dtype=float)
        age = np.asarray(age_days, dtype=float)
        if second.shape != age.shape or second.size == 0:
            raise DataError("the return curve needs one age per customer, and customers")
        returned = np.isfinite(second)
        if not returned.any():
            raise DataError("no customer has a second purchase: no return curve")
        time = np.where(returned, second, age)
        order = np.argsort(time, kind="stable")
        time, returned = time[order], returned[order]
        knots, first_at = np.unique(time, return_index=True)
        at_risk = time.size - first_at
        events = np.add.reduceat(returned.astype(float), first_at)
        survival = np.cumprod(1.0 - events / at_risk)
        return cls.from_steps(knots, survival)

    @classmethod
    def from_steps(cls, days: np.ndarray, survival: np.ndarray) -> ReturnCurve:
        """Thin a step curve to about ``MAX_KNOTS`` knots, keeping its shape and its end."""
        days = np.concatenate(([0.0], days))
        survival = np.concatenate(([1.0], survival))
        levels = np.floor((1.0 - survival) * MAX_KNOTS)
        keep = np.concatenate(([True], np.diff(levels) > 0))
        keep[-1] = True
        return cls(tuple(map(float, days[keep])), tuple(map(float, survival[keep])))

    @property
    def never_return(self) -> float:
        """S_end: the estimated share of customers who never make a second purchase."""
        return self.not_returned[-1]

    def probability_returns(self, days_since_purchase: ArrayLike) -> np.ndarray:
        """(S(d) - S_end) / S(d) for each d (days since the only purchase); 0 past the curve."""
        d = np.asarray(days_since_purchase, dtype=float)
        steps = np.searchsorted(np.asarray(self.days), d, side="right") - 1
        s = np.asarray(self.not_returned)[np.clip(steps, 0, len(self.days) - 1)]
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.where(s > 0, (s - self.never_return) / s, 0.0)
        return np.clip(out, 0.0, 1.0)

    def days_until_returned(self, share: float) -> float:
        """The first day by which ``share`` of the customers who ever return had returned."""
        returning = 1.0 - self.never_return
        if returning <= 0:
            return float("inf")
        reached = (1.0 - np.asarray(self.not_returned)) >= share * returning - 1e-12
        return float(np.asarray(self.days)[np.argmax(reached)])

    def to_dict(self) -> dict[str, list[float]]:
        return {"days": list(self.days), "not_returned": list(self.not_returned)}

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> ReturnCurve:
        """Rebuild from :meth:`to_dict`; a ModelError says what is wrong."""
        try:
            days = np.asarray(data["days"], dtype=float)
            share = np.asarray(data["not_returned"], dtype=float)
        except (KeyError, TypeError, ValueError):
            raise ModelError("lifetime model: the return curve is unreadable") from None
        if (
            days.ndim != 1
            or days.shape != share.shape
            or days.size == 0
            or not (np.all(np.isfinite(days)) and np.all(np.isfinite(share)))
            or np.any(np.diff(days) <= 0)
            or np.any(np.diff(share) > 0)
            or share[0] > 1
            or share[-1] < 0
        ):
            raise ModelError("lifetime model: the return curve is not a falling share by day")
        return cls(tuple(map(float, days)), tuple(map(float, share)))
