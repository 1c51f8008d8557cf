"""Lifetime value and churn risk from order history: BG/NBD + Gamma-Gamma, fitted with scipy.

The path most callers take::

    verdict = assess_history(orders)                 # the "too thin" rule, with notes
    model = fit_orders(orders, time_unit="week")     # summary + fit (raises on unusable fits)
    summary = summarise_orders(orders, time_unit="week")
    predictions = model.predict(summary, horizon_days=365)
    stored = model.to_stored()                       # plain data; LifetimeModel.from_dict(stored)

A training on order data calls ``fit_beside_segments(orders, as_of)`` (None and a note when the
history is too thin) and ``add_lifetime_columns(customers, model, orders, as_of)``.
"""

from smartcart.engine.lifetime.bgnbd import (
    BG_NBD_PARAMS,
    bg_nbd_log_likelihood,
    expected_purchases,
    expected_rate_if_alive,
    fit_bg_nbd,
    probability_alive,
)
from smartcart.engine.lifetime.customers import (
    FIGURE_COLUMNS,
    HORIZON_DAYS,
    LIFETIME_COLUMNS,
    LifetimeFit,
    add_lifetime_columns,
    fit_beside_segments,
    join_lifetime_columns,
    lifetime_columns,
)
from smartcart.engine.lifetime.gamma_gamma import (
    GAMMA_GAMMA_PARAMS,
    expected_spend,
    fit_gamma_gamma,
    gamma_gamma_log_likelihood,
)
from smartcart.engine.lifetime.model import (
    MODEL_NAME,
    HoldoutResult,
    LifetimeModel,
    evaluate_holdout,
    fit_lifetime_model,
    fit_orders,
)
from smartcart.engine.lifetime.one_time import ReturnCurve
from smartcart.engine.lifetime.optimise import ParamFit
from smartcart.engine.lifetime.predict import (
    CHURN_HIGH_BELOW,
    CHURN_MEDIUM_BELOW,
    PREDICTION_COLUMNS,
    churn_risk,
    predict_customers,
)
from smartcart.engine.lifetime.readiness import (
    MIN_CUSTOMERS,
    MIN_HISTORY_DAYS,
    MIN_OCCASIONS_FOR_REPEAT,
    HistoryAssessment,
    assess_history,
)
from smartcart.engine.lifetime.simulate import simulate_orders
from smartcart.engine.lifetime.summary import (
    SUMMARY_COLUMNS,
    TimeUnit,
    purchase_occasions,
    repeat_occasions_between,
    summarise_orders,
)

__all__ = [
    "FIGURE_COLUMNS",
    "BG_NBD_PARAMS",
    "CHURN_HIGH_BELOW",
    "CHURN_MEDIUM_BELOW",
    "GAMMA_GAMMA_PARAMS",
    "HORIZON_DAYS",
    "LIFETIME_COLUMNS",
    "MIN_CUSTOMERS",
    "MIN_HISTORY_DAYS",
    "MIN_OCCASIONS_FOR_REPEAT",
    "MODEL_NAME",
    "PREDICTION_COLUMNS",
    "SUMMARY_COLUMNS",
    "HistoryAssessment",
    "HoldoutResult",
    "LifetimeFit",
    "LifetimeModel",
    "ParamFit",
    "ReturnCurve",
    "TimeUnit",
    "add_lifetime_columns",
    "assess_history",
    "bg_nbd_log_likelihood",
    "churn_risk",
    "evaluate_holdout",
    "expected_purchases",
    "expected_rate_if_alive",
    "expected_spend",
    "fit_beside_segments",
    "fit_bg_nbd",
    "fit_gamma_gamma",
    "fit_lifetime_model",
    "fit_orders",
    "gamma_gamma_log_likelihood",
    "join_lifetime_columns",
    "lifetime_columns",
    "predict_customers",
    "probability_alive",
    "purchase_occasions",
    "repeat_occasions_between",
    "simulate_orders",
    "summarise_orders",
]
