"""One-time buyers: the return curve (Kaplan-Meier with a cure share) and their churn bands."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from smartcart.engine.errors import DataError, ModelError
from smartcart.engine.lifetime import ReturnCurve, fit_orders, simulate_orders, summarise_orders

TRUE = {"r": 0.5, "alpha": 20.0, "a": 0.8, "b": 3.0, "p": 6.0, "q": 4.0, "gamma": 15.0}


def test_the_curve_matches_a_hand_computed_kaplan_meier():
    # Second purchase on day 2 and day 5; one-time buyers aged 3 and 8 days (censored).
    curve = ReturnCurve.fit([2.0, np.nan, 5.0, np.nan], [10.0, 3.0, 10.0, 8.0])
    # S(2) = 1 - 1/4; at day 3 one leaves unobserved; S(5) = 0.75 * (1 - 1/2); S_end = 0.375.
    assert curve.days == (0.0, 2.0, 5.0, 8.0)
    assert curve.not_returned == pytest.approx((1.0, 0.75, 0.375, 0.375))
    assert curve.never_return == pytest.approx(0.375)
    chances = curve.probability_returns([0, 1, 2, 4, 5, 100])
    # (S(d) - S_end) / S(d): still out at day d, and among those, the ones who will return.
    assert chances == pytest.approx([0.625, 0.625, 0.5, 0.5, 0.0, 0.0])
    # Of the 62.5% who ever return, 40% (0.25 of all) had returned by day 2, the rest by day 5.
    assert curve.days_until_returned(0.4) == 2.0
    assert curve.days_until_returned(0.5) == 5.0
    assert curve.days_until_returned(1.0) == 5.0


def test_the_curve_needs_a_returning_customer():
    with pytest.raises(DataError, match="second purchase"):
        ReturnCurve.fit([np.nan, np.nan], [3.0, 4.0])


def test_a_long_curve_is_thinned_but_keeps_its_end():
    rng = np.random.default_rng(3)
    # 40% return, 1 to 300 days after their first purchase; ages 0 to 730 days: the young ones
    # may not have returned yet.
    gap = np.where(rng.random(50_000) < 0.4, rng.integers(1, 301, 50_000), np.nan)
    age = rng.integers(0, 731, 50_000).astype(float)
    observed = np.where(gap <= age, gap, np.nan)
    curve = ReturnCurve.fit(observed, age)
    assert len(curve.days) <= 202
    assert curve.never_return == pytest.approx(0.6, abs=0.02)  # censoring accounted for
    assert np.isnan(observed).mean() > 0.65  # counting the young as lost would be wrong
    assert curve.not_returned[-1] == curve.never_return
    assert np.all(np.diff(curve.not_returned) <= 0)


def test_the_stored_curve_round_trips_and_broken_ones_are_refused():
    curve = ReturnCurve.fit([2.0, np.nan, 5.0, np.nan], [10.0, 3.0, 10.0, 8.0])
    assert ReturnCurve.from_dict(curve.to_dict()) == curve
    with pytest.raises(ModelError, match="falling share"):
        ReturnCurve.from_dict({"days": [0, 1], "not_returned": [0.5, 0.9]})
    with pytest.raises(ModelError, match="unreadable"):
        ReturnCurve.from_dict({"days": [0, 1]})


@pytest.fixture(scope="module")
def predictions() -> tuple[pd.DataFrame, pd.DataFrame]:
    # First purchases spread over two years, so one-time buyers range from fresh to two years old.
    orders = simulate_orders(6_000, TRUE, "2023-01-01", "2024-12-31", 730, seed=5)
    model = fit_orders(orders, None, "day")
    summary = summarise_orders(orders, None, "day")
    return summary, model.predict(summary)


def test_one_time_buyers_lose_their_chance_with_time(predictions):
    summary, predicted = predictions
    once = summary["frequency"] == 0
    by_age = predicted.loc[once, "p_alive"].groupby(summary.loc[once, "T"] // 90).mean()
    assert by_age.is_monotonic_decreasing
    assert by_age.iloc[0] > 0.3 and by_age.iloc[-1] < 0.1
    old = once & (summary["T"] > 540)
    fresh = once & (summary["T"] < 14)
    assert (predicted.loc[old, "churn_risk"] == "high").mean() > 0.95
    assert (predicted.loc[fresh, "churn_risk"] != "high").all()
    assert (predicted.loc[once, "p_alive"] < 1.0).all()


def test_repeat_buyers_keep_the_bg_nbd(predictions):
    summary, predicted = predictions
    repeat = summary["frequency"] > 0
    from smartcart.engine.lifetime import probability_alive

    model_alive = probability_alive(
        {k: TRUE[k] for k in ("r", "alpha", "a", "b")},
        summary.loc[repeat, "frequency"],
        summary.loc[repeat, "recency"],
        summary.loc[repeat, "T"],
    )
    # Fitted, not true, parameters: close but not equal.
    assert np.corrcoef(predicted.loc[repeat, "p_alive"], model_alive)[0, 1] > 0.95
