"""Maximum likelihood on log parameters with bounds, and an honest report of how it went."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from threadpoolctl import threadpool_limits

# Every parameter lives in [1e-6, 1e6]: on the log scale that is about [-13.8, 13.8].
LOG_LOWER = float(np.log(1e-6))
LOG_UPPER = float(np.log(1e6))
# A parameter whose log is this close to a bound is reported as at the bound.
BOUND_TOLERANCE = 1e-3
# Above this many customers the fit on all of them starts where a random sample's fit ended:
# near the optimum it needs a few likelihood evaluations instead of tens (BENCHMARKS.md).
WARM_START_CUSTOMERS = 100_000
SAMPLE_CUSTOMERS = 50_000


@dataclass(frozen=True)
class ParamFit:
    """The outcome of one maximum likelihood fit.

    ``usable`` is False when the optimiser did not converge or a parameter ran to a bound: such a
    fit is a report, not a model. ``message`` says why in words a user can read.
    """

    model: str
    params: dict[str, float]
    log_likelihood: float
    converged: bool
    at_bounds: tuple[str, ...]
    iterations: int
    customers: int
    message: str
    optimiser_message: str = field(default="", compare=False)

    @property
    def usable(self) -> bool:
        return self.converged and not self.at_bounds


def weighted_rows(columns: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The distinct rows of equal-length columns and how many times each occurs."""
    frame = pd.DataFrame(columns)
    counts = frame.groupby(list(columns), sort=False, observed=True).size()
    index = counts.index.to_frame(index=False)
    unique = {name: index[name].to_numpy(dtype=float) for name in columns}
    return unique, counts.to_numpy(dtype=float)


def weighted_sum(weights: np.ndarray, values: np.ndarray) -> float:
    """sum(weights * values) without BLAS: its threads only wait on each other for one vector."""
    return float(np.einsum("i,i->", weights, values))


def distinct_rows(columns: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The distinct rows of equal-length columns, and for each input row the index of its own."""
    frame = pd.DataFrame(columns)
    codes = frame.groupby(list(columns), sort=False, observed=True).ngroup().to_numpy()
    groups = int(codes.max()) + 1 if codes.size else 0
    unique = {}
    for name, values in columns.items():
        out = np.empty(groups, dtype=float)
        out[codes] = values
        unique[name] = out
    return unique, codes


def maximise_weighted(
    model: str,
    names: Sequence[str],
    start: np.ndarray,
    counts: np.ndarray,
    objective_of: Callable[[np.ndarray, np.ndarray], Callable],
    hint: str,
) -> ParamFit:
    """``maximise`` over weighted rows, started near the optimum when there are many customers.

    ``objective_of(rows, weights)`` is the objective of those rows (a boolean mask) with those
    weights. Above WARM_START_CUSTOMERS the search starts at the maximum likelihood of a random
    sample of about SAMPLE_CUSTOMERS customers (Poisson thinning of the row weights, seeded: the
    same data gives the same fit); should the search from there not converge (a line search
    that cannot improve on a start already at the optimum), it runs again from ``start``. Only
    where the search starts changes: it runs to the same tolerances either way.
    """
    total = float(counts.sum())
    everyone = np.ones(counts.shape, dtype=bool)
    evaluate = objective_of(everyone, counts)
    if total > WARM_START_CUSTOMERS:
        sample = np.random.default_rng(0).poisson(counts * (SAMPLE_CUSTOMERS / total))
        rows = sample > 0
        taken = float(sample.sum())
        weights = sample[rows].astype(float)
        first = maximise(model, names, start, objective_of(rows, weights), taken, int(taken), hint)
        if first.usable:
            warm = np.log([first.params[name] for name in names])
            fit = maximise(model, names, warm, evaluate, total, int(round(total)), hint)
            if fit.converged:
                return fit
    return maximise(model, names, start, evaluate, total, int(round(total)), hint)


def maximise(
    model: str,
    names: Sequence[str],
    start: np.ndarray,
    negative_ll_and_gradient: Callable[[np.ndarray], tuple[float, np.ndarray]],
    total_weight: float,
    customers: int,
    hint: str,
) -> ParamFit:
    """Minimise the mean negative log-likelihood over log parameters with L-BFGS-B.

    ``negative_ll_and_gradient(log_params)`` returns -LL and its gradient in log parameters; the
    objective handed to the optimiser is divided by ``total_weight`` so tolerances do not depend on
    the number of customers. ``hint`` says, for a user, what makes a parameter run to a bound.
    """

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        value, gradient = negative_ll_and_gradient(theta)
        if not np.isfinite(value) or not np.all(np.isfinite(gradient)):
            return float("inf"), np.zeros_like(theta)
        return value / total_weight, gradient / total_weight

    bounds = [(LOG_LOWER, LOG_UPPER)] * len(names)
    # One BLAS thread: L-BFGS-B's steps on a handful of parameters are tiny BLAS calls, and
    # OpenBLAS threads handing them around cost a second at 1M customers on two busy cores.
    with threadpool_limits(limits=1, user_api="blas"):
        result = minimize(
            objective,
            np.clip(start, LOG_LOWER + 1.0, LOG_UPPER - 1.0),
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": 1000, "ftol": 1e-13, "gtol": 1e-8, "maxcor": 20},
        )
    theta = np.asarray(result.x, dtype=float)
    params = {name: float(np.exp(value)) for name, value in zip(names, theta, strict=True)}
    at_bounds = tuple(
        name
        for name, value in zip(names, theta, strict=True)
        if value <= LOG_LOWER + BOUND_TOLERANCE or value >= LOG_UPPER - BOUND_TOLERANCE
    )
    value, _ = negative_ll_and_gradient(theta)
    log_likelihood = -float(value)
    converged = bool(result.success) and bool(np.isfinite(log_likelihood))
    optimiser_message = str(result.message)
    if not converged:
        message = (
            f"{model}: the likelihood maximisation did not converge after {result.nit} "
            f"iterations ({optimiser_message}); the history does not pin the model down"
        )
    elif at_bounds:
        shown = ", ".join(f"{name}={params[name]:.3g}" for name in at_bounds)
        message = (
            f"{model}: parameter(s) ran to the edge of the allowed range ({shown}); the history "
            f"does not pin the model down ({hint})"
        )
    else:
        message = f"{model}: converged in {result.nit} iterations"
    return ParamFit(
        model=model,
        params=params,
        log_likelihood=log_likelihood,
        converged=converged,
        at_bounds=at_bounds,
        iterations=int(result.nit),
        customers=customers,
        message=message,
        optimiser_message=optimiser_message,
    )
