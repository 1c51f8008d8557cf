"""The Gamma-Gamma model of spend per purchase (Fader, Hardie and Lee 2005, "RFM and CLV").

Each occasion's amount z ~ Gamma(p, nu) with nu ~ Gamma(q, gamma) across customers; the mean of
a customer's x repeat occasions is summarised as ``monetary_value``. Only customers with x > 0
and a positive monetary value enter the fit. The model assumes spend per occasion does not depend
on how often a customer buys.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import gammaln, psi

from smartcart.engine.errors import DataError, ModelError
from smartcart.engine.lifetime.bgnbd import check_params
from smartcart.engine.lifetime.optimise import (
    ParamFit,
    maximise_weighted,
    weighted_rows,
    weighted_sum,
)

GAMMA_GAMMA_PARAMS = ("p", "q", "gamma")


def spend_rows(
    frequency: ArrayLike, monetary_value: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x and m as floats, and the mask of rows the Gamma-Gamma fit uses (x > 0 and m > 0)."""
    x = np.asarray(frequency, dtype=float)
    m = np.asarray(monetary_value, dtype=float)
    if x.shape != m.shape:
        raise DataError("frequency and monetary_value must have the same length")
    used = (x > 0) & np.isfinite(m) & (m > 0)
    return x, m, used


def gamma_gamma_log_likelihood(
    params: Mapping[str, float],
    frequency: ArrayLike,
    monetary_value: ArrayLike,
    weights: ArrayLike | None = None,
) -> float:
    """The total log-likelihood of the mean repeat spends (rows with x > 0 and m > 0 only)."""
    p, q, gamma = check_params(params, GAMMA_GAMMA_PARAMS)
    x, m, used = spend_rows(frequency, monetary_value)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float)
    x, m, w = x[used], m[used], w[used]
    terms = (
        gammaln(p * x + q)
        - gammaln(p * x)
        - gammaln(q)
        + q * np.log(gamma)
        + (p * x - 1) * np.log(m)
        + p * x * np.log(x)
        - (p * x + q) * np.log(gamma + m * x)
    )
    return float(np.dot(w, terms))


def _negative_ll(x: np.ndarray, m: np.ndarray, weight: np.ndarray):
    """-LL and its gradient in log parameters; special functions once per distinct x."""
    ux, ix = np.unique(x, return_inverse=True)
    log_m = np.log(m)
    log_x = np.log(x)
    mx = m * x
    # Parameter-free parts summed once: sum w (p x (log m + log x) - log m) is linear in p.
    w_x_logs = weighted_sum(weight, x * (log_m + log_x))
    w_log_m = weighted_sum(weight, log_m)
    w_total = float(weight.sum())
    w_per_x = np.bincount(ix, weights=weight, minlength=ux.size)

    def evaluate(theta: np.ndarray) -> tuple[float, np.ndarray]:
        p, q, gamma = np.exp(theta)
        pux = p * ux
        log_gm = np.log(gamma + mx)
        per_x = gammaln(pux + q) - gammaln(pux)
        ll = (
            weighted_sum(w_per_x, per_x)
            - w_total * gammaln(q)
            + w_total * q * np.log(gamma)
            + p * w_x_logs
            - w_log_m
            - weighted_sum(weight, (p * x + q) * log_gm)
        )
        psi_sum = psi(pux + q)
        g_p = (
            weighted_sum(w_per_x, ux * (psi_sum - psi(pux)))
            + w_x_logs
            - weighted_sum(weight, x * log_gm)
        )
        g_q = (
            weighted_sum(w_per_x, psi_sum)
            - w_total * (psi(q) - np.log(gamma))
            - weighted_sum(weight, log_gm)
        )
        g_gamma = w_total * q / gamma - weighted_sum(weight, (p * x + q) / (gamma + mx))
        gradient = np.array([g_p * p, g_q * q, g_gamma * gamma])
        return -float(ll), -gradient

    return evaluate


def fit_gamma_gamma(
    frequency: ArrayLike,
    monetary_value: ArrayLike,
    weights: ArrayLike | None = None,
) -> ParamFit:
    """Maximum likelihood Gamma-Gamma parameters (p, q, gamma) on customers with repeat purchases.

    Identical (x, m) rows are merged into weighted rows first. The result is not ``usable`` when
    the optimiser did not converge, a parameter ran to a bound, or q <= 1 (the mean spend would be
    infinite).
    """
    x, m, used = spend_rows(frequency, monetary_value)
    if weights is None:
        if not used.any():
            raise DataError("no customer with a repeat purchase of positive value: no spend model")
        unique, counts = weighted_rows({"x": x[used], "m": m[used]})
    else:
        w = np.asarray(weights, dtype=float)
        if w.shape != x.shape or np.any(w < 0) or not np.all(np.isfinite(w)):
            raise DataError("weights must be finite, >= 0 and one per summary row")
        keep = used & (w > 0)
        if not keep.any():
            raise DataError("no customer with a repeat purchase of positive value: no spend model")
        unique, counts = {"x": x[keep], "m": m[keep]}, w[keep]
    total = float(counts.sum())
    mean_m = float(np.dot(counts, unique["m"]) / total)
    # Start at p = 1, q = 2: a mean spend p * gamma / (q - 1) equal to the observed mean.
    start = np.log([1.0, 2.0, max(mean_m, 1e-6)])

    def objective_of(rows: np.ndarray, weights: np.ndarray):
        return _negative_ll(unique["x"][rows], unique["m"][rows], weights)

    fit = maximise_weighted(
        "Gamma-Gamma",
        GAMMA_GAMMA_PARAMS,
        start,
        counts,
        objective_of,
        "too few repeat buyers, or spend per order that barely varies within or between customers",
    )
    if fit.usable and fit.params["q"] <= 1.0:
        return ParamFit(
            model=fit.model,
            params=fit.params,
            log_likelihood=fit.log_likelihood,
            converged=fit.converged,
            at_bounds=("q",),
            iterations=fit.iterations,
            customers=fit.customers,
            message=(
                f"Gamma-Gamma: q = {fit.params['q']:.3g} <= 1, so the mean spend per order is "
                "infinite; spend is too skewed for this model"
            ),
            optimiser_message=fit.optimiser_message,
        )
    return fit


def expected_spend(
    params: Mapping[str, float], frequency: ArrayLike, monetary_value: ArrayLike
) -> np.ndarray:
    """E[spend per occasion | x, m] = p (gamma + x m) / (p x + q - 1).

    Customers with x = 0 (or a non-positive or missing m) get the population mean
    p gamma / (q - 1).
    """
    p, q, gamma = check_params(params, GAMMA_GAMMA_PARAMS)
    if q <= 1.0:
        raise ModelError(f"Gamma-Gamma q = {q:.3g} <= 1: the mean spend is infinite")
    x, m, used = spend_rows(frequency, monetary_value)
    x_used = np.where(used, x, 0.0)
    m_used = np.where(used, m, 0.0)
    return p * (gamma + x_used * m_used) / (p * x_used + q - 1.0)
