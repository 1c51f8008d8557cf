"""Response propensity: how likely each customer is to accept the next offer.

Trained beside the segments on the `Response` column (the last campaign's outcome), which is
never an input; the five earlier campaign acceptances are. Two well-kept scikit-learn estimators
compete by 5-fold cross-validated AUC (a regularised logistic regression and a histogram
gradient boosting); the winner is calibrated (Platt's sigmoid on out-of-fold scores,
`CalibratedClassifierCV(ensemble=False)`) and persisted inside the segment model.

Every figure users see (AUC, top-decile lift, base rate, Brier score, the lift and reliability
charts) comes from the 5-fold out-of-fold predictions, calibrated by a sigmoid fitted on the
other folds: never from the training fit. Deciles are cut at the training customers'
propensities, so decile 10 means "among the 10% of our customers most likely to respond".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin, clone
from sklearn.calibration import CalibratedClassifierCV, calibration_curve
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from smartcart.engine.data import schema
from smartcart.engine.model.card import ResponseFigures
from smartcart.engine.model.features import derive_features

RESPONSE = "Response"
FOLDS = 5
# The response model is selected and fitted on at most this many customers (a random sample);
# every customer is still scored. 20,000 customers hold about 3,000 responders.
FIT_ROWS = 20_000
DECILES = 10
EXTRA_COLUMNS = ["Kidhome", "Teenhome", "Complain", *schema.CAMPAIGN_COLUMNS]
MARITAL_FLAGS = ["Single", "Divorced", "Widow"]
EDUCATION_FLAGS = ["Basic", "2n Cycle", "Master", "PhD"]

Progress = Callable[[str], None]


def candidates(seed: int = 0) -> dict[str, ClassifierMixin]:
    """The competing estimators, by the name the model card shows."""
    return {
        "logistic_regression": make_pipeline(
            SimpleImputer(strategy="median"),
            StandardScaler(),
            LogisticRegression(C=0.1, max_iter=2000),
        ),
        "hist_gradient_boosting": HistGradientBoostingClassifier(
            max_iter=100,
            learning_rate=0.1,
            max_leaf_nodes=15,
            min_samples_leaf=20,
            l2_regularization=1.0,
            random_state=seed,
        ),
    }


def response_features(customers: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """The response model's inputs: the segment features plus household, campaign and profile
    flags. `Response` is never one of them."""
    features = derive_features(customers, as_of)
    for column in EXTRA_COLUMNS:
        if column in customers.columns:
            features[column] = customers[column].to_numpy(dtype=float)
    for status in MARITAL_FLAGS:
        features[f"Marital_{status}"] = (customers["Marital_Status"] == status).to_numpy(float)
    for level in EDUCATION_FLAGS:
        features[f"Education_{level}"] = (customers["Education"] == level).to_numpy(float)
    return features.drop(columns=[RESPONSE], errors="ignore")


class ResponseFeatures(BaseEstimator, TransformerMixin):
    """Pipeline step: validated customers -> the response inputs fixed at fit time."""

    def __init__(self, as_of: date | None = None) -> None:
        self.as_of = as_of

    def fit(self, customers: pd.DataFrame, y: object = None) -> ResponseFeatures:
        self.columns_ = list(response_features(customers, self.as_of).columns)
        return self

    def transform(self, customers: pd.DataFrame) -> pd.DataFrame:
        return response_features(customers, self.as_of).reindex(columns=self.columns_)


@dataclass
class ResponseModel:
    """The fitted, calibrated response model and its cross-validated figures."""

    pipeline: Pipeline
    estimator: str
    metrics: dict[str, float | str]  # auc, top_decile_lift, base_rate, brier, estimator
    candidate_auc: dict[str, float]
    decile_edges: list[float]
    lift_table: list[dict] = field(default_factory=list)
    reliability: list[dict] = field(default_factory=list)
    rows: int = 0
    inputs: list[str] = field(default_factory=list)

    def predict(self, customers: pd.DataFrame) -> np.ndarray:
        """Probability of accepting the next offer, per customer (same row order)."""
        return self.pipeline.predict_proba(customers)[:, 1]

    def score(self, customers: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Propensity (3 decimals) and decile (1..10) of every customer."""
        propensity = self.predict(customers)
        return propensity.round(3), self.deciles(propensity).astype(int)

    def deciles(self, propensity: np.ndarray) -> np.ndarray:
        """1..10 against the training customers' propensities; 10 = the most likely tenth."""
        edges = np.asarray(self.decile_edges)
        return 1 + np.searchsorted(edges, np.asarray(propensity), side="right")


