"""The BG/NBD model of repeat purchasing (Fader, Hardie and Lee 2005, Marketing Science 24(2)).

While alive a customer buys as a Poisson process with rate lambda ~ Gamma(r, alpha); after each
purchase she drops out with probability p ~ Beta(a, b). ``alpha`` is in the time unit of the
summary it was fitted on (days or weeks); r, a and b do not depend on the unit.

Everything here takes per-customer arrays ``frequency`` (x, repeat purchases), ``recency``
(t_x) and ``T`` (age), all in the same time unit.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import betaln, expit, gammaln, hyp2f1, psi

from smartcart.engine.errors import DataError
from smartcart.engine.lifetime.optimise import (
    ParamFit,
    maximise_weighted,
    weighted_rows,
    weighted_sum,
)

BG_NBD_PARAMS = ("r", "alpha", "a", "b")


def as_rfm(
    frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Float arrays of x, t_x and T, checked: x >= 0 whole, 0 <= t_x <= T, x = 0 => t_x = 0."""
    x = np.asarray(frequency, dtype=float)
    t_x = np.asarray(recency, dtype=float)
    age = np.asarray(T, dtype=float)
    if not (x.shape == t_x.shape == age.shape):
        raise DataError("frequency, recency and T must have the same length")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(t_x)) and np.all(np.isfinite(age))):
        raise DataError("frequency, recency and T must be finite numbers")
    if np.any(x < 0) or np.any(x != np.round(x)):
        raise DataError("frequency must be a whole number >= 0 (repeat purchases)")
    if np.any(t_x < 0) or np.any(t_x > age + 1e-9):
        raise DataError("recency must lie between 0 and T (time from first purchase)")
    if np.any((x == 0) & (t_x != 0)):
        raise DataError("recency must be 0 for customers without repeat purchases")
    return x, t_x, age


def check_params(params: Mapping[str, float], names: tuple[str, ...]) -> tuple[float, ...]:
    """The named parameters as floats, each finite and > 0."""
    values = []
    for name in names:
        if name not in params:
            raise DataError(f"parameter {name!r} is missing")
        value = float(params[name])
        if not np.isfinite(value) or value <= 0:
            raise DataError(f"parameter {name!r} must be a positive number, got {value!r}")
        values.append(value)
    return tuple(values)


