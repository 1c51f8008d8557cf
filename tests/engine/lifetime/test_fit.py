"""Maximum likelihood fits: weights, parameter recovery, degenerate inputs reported not used."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import check_grad

from smartcart.engine.errors import DataError, ModelError
from smartcart.engine.lifetime import (
    bg_nbd_log_likelihood,
    fit_bg_nbd,
    fit_gamma_gamma,
    fit_lifetime_model,
    gamma_gamma_log_likelihood,
    optimise,
    simulate_orders,
    summarise_orders,
)

TRUE = {"r": 0.5, "alpha": 20.0, "a": 0.8, "b": 3.0, "p": 6.0, "q": 4.0, "gamma": 15.0}


@pytest.fixture(scope="module")
def simulated() -> pd.DataFrame:
    orders = simulate_orders(
        20_000, TRUE, "2023-01-01", "2024-06-30", first_purchase_days=90, seed=7
    )
    return summarise_orders(orders, "2024-06-30", "day")


def small_summary() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    orders = simulate_orders(300, TRUE, "2023-01-01", "2023-12-31", seed=11)
    summary = summarise_orders(orders, "2023-12-31", "week")
    return tuple(summary[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))


def test_weighted_distinct_rows_give_the_same_fit_as_the_expanded_rows():
    x, t_x, T = small_summary()
    counts = np.random.default_rng(5).integers(1, 6, x.size)
    expanded = [np.repeat(column, counts) for column in (x, t_x, T)]
    # Weights of one on every expanded row: no merging inside, a separate code path.
    plain = fit_bg_nbd(*expanded, weights=np.ones(counts.sum()))
    weighted = fit_bg_nbd(x, t_x, T, weights=counts)
    merged = fit_bg_nbd(*expanded)  # merges identical rows itself
    assert plain.usable and weighted.usable and merged.usable, plain.message
    for name in ("r", "alpha", "a", "b"):
        assert weighted.params[name] == pytest.approx(plain.params[name], rel=1e-4)
        assert merged.params[name] == pytest.approx(plain.params[name], rel=1e-4)
    assert weighted.log_likelihood == pytest.approx(plain.log_likelihood, rel=1e-9)
    assert weighted.customers == plain.customers == counts.sum()


def test_gamma_gamma_weights_match_expanded_rows(simulated):
    repeaters = simulated[simulated["frequency"] > 0].head(400)
    x = repeaters["frequency"].to_numpy(dtype=float)
    m = repeaters["monetary_value"].to_numpy()
    counts = np.random.default_rng(6).integers(1, 6, x.size)
    plain = fit_gamma_gamma(
        np.repeat(x, counts), np.repeat(m, counts), weights=np.ones(counts.sum())
    )
    weighted = fit_gamma_gamma(x, m, weights=counts)
    assert plain.usable and weighted.usable, plain.message
    for name in ("p", "q", "gamma"):
        assert weighted.params[name] == pytest.approx(plain.params[name], rel=1e-4)


def test_the_optimum_has_the_highest_likelihood_nearby():
    x, t_x, T = small_summary()
    fit = fit_bg_nbd(x, t_x, T)
    assert bg_nbd_log_likelihood(fit.params, x, t_x, T) == pytest.approx(fit.log_likelihood)
    for name in fit.params:
        for factor in (0.95, 1.05):
            moved = {**fit.params, name: fit.params[name] * factor}
            assert bg_nbd_log_likelihood(moved, x, t_x, T) < fit.log_likelihood


def test_simulated_parameters_are_recovered(simulated):
    model = fit_lifetime_model(simulated, "day")
    fitted = model.params
    assert fitted["r"] == pytest.approx(TRUE["r"], rel=0.1)
    assert fitted["alpha"] == pytest.approx(TRUE["alpha"], rel=0.15)
    assert fitted["a"] == pytest.approx(TRUE["a"], rel=0.2)
    assert fitted["b"] == pytest.approx(TRUE["b"], rel=0.25)
    # The mean spend per order is what matters for CLV; p, q, gamma trade off against each other.
    true_mean = TRUE["p"] * TRUE["gamma"] / (TRUE["q"] - 1)
    assert fitted["p"] * fitted["gamma"] / (fitted["q"] - 1) == pytest.approx(true_mean, rel=0.05)
    assert model.customers == len(simulated)


def test_nobody_repeating_is_reported_at_a_bound_and_refused():
    summary = pd.DataFrame(
        {"frequency": 0, "recency": 0.0, "T": np.linspace(10, 300, 600), "monetary_value": 0.0}
    )
    fit = fit_bg_nbd(summary["frequency"], summary["recency"], summary["T"])
    assert not fit.usable
    assert fit.at_bounds  # r -> 0 and alpha -> infinity along a ridge
    assert "edge of the allowed range" in fit.message
    with pytest.raises(ModelError, match="BG/NBD"):
        fit_lifetime_model(summary)


def test_clockwork_buyers_without_churn_are_reported():
    # Everyone buys every 10 days right up to the end: no sign of dropout at all.
    x = np.arange(1, 31, dtype=float).repeat(20)
    fit = fit_bg_nbd(x, x * 10, x * 10)
    assert not fit.usable
    assert fit.at_bounds
    assert "BG/NBD" in fit.message


def test_spend_with_infinite_mean_is_refused():
    rng = np.random.default_rng(3)
    x = np.ones(2000)
    m = rng.pareto(0.7, 2000) + 1.0  # so heavy-tailed the mean is infinite
    fit = fit_gamma_gamma(x, m)
    assert not fit.usable
    assert "Gamma-Gamma" in fit.message


def test_bad_inputs_are_data_errors():
    with pytest.raises(DataError, match="recency must lie between 0 and T"):
        fit_bg_nbd([1], [5.0], [3.0])
    with pytest.raises(DataError, match="whole number"):
        fit_bg_nbd([1.5], [1.0], [3.0])
    with pytest.raises(DataError, match="recency must be 0"):
        fit_bg_nbd([0], [1.0], [3.0])
    with pytest.raises(DataError, match="no customer with a repeat purchase"):
        fit_gamma_gamma([0, 0], [0.0, 0.0])


def test_gamma_gamma_likelihood_ignores_rows_without_repeats():
    params = {"p": 2.0, "q": 3.0, "gamma": 10.0}
    with_zeros = gamma_gamma_log_likelihood(params, [0, 2, 1], [0.0, 20.0, 5.0])
    without = gamma_gamma_log_likelihood(params, [2, 1], [20.0, 5.0])
    assert with_zeros == pytest.approx(without)


def test_fit_gradients_match_finite_differences():
    # The fits use hand-derived gradients; a wrong one would stop the optimiser early.
    x, t_x, T = small_summary()
    free = fit_bg_nbd(x, t_x, T)
    theta = np.log([free.params[name] for name in ("r", "alpha", "a", "b")]) + 0.3

    def ll(values):
        return -bg_nbd_log_likelihood(
            dict(zip(("r", "alpha", "a", "b"), np.exp(values), strict=True)), x, t_x, T
        )

    def numeric_grad(values):
        step = 1e-6
        return np.array(
            [(ll(values + step * e) - ll(values - step * e)) / (2 * step) for e in np.eye(4)]
        )

    assert check_grad(ll, numeric_grad, theta) < 1e-4


def test_a_warm_start_from_a_sample_reaches_the_same_fit(simulated, monkeypatch):
    """Above WARM_START_CUSTOMERS the search starts at a sample's optimum (the speed of 1M
    customers); only where it starts changes, not where it ends (here the Gamma-Gamma search
    from the sample's optimum stops short and is run again from the usual start)."""
    x, t_x, T = (simulated[c] for c in ("frequency", "recency", "T"))
    m = simulated["monetary_value"]
    cold_bg, cold_gg = fit_bg_nbd(x, t_x, T), fit_gamma_gamma(x, m)
    monkeypatch.setattr(optimise, "WARM_START_CUSTOMERS", 5_000)
    monkeypatch.setattr(optimise, "SAMPLE_CUSTOMERS", 2_000)
    warm_bg, warm_gg = fit_bg_nbd(x, t_x, T), fit_gamma_gamma(x, m)
    assert warm_bg.usable and warm_gg.usable
    for cold, warm in ((cold_bg, warm_bg), (cold_gg, warm_gg)):
        for name, value in cold.params.items():
            assert warm.params[name] == pytest.approx(value, rel=1e-4)
        assert warm.log_likelihood == pytest.approx(cold.log_likelihood, rel=1e-10)
    assert warm_bg.iterations < cold_bg.iterations
