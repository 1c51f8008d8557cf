"""Order histories drawn from the BG/NBD + Gamma-Gamma process (for tests and benchmarks).

Per customer: purchase rate lambda ~ Gamma(r, rate alpha), dropout probability p ~ Beta(a, b),
spend scale nu ~ Gamma(q, rate gamma). The first purchase falls uniformly in the first
``first_purchase_days`` days; while alive the customer buys as a Poisson process with rate lambda
and after each repeat purchase drops out with probability p (as in the BG/NBD likelihood, no
dropout right after the first purchase). Each occasion's amount is Gamma(p_spend, rate nu).
Everything is drawn in vectorised numpy: no per-customer Python loop.

Times are continuous; orders are stamped with the calendar day they fall on, so a fast buyer's
two purchases can land on one day and then count as one occasion.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from smartcart.engine.errors import DataError
from smartcart.engine.lifetime.bgnbd import BG_NBD_PARAMS, check_params
from smartcart.engine.lifetime.gamma_gamma import GAMMA_GAMMA_PARAMS
from smartcart.engine.lifetime.summary import TimeUnit, days_per_unit, to_day


def simulate_orders(
    n_customers: int,
    params: Mapping[str, float],
    start: object = "2023-01-01",
    end: object = "2024-12-31",
    first_purchase_days: float = 90.0,
    time_unit: TimeUnit = "day",
    seed: int | None = None,
) -> pd.DataFrame:
    """Orders (``customer_id``, ``ordered_at``, ``amount``) of ``n_customers`` new customers.

    ``params`` holds r, alpha, a, b, p, q, gamma, with ``alpha`` in ``time_unit``. Customers
    are observed from their first purchase until ``end`` (inclusive); ids are 0..n-1.
    """
    r, alpha, a, b = check_params(params, BG_NBD_PARAMS)
    p_spend, q, gamma = check_params(params, GAMMA_GAMMA_PARAMS)
    if n_customers < 1:
        raise DataError("simulate at least one customer")
    first_day = to_day(start, "start")
    last_day = to_day(end, "end")
    window_days = float((last_day - first_day).days + 1)
    if not 0 < first_purchase_days <= window_days:
        raise DataError("first_purchase_days must be > 0 and fit between start and end")
    unit = days_per_unit(time_unit)
    rng = np.random.default_rng(seed)
    rate = rng.gamma(r, 1.0 / alpha, n_customers) / unit  # purchases per day
    dropout = rng.beta(a, b, n_customers)
    nu = rng.gamma(q, 1.0 / gamma, n_customers)
    first = rng.uniform(0.0, first_purchase_days, n_customers)  # days after start
    window = window_days - first
    # Repeat purchases before dropping out (the last one is followed by the dropout) ...
    lifetime_purchases = rng.geometric(np.clip(dropout, 1e-12, 1.0))
    # ... and the Poisson count in the window: the first min(N, D) of N events happen.
    in_window = rng.poisson(rate * window)
    repeats = np.minimum(in_window, lifetime_purchases)
    # The first k of N uniform order statistics on [0, 1]: S_j / (S_k + G), S_j partial sums of
    # Exp(1), G ~ Gamma(N + 1 - k) standing in for the remaining N + 1 - k exponentials.
    owner = np.repeat(np.arange(n_customers), repeats)
    gaps = rng.exponential(1.0, owner.size)
    sums = np.cumsum(gaps)
    offsets = np.concatenate(([0], np.cumsum(repeats)[:-1]))
    before = np.concatenate(([0.0], sums))[offsets]
    partial = sums - before[owner]
    rest = rng.gamma(in_window - repeats + 1.0, 1.0)
    total = np.zeros(n_customers)
    has = repeats > 0
    total[has] = partial[np.cumsum(repeats)[has] - 1]
    times = first[owner] + window[owner] * partial / (total[owner] + rest[owner])
    customer = np.concatenate((np.arange(n_customers), owner))
    day = np.floor(np.concatenate((first, times))).astype(np.int64)
    day = np.minimum(day, int(window_days) - 1)
    amount = rng.gamma(p_spend, 1.0, customer.size) / nu[customer]
    order = np.lexsort((day, customer))
    return pd.DataFrame(
        {
            "customer_id": customer[order],
            "ordered_at": first_day + pd.to_timedelta(day[order], unit="D"),
            "amount": np.round(amount[order], 2),
        }
    )
