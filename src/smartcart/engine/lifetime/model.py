"""The fitted lifetime model: BG/NBD + Gamma-Gamma parameters as plain data, fit and holdout check.

The stored form (``to_dict``) is exactly::

    {"model": "bg_nbd+gamma_gamma",
     "params": {"r": ..., "alpha": ..., "a": ..., "b": ..., "p": ..., "q": ..., "gamma": ...},
     "log_likelihood": ...,   # of the BG/NBD on the calibration summaries
     "customers": ...,        # customers the BG/NBD was fitted on
     "time_unit": "day" | "week",   # the unit of alpha (and of recency and T)
     "holdout": {"predicted_repeat_purchases": ..., "actual_repeat_purchases": ...,
                 "relative_error": ...}}   # only when a holdout check was run

and ``LifetimeModel.from_dict`` rebuilds the model from it: no pickles. The stored form in a
model artifact (``to_stored``) adds ``"return_curve": {"days": [...], "not_returned": [...]}``,
the one-time buyers' return curve (``one_time.py``) when the history had one.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from smartcart.engine.errors import DataError, ModelError
from smartcart.engine.lifetime.bgnbd import BG_NBD_PARAMS, expected_purchases, fit_bg_nbd
from smartcart.engine.lifetime.gamma_gamma import GAMMA_GAMMA_PARAMS, fit_gamma_gamma
from smartcart.engine.lifetime.one_time import ReturnCurve
from smartcart.engine.lifetime.predict import predict_customers
from smartcart.engine.lifetime.readiness import assess_history
from smartcart.engine.lifetime.summary import (
    DAYS_PER_UNIT,
    TimeUnit,
    days_per_unit,
    repeat_occasions_between,
    summarise_orders,
    to_day,
)

MODEL_NAME = "bg_nbd+gamma_gamma"
PARAM_NAMES = BG_NBD_PARAMS + GAMMA_GAMMA_PARAMS


@dataclass(frozen=True)
class HoldoutResult:
    """Predicted vs actual repeat purchases of the calibration cohort in the holdout period.

    ``relative_error`` is (predicted - actual) / actual: negative means the model under-forecast.
    """

    predicted_repeat_purchases: float
    actual_repeat_purchases: int
    relative_error: float

    def to_dict(self) -> dict[str, float | int]:
        return {
            "predicted_repeat_purchases": float(self.predicted_repeat_purchases),
            "actual_repeat_purchases": int(self.actual_repeat_purchases),
            "relative_error": float(self.relative_error),
        }


@dataclass(frozen=True)
class LifetimeModel:
    """Fitted BG/NBD (r, alpha, a, b) and Gamma-Gamma (p, q, gamma) parameters."""

    params: Mapping[str, float]
    log_likelihood: float
    customers: int
    time_unit: TimeUnit
    holdout: HoldoutResult | None = None
    return_curve: ReturnCurve | None = None

    @property
    def bg_nbd_params(self) -> dict[str, float]:
        return {name: float(self.params[name]) for name in BG_NBD_PARAMS}

    @property
    def gamma_gamma_params(self) -> dict[str, float]:
        return {name: float(self.params[name]) for name in GAMMA_GAMMA_PARAMS}

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "model": MODEL_NAME,
            "params": {name: float(self.params[name]) for name in PARAM_NAMES},
            "log_likelihood": float(self.log_likelihood),
            "customers": int(self.customers),
            "time_unit": self.time_unit,
        }
        if self.holdout is not None:
            out["holdout"] = self.holdout.to_dict()
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), allow_nan=False)

    def to_stored(self) -> dict[str, object]:
        """:meth:`to_dict` plus the return curve: what a model artifact keeps."""
        out = self.to_dict()
        if self.return_curve is not None:
            out["return_curve"] = self.return_curve.to_dict()
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> LifetimeModel:
        """Rebuild a model from :meth:`to_dict` output; a ModelError says what is wrong."""
        if not isinstance(data, Mapping) or data.get("model") != MODEL_NAME:
            found = data.get("model") if isinstance(data, Mapping) else type(data).__name__
            raise ModelError(f"not a {MODEL_NAME} lifetime model (model is {found!r})")
        params = data.get("params")
        if not isinstance(params, Mapping):
            raise ModelError("lifetime model: 'params' is missing")
        checked = {}
        for name in PARAM_NAMES:
            value = params.get(name)
            if not _positive_number(value):
                raise ModelError(f"lifetime model: parameter {name!r} is {value!r}, not > 0")
            checked[name] = float(value)  # type: ignore[arg-type]
        time_unit = data.get("time_unit")
        if time_unit not in DAYS_PER_UNIT:
            raise ModelError(f"lifetime model: time_unit {time_unit!r} is not day or week")
        log_likelihood = data.get("log_likelihood")
        customers = data.get("customers")
        if not isinstance(log_likelihood, int | float) or not math.isfinite(log_likelihood):
            raise ModelError(f"lifetime model: log_likelihood {log_likelihood!r} is not a number")
        if not isinstance(customers, int) or isinstance(customers, bool) or customers < 0:
            raise ModelError(f"lifetime model: customers {customers!r} is not a count")
        holdout = None
        if data.get("holdout") is not None:
            raw = data["holdout"]
            try:
                holdout = HoldoutResult(
                    float(raw["predicted_repeat_purchases"]),  # type: ignore[index]
                    int(raw["actual_repeat_purchases"]),  # type: ignore[index]
                    float(raw["relative_error"]),  # type: ignore[index]
                )
            except (KeyError, TypeError, ValueError) as error:
                raise ModelError(f"lifetime model: holdout is unreadable ({error})") from None
        curve = data.get("return_curve")
        return cls(
            checked,
            float(log_likelihood),
            customers,
            time_unit,  # type: ignore[arg-type]
            holdout,
            None if curve is None else ReturnCurve.from_dict(curve),  # type: ignore[arg-type]
        )

    @classmethod
    def from_json(cls, text: str) -> LifetimeModel:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise ModelError(f"lifetime model is not JSON ({error})") from None
        return cls.from_dict(data)

    def with_holdout(self, holdout: HoldoutResult) -> LifetimeModel:
        return replace(self, holdout=holdout)

    def predict(
        self,
        summary: pd.DataFrame,
        horizon_days: float = 365.0,
        as_of: object | None = None,
    ) -> pd.DataFrame:
        """Per-customer predictions (see ``smartcart.engine.lifetime.predict``)."""
        _check_unit(summary, self.time_unit)
        return predict_customers(
            self.bg_nbd_params,
            self.gamma_gamma_params,
            self.time_unit,
            summary,
            horizon_days=horizon_days,
            as_of=as_of,
            return_curve=self.return_curve,
        )


def _positive_number(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    )


def _check_unit(summary: pd.DataFrame, time_unit: str) -> None:
    found = summary.attrs.get("time_unit")
    if found is not None and found != time_unit:
        raise DataError(f"the summary is in {found}s but the model works in {time_unit}s")


def fit_lifetime_model(summary: pd.DataFrame, time_unit: TimeUnit = "day") -> LifetimeModel:
    """Fit BG/NBD and Gamma-Gamma on an RFM summary (from :func:`summarise_orders`).

    Raises ModelError, with the optimiser's story, when either fit did not converge or ran a
    parameter to a bound: such parameters are never returned as a model.
    """
    days_per_unit(time_unit)
    _check_unit(summary, time_unit)
    missing = [c for c in ("frequency", "recency", "T", "monetary_value") if c not in summary]
    if missing:
        raise DataError(f"the summary lacks the column(s): {', '.join(missing)}")
    bg = fit_bg_nbd(summary["frequency"], summary["recency"], summary["T"])
    if not bg.usable:
        raise ModelError(bg.message)
    gg = fit_gamma_gamma(summary["frequency"], summary["monetary_value"])
    if not gg.usable:
        raise ModelError(gg.message)
    curve = None
    if "days_to_second_order" in summary and bool(summary["frequency"].gt(0).any()):
        age_days = summary["T"].to_numpy(dtype=float) * days_per_unit(time_unit)
        curve = ReturnCurve.fit(summary["days_to_second_order"], np.rint(age_days))
    params = {**bg.params, **gg.params}
    return LifetimeModel(params, bg.log_likelihood, bg.customers, time_unit, None, curve)


def evaluate_holdout(
    model: LifetimeModel, orders: pd.DataFrame, calibration_end: object, holdout_end: object
) -> HoldoutResult:
    """Sum over the calibration cohort of expected vs actual repeat occasions in the holdout.

    The cohort is every customer with an order on or before ``calibration_end``; the holdout is
    the days after it up to and including ``holdout_end``.
    """
    start = to_day(calibration_end, "calibration end")
    end = to_day(holdout_end, "holdout end")
    if end <= start:
        raise DataError(f"holdout end {end:%Y-%m-%d} is not after calibration end {start:%Y-%m-%d}")
    summary = summarise_orders(orders, start, model.time_unit)
    horizon = (end - start).days / days_per_unit(model.time_unit)
    predicted = float(
        expected_purchases(
            model.bg_nbd_params, horizon, summary["frequency"], summary["recency"], summary["T"]
        ).sum()
    )
    actual = int(repeat_occasions_between(orders, start, end).sum())
    if actual == 0:
        raise DataError(
            "no repeat purchase by the calibration cohort in the holdout period: "
            "the relative error is undefined"
        )
    return HoldoutResult(predicted, actual, (predicted - actual) / actual)


def fit_orders(
    orders: pd.DataFrame,
    calibration_end: object | None = None,
    time_unit: TimeUnit = "day",
    holdout_end: object | None = None,
) -> LifetimeModel:
    """From orders to a model: the thin-history rule, the summary, the fit, the holdout check.

    A history that is too thin raises DataError with the notes of :func:`assess_history`.
    With ``holdout_end`` the model is fitted on orders up to ``calibration_end`` (required then)
    and checked on the orders after it.
    """
    if holdout_end is not None and calibration_end is None:
        raise DataError("a holdout check needs a calibration end date")
    verdict = assess_history(orders, calibration_end)
    if not verdict.supported:
        raise DataError("history too thin for lifetime value: " + "; ".join(verdict.notes))
    summary = summarise_orders(orders, calibration_end, time_unit)
    model = fit_lifetime_model(summary, time_unit)
    if holdout_end is not None:
        model = model.with_holdout(evaluate_holdout(model, orders, calibration_end, holdout_end))
    return model