def fit_response_model(
    customers: pd.DataFrame, as_of: date, seed: int = 0, progress: Progress | None = None
) -> tuple[ResponseModel | None, str | None]:
    """The response model, or None with a note saying why there is none."""
    if RESPONSE not in customers.columns:
        return None, (
            "no Response column: no response model, so no propensity, expected responders "
            "or targeting by likelihood"
        )
    known = customers[customers[RESPONSE].notna()]
    y_all = known[RESPONSE].to_numpy(dtype=int)
    if min(int(y_all.sum()), int(len(y_all) - y_all.sum())) < 2 * FOLDS:
        return None, (
            f"Response has fewer than {2 * FOLDS} responders or non-responders: "
            "too few to fit a response model"
        )
    sample = _sample(known, FIT_ROWS, seed)
    y = sample[RESPONSE].to_numpy(dtype=int)
    with threadpool_limits(limits=1):
        return _fit(sample, y, as_of, seed, progress or (lambda _: None)), None


def _sample(customers: pd.DataFrame, limit: int, seed: int) -> pd.DataFrame:
    if len(customers) <= limit:
        return customers
    return customers.sample(limit, random_state=seed).sort_index()


def _fit(
    customers: pd.DataFrame, y: np.ndarray, as_of: date, seed: int, progress: Progress
) -> ResponseModel:
    features = ResponseFeatures(as_of).fit(customers)
    X = features.transform(customers)
    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=seed)
    scores = {}
    for name, estimator in candidates(seed).items():
        scores[name] = cross_val_predict(estimator, X, y, cv=folds, method="predict_proba")[:, 1]
        progress(f"response model {name}: CV AUC {roc_auc_score(y, scores[name]):.3f}")
    candidate_auc = {name: round(float(roc_auc_score(y, s)), 4) for name, s in scores.items()}
    chosen = max(candidate_auc, key=candidate_auc.get)
    out_of_fold = cross_fitted_sigmoid(scores[chosen], y, folds)
    calibrated = CalibratedClassifierCV(
        clone(candidates(seed)[chosen]), method="sigmoid", cv=folds, ensemble=False
    )
    pipeline = Pipeline([("features", features), ("model", calibrated.fit(X, y))])
    fitted = pipeline.predict_proba(customers)[:, 1]
    progress(f"response model: {chosen}, calibrated, on {len(y):,} customers")
    return ResponseModel(
        pipeline=pipeline,
        estimator=chosen,
        metrics=cv_metrics(y, out_of_fold, chosen),
        candidate_auc=candidate_auc,
        decile_edges=np.quantile(fitted, np.linspace(0, 1, DECILES + 1)[1:-1]).tolist(),
        lift_table=lift_table(y, out_of_fold),
        reliability=reliability_table(y, out_of_fold),
        rows=len(y),
        inputs=features.columns_,
    )


def cross_fitted_sigmoid(scores: np.ndarray, y: np.ndarray, folds: StratifiedKFold) -> np.ndarray:
    """Out-of-fold probabilities calibrated as the model is (Platt's sigmoid on the logit),
    each fold by a sigmoid fitted on the other folds only."""
    logit = _logit(scores).reshape(-1, 1)
    calibrated = np.empty(len(scores))
    for train_rows, test_rows in folds.split(logit, y):
        sigmoid = LogisticRegression(C=1e6).fit(logit[train_rows], y[train_rows])
        calibrated[test_rows] = sigmoid.predict_proba(logit[test_rows])[:, 1]
    return calibrated


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def top_rows(propensity: np.ndarray, share: float) -> np.ndarray:
    """Row positions of the `share` most likely customers (ties broken by position)."""
    count = int(np.ceil(len(propensity) * share))
    return np.argsort(-np.asarray(propensity), kind="stable")[:count]


def cv_metrics(y: np.ndarray, propensity: np.ndarray, estimator: str) -> dict:
    """The `response_model` figures of `train --json` (from out-of-fold predictions)."""
    base = float(y.mean())
    top = y[top_rows(propensity, 1 / DECILES)]
    return {
        "auc": round(float(roc_auc_score(y, propensity)), 4),
        "top_decile_lift": round(float(top.mean() / base), 3),
        "base_rate": round(base, 4),
        "brier": round(float(brier_score_loss(y, propensity)), 4),
        "estimator": estimator,
    }


