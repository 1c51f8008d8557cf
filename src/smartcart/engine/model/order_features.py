"""Features of customers derived from orders (`smartcart.engine.orders`): the second contract.

The order customers' table already holds recency, frequency, spend and shares as of its day
(`customers_from_orders`); `OrderFeatureBuilder` turns it into the model's features inside the
same Pipeline the study's table uses. Where a figure means what a study feature means it keeps
the study's name (`TotalSpending` is revenue, `TotalPurchases` orders, `Recency` days since the
last order, `Tenure` days since the first, `DealShare` revenue bought on discount), so figures,
explanations and drift read both contracts alike.

Clustering inputs (`ORDER_CLUSTER_WEIGHTS`), after standard scaling: recency, frequency and
spend (RFM) at full weight, as logarithms because orders and spend are heavy-tailed (one
customer with 200 orders would otherwise be a cluster of his own and the rest one blob); tenure
at half weight, which is what tells a new customer from a lapsed one-timer (both have one
order); the discount share at 0.75 so discount-driven buyers stand apart without outweighing
what they spend. Channel and category shares differ per retailer, so they describe segments
(profiles, figures) but do not shape them.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from smartcart.engine.model.drift import drift_reference, population_stats

ORDER_CLUSTER_WEIGHTS: dict[str, float] = {
    "LogRecency": 1.0,
    "LogOrders": 1.0,
    "LogRevenue": 1.0,
    "LogTenure": 0.5,
    "DealShare": 0.75,
}
# derived column -> feature
RENAMED = {
    "recency_days": "Recency",
    "tenure_days": "Tenure",
    "orders": "TotalPurchases",
    "revenue": "TotalSpending",
    "average_order_value": "AverageOrderValue",
    "average_days_between_orders": "DaysBetweenOrders",
    "orders_90d": "Orders90d",
    "revenue_90d": "Revenue90d",
    "orders_365d": "Orders365d",
    "revenue_365d": "Revenue365d",
    "discount_share": "DealShare",
    "refund_share": "RefundShare",
}
SHARE_PREFIXES = ("spend_", "share_", "channel_share_")
ORDER_PROFILE_FEATURES = [
    "TotalSpending",
    "TotalPurchases",
    "Recency",
    "Tenure",
    "AverageOrderValue",
    "DaysBetweenOrders",
    "Orders90d",
    "Orders365d",
    "Revenue365d",
    "DealShare",
    "RefundShare",
]


def is_share_column(name: str) -> bool:
    return name.startswith(SHARE_PREFIXES)


def derive_order_features(customers: pd.DataFrame, shares: tuple[str, ...]) -> pd.DataFrame:
    """Order customers -> one row of features each (same index); `shares` are the category and
    channel columns the model knows (absent ones are 0, new ones are left out)."""

    def column(name: str) -> np.ndarray:
        return pd.to_numeric(customers[name], errors="coerce").to_numpy(dtype=float)

    out = {feature: column(name) for name, feature in RENAMED.items()}
    out["LogRecency"] = np.log1p(np.maximum(out["Recency"], 0))
    out["LogOrders"] = np.log1p(out["TotalPurchases"])
    out["LogRevenue"] = np.log1p(np.maximum(out["TotalSpending"], 0))
    out["LogTenure"] = np.log1p(np.maximum(out["Tenure"], 0))
    for name in shares:
        out[name] = column(name) if name in customers.columns else np.zeros(len(customers))
    frame = pd.DataFrame(out, index=customers.index)
    share_names = [s for s in shares if s.startswith(("share_", "channel_share_"))]
    frame[share_names] = frame[share_names].fillna(0.0)
    return frame


class OrderFeatureBuilder(BaseEstimator, TransformerMixin):
    """Pipeline step: customers from orders -> features (see the module's docstring).

    `as_of` is the day the training customers were figured as of (recency and tenure are
    already days before it); fitting learns the category and channel columns (`shares_`) and,
    like `FeatureBuilder`, `population_` and `reference_`.
    """

    def __init__(self, as_of: date | None = None) -> None:
        self.as_of = as_of

    def fit(self, customers: pd.DataFrame, y: object = None) -> OrderFeatureBuilder:
        self.fit_transform(customers)
        return self

    def fit_transform(self, customers: pd.DataFrame, y: object = None) -> pd.DataFrame:
        self.n_features_in_ = customers.shape[1]
        self.shares_ = tuple(c for c in customers.columns if is_share_column(c))
        features = derive_order_features(customers, self.shares_)
        self.population_ = population_stats(features)
        self.reference_ = drift_reference(features)
        return features

    def transform(self, customers: pd.DataFrame) -> pd.DataFrame:
        return derive_order_features(customers, self.shares_)
