"""The stored model: exact JSON shape, round trip, refusal of broken data; fit_orders end to end."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from smartcart.engine.errors import ModelError
from smartcart.engine.lifetime import (
    HoldoutResult,
    LifetimeModel,
    fit_orders,
    simulate_orders,
    summarise_orders,
)

TRUE = {"r": 0.5, "alpha": 20.0, "a": 0.8, "b": 3.0, "p": 6.0, "q": 4.0, "gamma": 15.0}


@pytest.fixture(scope="module")
def orders() -> pd.DataFrame:
    return simulate_orders(5_000, TRUE, "2023-01-01", "2024-06-30", seed=21)


@pytest.fixture(scope="module")
def model(orders) -> LifetimeModel:
    return fit_orders(orders, "2023-12-31", "day", holdout_end="2024-06-30")


def test_the_stored_form_is_exactly_the_documented_json(model):
    data = json.loads(model.to_json())
    assert set(data) == {"model", "params", "log_likelihood", "customers", "time_unit", "holdout"}
    assert data["model"] == "bg_nbd+gamma_gamma"
    assert set(data["params"]) == {"r", "alpha", "a", "b", "p", "q", "gamma"}
    assert all(isinstance(v, float) for v in data["params"].values())
    assert data["customers"] == 5_000
    assert data["time_unit"] == "day"
    assert set(data["holdout"]) == {
        "predicted_repeat_purchases",
        "actual_repeat_purchases",
        "relative_error",
    }


def test_round_trip_rebuilds_the_same_predictions(model, orders):
    rebuilt = LifetimeModel.from_dict(json.loads(json.dumps(model.to_stored(), allow_nan=False)))
    assert rebuilt == model
    assert rebuilt.return_curve is not None
    # The printed object (to_json) is the exact shape: no curve in it.
    assert LifetimeModel.from_json(model.to_json()).return_curve is None
    summary = summarise_orders(orders, "2023-12-31", "day")
    pd.testing.assert_frame_equal(rebuilt.predict(summary), model.predict(summary))
    bare = LifetimeModel.from_dict({k: v for k, v in model.to_dict().items() if k != "holdout"})
    assert bare.holdout is None
    assert "holdout" not in bare.to_dict()


def test_the_holdout_forecast_of_simulated_data_is_close(model):
    holdout = model.holdout
    assert isinstance(holdout, HoldoutResult)
    assert holdout.actual_repeat_purchases > 1000
    assert abs(holdout.relative_error) < 0.05
    assert holdout.relative_error == pytest.approx(
        (holdout.predicted_repeat_purchases - holdout.actual_repeat_purchases)
        / holdout.actual_repeat_purchases
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: {**d, "model": "pareto_nbd"}, "not a bg_nbd\\+gamma_gamma"),
        (lambda d: {**d, "params": {**d["params"], "a": -1.0}}, "parameter 'a' is -1.0"),
        (lambda d: {**d, "params": {**d["params"], "gamma": "7"}}, "parameter 'gamma'"),
        (lambda d: {k: v for k, v in d.items() if k != "params"}, "'params' is missing"),
        (lambda d: {**d, "time_unit": "month"}, "time_unit 'month'"),
        (lambda d: {**d, "customers": 1.5}, "customers 1.5"),
        (lambda d: {**d, "holdout": {"relative_error": 0.1}}, "holdout is unreadable"),
    ],
)
def test_broken_stored_models_are_refused(model, change, message):
    with pytest.raises(ModelError, match=message):
        LifetimeModel.from_dict(change(model.to_dict()))


def test_not_json_is_a_model_error():
    with pytest.raises(ModelError, match="not JSON"):
        LifetimeModel.from_json("{nope")