def bg_nbd_log_likelihood_terms(
    params: Mapping[str, float], frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> np.ndarray:
    """The log-likelihood of each customer's (x, t_x, T) under the BG/NBD (eq. 6 of the paper)."""
    r, alpha, a, b = check_params(params, BG_NBD_PARAMS)
    x, t_x, age = as_rfm(frequency, recency, T)
    base = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + betaln(a, b + x) - betaln(a, b)
    still = -(r + x) * np.log(alpha + age)
    repeat = x > 0
    dropped = np.full_like(x, -np.inf)
    dropped[repeat] = (
        np.log(a) - np.log(b + x[repeat] - 1) - (r + x[repeat]) * np.log(alpha + t_x[repeat])
    )
    return base + np.logaddexp(still, dropped)


def bg_nbd_log_likelihood(
    params: Mapping[str, float],
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    weights: ArrayLike | None = None,
) -> float:
    """The total (weighted) log-likelihood of the summaries under the BG/NBD."""
    terms = bg_nbd_log_likelihood_terms(params, frequency, recency, T)
    if weights is None:
        return float(np.sum(terms))
    return float(np.dot(np.asarray(weights, dtype=float), terms))


def _negative_ll(x: np.ndarray, t_x: np.ndarray, age: np.ndarray, weight: np.ndarray):
    """-LL and its gradient in log parameters, for distinct rows with weights.

    Customers without a repeat purchase contribute r log(alpha) - r log(alpha + T): they are
    summed per distinct T. For the others, special functions are evaluated once per distinct x
    and logs once per distinct T and t_x.
    """
    once = x == 0
    uT0, iT0 = np.unique(age[once], return_inverse=True)
    w_T0 = np.bincount(iT0, weights=weight[once], minlength=uT0.size)
    repeat = ~once
    xr, wr = x[repeat], weight[repeat]
    ux, ix = np.unique(xr, return_inverse=True)
    w_x = np.bincount(ix, weights=wr, minlength=ux.size)
    uT, iT = np.unique(age[repeat], return_inverse=True)
    ut, it = np.unique(t_x[repeat], return_inverse=True)
    total = float(weight.sum())

    def evaluate(theta: np.ndarray) -> tuple[float, np.ndarray]:
        r, alpha, a, b = np.exp(theta)
        log_alpha = np.log(alpha)
        # r log(alpha), every customer; the one-time buyers' - r log(alpha + T).
        log_T0 = np.log(alpha + uT0)
        ll = total * r * log_alpha - r * float(w_T0 @ log_T0)
        g_r = total * log_alpha - float(w_T0 @ log_T0)
        g_alpha = total * r / alpha - r * float(w_T0 @ (1.0 / (alpha + uT0)))
        # Per distinct x of the repeat buyers.
        ab = a + b
        ll += float(
            w_x @ (gammaln(r + ux) - gammaln(r) + gammaln(b + ux) - gammaln(ab + ux))
            + w_x.sum() * (gammaln(ab) - gammaln(b))
        )
        g_r += float(w_x @ (psi(r + ux) - psi(r)))
        g_a = float(w_x @ (psi(ab) - psi(ab + ux)))
        g_b = float(w_x @ (psi(b + ux) - psi(ab + ux) + psi(ab) - psi(b)))
        # Per repeat buyer: still alive at T, or dropped out after the last purchase at t_x.
        log_aT = np.log(alpha + uT)[iT]
        log_at = np.log(alpha + ut)[it]
        rx = r + xr
        still = -rx * log_aT
        gap = np.log(a) - np.log(b + xr - 1) - rx * (log_at - log_aT)  # dropped - still
        w_drop = expit(gap)
        w_still = 1.0 - w_drop
        ll += weighted_sum(wr, still + np.logaddexp(0.0, gap))
        g_r -= weighted_sum(wr, w_still * log_aT + w_drop * log_at)
        g_alpha -= weighted_sum(
            wr, rx * (w_still * (1.0 / (alpha + uT))[iT] + w_drop * (1.0 / (alpha + ut))[it])
        )
        g_a += weighted_sum(wr, w_drop) / a
        g_b -= weighted_sum(wr, w_drop / (b + xr - 1))
        gradient = np.array([g_r * r, g_alpha * alpha, g_a * a, g_b * b])
        return -float(ll), -gradient

    return evaluate


def fit_bg_nbd(
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    weights: ArrayLike | None = None,
) -> ParamFit:
    """Maximum likelihood BG/NBD parameters (r, alpha, a, b) for the summaries.

    Identical (x, t_x, T) rows are merged into one weighted row first, so a million customers cost
    about as much as their distinct rows. ``weights`` (counts of customers per row) may be given
    for summaries that are already merged. Check ``usable`` (or ``message``) on the result: a fit
    that did not converge or ran a parameter to a bound is reported, not raised.
    """
    x, t_x, age = as_rfm(frequency, recency, T)
    if x.size == 0:
        raise DataError("no customers to fit the BG/NBD on")
    columns = {"x": x, "t_x": t_x, "T": age}
    if weights is None:
        unique, counts = weighted_rows(columns)
    else:
        counts = np.asarray(weights, dtype=float)
        if counts.shape != x.shape or np.any(counts < 0) or not np.all(np.isfinite(counts)):
            raise DataError("weights must be finite, >= 0 and one per summary row")
        unique = columns
    total = float(counts.sum())
    mean_T = float(np.dot(counts, unique["T"]) / total)
    mean_x = float(np.dot(counts, unique["x"]) / total)
    start = np.log([1.0, max(mean_T, 1e-3) / max(mean_x, 0.1), 1.0, 1.0])

    def objective_of(rows: np.ndarray, weights: np.ndarray):
        return _negative_ll(unique["x"][rows], unique["t_x"][rows], unique["T"][rows], weights)

    return maximise_weighted(
        "BG/NBD",
        BG_NBD_PARAMS,
        start,
        counts,
        objective_of,
        "too few repeat purchases, or no sign that customers stop buying",
    )


def probability_alive(
    params: Mapping[str, float], frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> np.ndarray:
    """P(alive | x, t_x, T) (eq. 11 of the paper); 1 for customers without repeat purchases."""
    r, alpha, a, b = check_params(params, BG_NBD_PARAMS)
    x, t_x, age = as_rfm(frequency, recency, T)
    return expit(-_log_odds_dropped(r, alpha, a, b, x, t_x, age))


def _log_odds_dropped(r, alpha, a, b, x, t_x, age) -> np.ndarray:
    """log of a/(b+x-1) * ((alpha+T)/(alpha+t_x))^(r+x) for x > 0, -inf for x = 0."""
    out = np.full_like(x, -np.inf)
    repeat = x > 0
    xr = x[repeat]
    out[repeat] = (
        np.log(a)
        - np.log(b + xr - 1)
        + (r + xr) * (np.log(alpha + age[repeat]) - np.log(alpha + t_x[repeat]))
    )
    return out


def expected_purchases(
    params: Mapping[str, float],
    t: float,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
) -> np.ndarray:
    """E[purchases in (T, T + t] | x, t_x, T] (eq. 10 of the paper), t in the params' unit.

    Eq. 10 multiplies ((alpha+T)/(alpha+T+t))^(r+x) = (1-z)^(r+x) by 2F1(r+x, b+x; a+b+x-1; z),
    which overflows for frequent buyers and long horizons (inf * 0). Euler's transformation
    2F1(A, B; C; z) = (1-z)^(C-A-B) 2F1(C-A, C-B; C; z) turns the product into
    (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z): small numerator parameters, no overflow.
    """
    r, alpha, a, b = check_params(params, BG_NBD_PARAMS)
    x, t_x, age = as_rfm(frequency, recency, T)
    if not np.isfinite(t) or t < 0:
        raise DataError(f"the forecast horizon must be >= 0, got {t!r}")
    if abs(a - 1.0) < 1e-6:
        a = 1.0 + 1e-6  # the closed form has a removable singularity at a = 1
    z = t / (alpha + age + t)
    log_one_minus_z = np.log(alpha + age) - np.log(alpha + age + t)
    hyper = hyp2f1(a + b - 1 - r, a - 1, a + b + x - 1, z)
    alive_part = (a + b + x - 1) / (a - 1) * (1.0 - np.exp((a - 1) * log_one_minus_z) * hyper)
    p_alive = expit(-_log_odds_dropped(r, alpha, a, b, x, t_x, age))
    return alive_part * p_alive


def expected_rate_if_alive(
    params: Mapping[str, float], frequency: ArrayLike, T: ArrayLike
) -> np.ndarray:
    """The posterior mean purchase rate given the customer is alive: (r + x) / (alpha + T).

    (Given alive, lambda | history ~ Gamma(r + x, alpha + T).)
    """
    r, alpha, _, _ = check_params(params, BG_NBD_PARAMS)
    x = np.asarray(frequency, dtype=float)
    return (r + x) / (alpha + np.asarray(T, dtype=float))
