"""Customer features: what the model clusters on, and what profiles and explanations describe.

`FeatureBuilder` and the preprocessing live inside the model's Pipeline, so training and scoring
compute features the same way from the same validated columns.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from smartcart.engine.data import schema
from smartcart.engine.model.drift import drift_reference, population_stats
from smartcart.engine.model.order_features import ORDER_CLUSTER_WEIGHTS

# Clustering inputs and their weights after standard scaling. Spending and income dominate so
# that "premium" means the customers who bring the revenue; household and engagement features
# shape the other segments. Tuned on the real data for stable (ARI > 0.9) K-Means segments.
CLUSTER_WEIGHTS: dict[str, float] = {
    "Income": 0.75,
    "TotalSpending": 1.0,
    "TotalPurchases": 0.25,
    "Children": 0.5,
    "FamilySize": 0.5,
    "LivingWithPartner": 0.5,
    "EducationLevel": 0.25,
    "Age": 0.75,
    "Tenure": 0.25,
    "AcceptedCampaigns": 0.25,
    "NumWebVisitsMonth": 0.25,
    "NumDealsPurchases": 0.25,
}
CAMPAIGN_FEATURES = {"AcceptedCampaigns"}

# Everything a profile shows (means per segment), in display order.
PROFILE_FEATURES = [
    "Income",
    "TotalSpending",
    "TotalPurchases",
    "Children",
    "FamilySize",
    "LivingWithPartner",
    "EducationLevel",
    "Age",
    "Tenure",
    "Recency",
    "AcceptedCampaigns",
    "NumWebVisitsMonth",
    "NumDealsPurchases",
    "DealShare",
    "NumWebPurchases",
    "NumCatalogPurchases",
    "NumStorePurchases",
    *schema.SPENDING_COLUMNS,
]


def cluster_inputs(has_campaigns: bool, contract: str = "customers") -> list[str]:
    if contract == "orders":
        return list(ORDER_CLUSTER_WEIGHTS)
    return [f for f in CLUSTER_WEIGHTS if has_campaigns or f not in CAMPAIGN_FEATURES]


def derive_features(customers: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Validated customer columns -> one row of features per customer (same index)."""
    as_of_ts = pd.Timestamp(as_of)

    def column(name: str) -> np.ndarray:
        return customers[name].to_numpy(dtype=float)

    purchases = sum(column(c) for c in schema.PURCHASE_COLUMNS)
    deals = column("NumDealsPurchases")
    children = column("Kidhome") + column("Teenhome")
    partner = customers["Marital_Status"].isin(schema.PARTNER_STATUSES).to_numpy(dtype=float)
    out = {
        "Income": column("Income"),
        "Age": as_of_ts.year - column("Year_Birth"),
        "Tenure": (as_of_ts - customers["Dt_Customer"]).dt.days.to_numpy(dtype=float),
        "TotalSpending": sum(column(c) for c in schema.SPENDING_COLUMNS),
        "TotalPurchases": purchases,
        "Children": children,
        "LivingWithPartner": partner,
        "FamilySize": 1 + partner + children,
        "EducationLevel": customers["Education"].map(schema.EDUCATION_LEVELS).to_numpy(dtype=float),
    }
    if all(c in customers.columns for c in schema.CAMPAIGN_COLUMNS):
        out["AcceptedCampaigns"] = sum(column(c) for c in schema.CAMPAIGN_COLUMNS)
    out["DealShare"] = deals / np.maximum(purchases + deals, 1)
    for name in PASSTHROUGH_FEATURES:
        out[name] = column(name)
    return pd.DataFrame(out, index=customers.index)


PASSTHROUGH_FEATURES = [
    "Recency",
    "NumWebVisitsMonth",
    "NumDealsPurchases",
    *schema.PURCHASE_COLUMNS,
    *schema.SPENDING_COLUMNS,
]


class FeatureBuilder(BaseEstimator, TransformerMixin):
    """Pipeline step: validated customers -> features, computed against a fixed as-of date.

    Fitting learns what the training customers looked like: `population_` (mean and spread of
    every feature, for explanations) and `reference_` (decile edges, for drift).
    """

    def __init__(self, as_of: date | None = None) -> None:
        self.as_of = as_of

    def fit(self, customers: pd.DataFrame, y: object = None) -> FeatureBuilder:
        self.fit_transform(customers)
        return self

    def fit_transform(self, customers: pd.DataFrame, y: object = None) -> pd.DataFrame:
        self.n_features_in_ = customers.shape[1]
        features = derive_features(customers, self.as_of)
        self.population_ = population_stats(features)
        self.reference_ = drift_reference(features)
        return features

    def transform(self, customers: pd.DataFrame) -> pd.DataFrame:
        return derive_features(customers, self.as_of)


class FeatureWeights(BaseEstimator, TransformerMixin):
    """Pipeline step: multiply each scaled input by its weight."""

    def __init__(self, weights: tuple[float, ...] = ()) -> None:
        self.weights = weights

    def fit(self, X: np.ndarray, y: object = None) -> FeatureWeights:
        self.weights_ = np.asarray(self.weights, dtype=float)
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(X, dtype=float) * self.weights_


def build_preprocessor(
    as_of: date, inputs: list[str], builder: TransformerMixin | None = None
) -> Pipeline:
    """Customers -> features -> the clustering inputs' matrix (for evaluating candidates);
    `builder` is the contract's feature builder (the study's `FeatureBuilder` by default)."""
    features = builder if builder is not None else FeatureBuilder(as_of)
    return Pipeline([("features", features), *build_scaling(inputs).steps])


def build_scaling(inputs: list[str]) -> Pipeline:
    """Features -> median-imputed, standard-scaled, weighted matrix of the clustering inputs
    (either contract's: their input names differ)."""
    weights = {**CLUSTER_WEIGHTS, **ORDER_CLUSTER_WEIGHTS}
    scale = Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())])
    return Pipeline(
        [
            ("select", ColumnTransformer([("inputs", scale, inputs)], remainder="drop")),
            ("weight", FeatureWeights(tuple(weights[f] for f in inputs))),
        ]
    )
