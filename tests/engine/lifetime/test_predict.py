"""Predictions: sanity of directions, churn bands, CLV and the next order date."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from smartcart.engine.errors import DataError, ModelError
from smartcart.engine.lifetime import (
    LifetimeModel,
    churn_risk,
    expected_purchases,
    expected_spend,
    probability_alive,
)

PARAMS = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426, "p": 6.25, "q": 3.74, "gamma": 15.44}
BG = {k: PARAMS[k] for k in ("r", "alpha", "a", "b")}
GG = {k: PARAMS[k] for k in ("p", "q", "gamma")}


def model() -> LifetimeModel:
    return LifetimeModel(PARAMS, -9582.4, 2357, "week")


def test_p_alive_falls_as_the_last_purchase_gets_older():
    recency = np.linspace(0, 39, 40)
    alive = probability_alive(BG, np.full(40, 3.0), recency, np.full(40, 39.0))
    assert np.all(np.diff(alive) > 0)  # later last purchase: more likely alive
    assert 0 < alive.min() < alive.max() < 1
    assert probability_alive(BG, [0], [0], [39])[0] == 1.0  # BG/NBD: no dropout before a repeat


def test_expected_purchases_grow_with_horizon_and_with_frequency_of_recent_buyers():
    horizons = [expected_purchases(BG, t, [2], [30], [39])[0] for t in (0, 1, 10, 39, 100)]
    assert horizons[0] == pytest.approx(0.0, abs=1e-12)
    assert np.all(np.diff(horizons) > 0)
    x = np.arange(0, 10, dtype=float)
    recent = expected_purchases(BG, 39, x, np.where(x > 0, 39.0, 0.0), np.full(10, 39.0))
    assert np.all(np.diff(recent) > 0)


def test_a_long_horizon_for_a_new_customer_matches_the_unconditional_mean():
    # x = 0, T = 0: the conditional forecast is the unconditional E[X(t)] of the paper (eq. 9).
    from scipy.special import hyp2f1

    r, alpha, a, b = BG.values()
    t = 52.0
    unconditional = (
        (a + b - 1)
        / (a - 1)
        * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, t / (alpha + t)))
    )
    assert expected_purchases(BG, t, [0], [0], [0])[0] == pytest.approx(unconditional)


def test_expected_spend_shrinks_towards_the_population_mean():
    population = GG["p"] * GG["gamma"] / (GG["q"] - 1)
    spend = expected_spend(GG, [0, 1, 10, 10], [0.0, 100.0, 100.0, 5.0])
    assert spend[0] == pytest.approx(population)
    assert population < spend[1] < spend[2] < 100.0  # more repeats: closer to the own mean
    assert spend[3] < population
    with pytest.raises(ModelError, match="infinite"):
        expected_spend({**GG, "q": 0.9}, [1], [10.0])


def test_churn_bands_follow_the_documented_thresholds():
    bands = churn_risk([0.0, 0.29, 0.3, 0.69, 0.7, 1.0])
    assert list(bands) == ["high", "high", "medium", "medium", "low", "low"]


def test_predict_gives_consistent_columns():
    first = pd.Timestamp("1997-01-01")
    summary = pd.DataFrame(
        {
            "frequency": [0, 2, 2, 8],
            "recency": [0.0, 2.0, 38.0, 38.0],
            "T": [39.0, 39.0, 39.0, 39.0],
            "monetary_value": [0.0, 20.0, 20.0, 30.0],
            "first_order_at": [first] * 4,
        },
        index=pd.Index(["one-timer", "lapsed", "regular", "heavy"], name="customer_id"),
    )
    out = model().predict(summary, horizon_days=365, as_of="1997-10-01")  # first order + 39 weeks
    assert list(out.index) == list(summary.index)
    assert out.loc["lapsed", "churn_risk"] == "high"
    assert out.loc["regular", "churn_risk"] == "low"
    assert out.loc["heavy", "expected_purchases"] > out.loc["regular", "expected_purchases"]
    assert out.loc["regular", "expected_purchases"] > out.loc["lapsed", "expected_purchases"]
    assert np.allclose(out["predicted_clv"], out["expected_purchases"] * out["expected_spend"])
    # Next order: as-of + (alpha + T) / (r + x) weeks, to the day.
    weeks = (BG["alpha"] + 39.0) / (BG["r"] + 8)
    expected = pd.Timestamp("1997-10-01") + pd.Timedelta(days=round(weeks * 7))
    assert out.loc["heavy", "expected_next_order_at"] == expected
    assert (
        out.loc["one-timer", "expected_next_order_at"] > out.loc["heavy", "expected_next_order_at"]
    )
    # Without as_of the date comes from first order + T.
    again = model().predict(summary, horizon_days=365)
    assert again["expected_next_order_at"].equals(out["expected_next_order_at"])


def test_the_horizon_is_in_days_whatever_the_unit():
    summary = pd.DataFrame(
        {"frequency": [3], "recency": [20.0], "T": [30.0], "monetary_value": [10.0]}
    )
    weekly = model().predict(summary, horizon_days=364, as_of="2024-01-01")
    in_days = {**PARAMS, "alpha": PARAMS["alpha"] * 7}
    daily_summary = summary.assign(recency=140.0, T=210.0)
    daily = LifetimeModel(in_days, 0.0, 1, "day").predict(
        daily_summary, horizon_days=364, as_of="2024-01-01"
    )
    for column in ("expected_purchases", "p_alive", "predicted_clv"):
        assert daily[column].iloc[0] == pytest.approx(weekly[column].iloc[0])
    assert daily["expected_next_order_at"].iloc[0] == weekly["expected_next_order_at"].iloc[0]


def test_a_summary_in_another_unit_or_without_columns_is_refused():
    summary = pd.DataFrame(
        {"frequency": [1], "recency": [1.0], "T": [2.0], "monetary_value": [5.0]}
    )
    summary.attrs["time_unit"] = "day"
    with pytest.raises(DataError, match="in days but the model works in weeks"):
        model().predict(summary)
    without_t = pd.DataFrame({"frequency": [1], "recency": [1.0], "monetary_value": [5.0]})
    with pytest.raises(DataError, match="lacks the column"):
        model().predict(without_t, as_of="2024-01-01")
    with pytest.raises(DataError, match="does not say when it was taken"):
        model().predict(without_t.assign(T=2.0))  # no as_of, no attrs, no first_order_at


def test_frequent_buyers_over_long_horizons_stay_finite_and_below_the_alive_rate():
    # The paper's eq. 10 as written gives inf * 0 = NaN here (2F1 overflows for large x).
    x = np.repeat(np.arange(0, 400, 20, dtype=float), 10)
    T = np.tile(np.linspace(1, 2000, 10), 20)
    t_x = np.where(x > 0, 0.9 * T, 0.0)
    params = {"r": 0.5, "alpha": 20.0, "a": 0.8, "b": 3.0}
    for horizon in (365.0, 3650.0):
        forecast = expected_purchases(params, horizon, x, t_x, T)
        assert np.all(np.isfinite(forecast))
        bound = probability_alive(params, x, t_x, T) * (0.5 + x) / (20.0 + T) * horizon
        assert np.all(forecast <= bound * (1 + 1e-9))


def test_a_equal_to_one_is_the_limit_of_its_neighbours():
    def at(a):
        return expected_purchases({**BG, "a": a}, 39, [2.0], [30.0], [39.0])[0]

    assert at(1.0) == pytest.approx((at(0.999) + at(1.001)) / 2, rel=1e-5)