def lift_table(y: np.ndarray, propensity: np.ndarray) -> list[dict]:
    """Per decile of out-of-fold propensity (10 = most likely): customers, responders, lift."""
    order = np.argsort(-propensity, kind="stable")
    base = float(y.mean())
    table = []
    for position, rows in enumerate(np.array_split(order, DECILES)):
        responders = int(y[rows].sum())
        rate = responders / len(rows) if len(rows) else 0.0
        table.append(
            {
                "decile": DECILES - position,
                "customers": int(len(rows)),
                "responders": responders,
                "rate": round(rate, 4),
                "lift": round(rate / base, 3) if base else None,
            }
        )
    captured = np.cumsum([row["responders"] for row in table]) / max(int(y.sum()), 1)
    for row, share in zip(table, captured, strict=True):
        row["captured"] = round(float(share), 4)
    return table


def reliability_table(y: np.ndarray, propensity: np.ndarray, bins: int = 10) -> list[dict]:
    """Mean predicted against observed response rate, in bins of equal size."""
    observed, predicted = calibration_curve(y, propensity, n_bins=bins, strategy="quantile")
    return [
        {"predicted": round(float(p), 4), "observed": round(float(o), 4)}
        for p, o in zip(predicted, observed, strict=True)
    ]


# ----------------------------------------------------------------------------------------------
# Using it: scores, plain words, expected responders


def add_propensity(
    scores: pd.DataFrame, model: ResponseModel | None, customers: pd.DataFrame
) -> pd.DataFrame:
    """`scores` with `propensity` (3 decimals) and `propensity_decile` (1..10) when the model
    has a response model; unchanged otherwise."""
    if model is None or scores.empty:
        return scores
    scores = scores.copy()
    scores["propensity"], scores["propensity_decile"] = model.score(customers)
    return scores


def likelihood_words(propensity: float, decile: int) -> str:
    """One customer's likelihood to respond, as a marketer reads it."""
    shown = f"{propensity:.0%}" if propensity >= 0.1 else f"{propensity:.1%}"
    if decile > DECILES // 2:
        return f"top {(DECILES + 1 - decile) * 10}% most likely to respond: {shown}"
    return f"less likely than most to respond (bottom {decile * 10}%): {shown}"


def segment_expectations(scores: pd.DataFrame) -> dict[int, dict[str, float]]:
    """Per cluster: expected responders to an offer to all its customers (the sum of their
    propensities) and the share of them in the top decile."""
    if "propensity" not in scores.columns:
        return {}
    grouped = scores.groupby("cluster")
    expected = grouped["propensity"].sum()
    top_share = grouped["propensity_decile"].apply(lambda d: float((d == DECILES).mean()))
    return {
        int(cluster): {
            "expected_responders": round(float(expected[cluster]), 1),
            "top_decile_share": round(float(top_share[cluster]), 4),
        }
        for cluster in expected.index
    }


def report_section(model: ResponseModel | None) -> list[str]:
    """The model report's Markdown section on the response model."""
    lines = ["", "## Response model (who is likely to accept the next offer)"]
    if model is None:
        return [*lines, "", "None: the data has no usable Response column (see the notes above)."]
    metrics = model.metrics
    tried = ", ".join(f"{name} {auc:.3f}" for name, auc in model.candidate_auc.items())
    lines += [
        "",
        f"Chosen: **{model.estimator}** (highest {FOLDS}-fold cross-validated AUC: {tried}), "
        f"calibrated with a sigmoid on out-of-fold scores; fitted on {model.rows:,} customers.",
        f"Inputs ({len(model.inputs)}): {', '.join(model.inputs)}. `Response` is the outcome, "
        "never an input; the earlier campaigns (AcceptedCmp1..5) are inputs.",
        "",
        f"From {FOLDS}-fold cross-validation (out-of-fold predictions, not the training fit): "
        f"AUC **{metrics['auc']:.3f}**, top-decile lift **{metrics['top_decile_lift']:.2f}x**, "
        f"base response rate {metrics['base_rate']:.1%}, Brier score {metrics['brier']:.4f}.",
        "",
        "| decile | customers | responders | response rate | lift | responders reached |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['decile']} | {r['customers']:,} | {r['responders']:,} | {r['rate']:.1%} "
        f"| {r['lift']:.2f}x | {r['captured']:.0%} |"
        for r in model.lift_table
    ]
    lines += ["", "| mean predicted | observed |", "|---|---|"]
    lines += [f"| {r['predicted']:.1%} | {r['observed']:.1%} |" for r in model.reliability]
    return lines


def summary_line(figures: ResponseFigures | None) -> str:
    """The response model's figures in one line (CLI and the bot's model card)."""
    if figures is None:
        return "Response model: none (the data has no usable Response column)"
    return (
        f"Response model: {figures.estimator}, {FOLDS}-fold CV AUC {figures.auc:.3f}, "
        f"top-decile lift {figures.top_decile_lift:.2f}x (base rate "
        f"{figures.base_rate:.1%}, Brier {figures.brier:.3f})"
    )
