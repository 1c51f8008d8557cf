"""The model's Pipeline after its features: clustering, persona naming, and what they assign.

    customers --FeatureBuilder--> features --Clustering--> + cluster, confidence
              --PersonaNaming--> + persona, segment

`segment_pipeline` builds it; `SegmentModel.assign` runs it and returns an `Assignment`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.pipeline import Pipeline

from smartcart.engine.data import schema
from smartcart.engine.model.clusterer import SegmentClusterer
from smartcart.engine.model.features import FeatureBuilder, build_scaling
from smartcart.engine.model.naming import name_segments, z_profiles
from smartcart.engine.model.order_features import OrderFeatureBuilder
from smartcart.engine.model.persona_sets import ORDERS, STUDY, PersonaSet, builtin_set, personas_of
from smartcart.engine.model.personas import Persona, SegmentName

ASSIGNED = ["cluster", "confidence", "persona", "segment"]


@dataclass
class Assignment:
    """Every customer's features, cluster, persona (and segment name) and confidence."""

    customer_id: np.ndarray
    features: pd.DataFrame
    cluster: np.ndarray
    persona: np.ndarray
    segment: np.ndarray
    confidence: np.ndarray
    # With a response model (smartcart/engine/model/propensity.py): 0..1 (3 decimals) and 1..10.
    propensity: np.ndarray | None = None
    propensity_decile: np.ndarray | None = None

    def table(self) -> pd.DataFrame:
        """customer_id, cluster, persona, segment, confidence (one row per customer), then
        propensity and propensity_decile when the model has a response model."""
        table = pd.DataFrame(
            {
                "customer_id": self.customer_id,
                "cluster": self.cluster,
                "persona": self.persona,
                "segment": self.segment,
                "confidence": self.confidence,
            }
        )
        if self.propensity is not None:
            table["propensity"] = self.propensity
            table["propensity_decile"] = self.propensity_decile
        return table


class Clustering(BaseEstimator, TransformerMixin):
    """Pipeline step: features -> the same features plus `cluster` and `confidence`.

    Scales and weights the clustering inputs, then clusters them. `fit_transform` gives the
    training labels (`labels_`, what the model's figures describe) with no confidence;
    `transform` places customers as new ones, with their confidence.
    """

    def __init__(self, inputs: tuple[str, ...] = (), clusterer: SegmentClusterer | None = None):
        self.inputs = inputs
        self.clusterer = clusterer

    def fit(self, features: pd.DataFrame, y: object = None) -> Clustering:
        self.fit_transform(features)
        return self

    def fit_transform(self, features: pd.DataFrame, y: object = None) -> pd.DataFrame:
        self.scaling_ = build_scaling(list(self.inputs))
        X = self.scaling_.fit_transform(features)
        self.clusterer_ = clone(self.clusterer or SegmentClusterer()).fit(X)
        self.labels_ = self.clusterer_.labels_
        return _with(features, cluster=self.labels_.astype(int), confidence=np.nan)

    def transform(self, features: pd.DataFrame) -> pd.DataFrame:
        X = self.scaling_.transform(features)
        clusters = self.clusterer_.predict(X)
        confidence = assignment_confidence(self.clusterer_, X, clusters)
        return _with(features, cluster=clusters.astype(int), confidence=confidence)


class PersonaNaming(BaseEstimator, TransformerMixin):
    """Pipeline step: + `persona` and `segment` (its name) for every cluster.

    Fitting names the training clusters after `personas` (see `naming.name_segments`), and
    keeps the set itself, so a model trained with a user's file answers without the file.
    A model stored before sets were carried has no `personas`: its built-in set by name.
    """

    persona_set: str = STUDY  # what a model stored before persona sets existed reads as
    personas: tuple[Persona, ...] = ()
    profiles_: dict | None = None  # cluster -> {feature: z}; None in models stored before
    means_: dict | None = None  # cluster -> {feature: mean}

    def __init__(self, persona_set: str = STUDY, personas: tuple[Persona, ...] = ()) -> None:
        self.persona_set = persona_set
        self.personas = personas

    @property
    def known_personas(self) -> list[Persona]:
        return list(self.personas) or personas_of(self.persona_set)

    def fit(self, frame: pd.DataFrame, y: object = None) -> PersonaNaming:
        features = frame.drop(columns=["cluster", "confidence"])
        labels = frame["cluster"].to_numpy()
        profiles = z_profiles(features, labels)
        means = features.groupby(labels).mean()
        population = features.mean().to_dict()
        named = profiles.index >= 0
        self.names_: list[SegmentName] = name_segments(
            profiles[named], self.known_personas, means[named], population
        )
        self.persona_of_ = {n.cluster: n.persona for n in self.names_}
        self.name_of_ = {n.cluster: n.name for n in self.names_}
        self.profiles_ = _plain_table(profiles[named])
        self.means_ = _plain_table(means[named])
        return self

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        clusters = frame["cluster"]
        return _with(
            frame, persona=clusters.map(self.persona_of_), segment=clusters.map(self.name_of_)
        )


def _plain_table(table: pd.DataFrame) -> dict[int, dict[str, float]]:
    return {
        int(c): {str(f): float(v) for f, v in row.items() if pd.notna(v)}
        for c, row in table.iterrows()
    }


def _with(frame: pd.DataFrame, **columns) -> pd.DataFrame:
    out = frame.copy()
    for name, values in columns.items():
        out[name] = values
    return out


def feature_builder(as_of: date, contract: str = "customers") -> TransformerMixin:
    """The contract's feature builder: the study's table or customers from orders."""
    return OrderFeatureBuilder(as_of) if contract == ORDERS else FeatureBuilder(as_of)


def segment_pipeline(
    as_of: date,
    inputs: list[str],
    clusterer: SegmentClusterer,
    contract: str = "customers",
    persona_set: PersonaSet | None = None,
) -> Pipeline:
    """The whole model, unfitted: customers -> features -> clusters -> personas (the
    contract's built-in set unless `persona_set` is given)."""
    chosen = persona_set or builtin_set(contract)
    return Pipeline(
        [
            ("features", feature_builder(as_of, contract)),
            ("cluster", Clustering(tuple(inputs), clusterer)),
            ("personas", PersonaNaming(chosen.name, chosen.personas)),
        ]
    )


def assign(pipeline: Pipeline, customers: pd.DataFrame) -> Assignment:
    """Run the fitted pipeline on validated customers (same row order)."""
    frame = pipeline.transform(customers)
    return Assignment(
        customer_id=customers[schema.ID].to_numpy(),
        features=frame.drop(columns=ASSIGNED),
        cluster=frame["cluster"].to_numpy(dtype=int),
        persona=frame["persona"].to_numpy(dtype=object),
        segment=frame["segment"].to_numpy(dtype=object),
        confidence=frame["confidence"].to_numpy(dtype=float),
    )


def assignment_confidence(
    clusterer: SegmentClusterer, X: np.ndarray, clusters: np.ndarray
) -> np.ndarray:
    """1 - (distance to own centroid / distance to the nearest other): 0 on a border, 1 at the centre."""
    distances = clusterer.transform(X)
    order = list(clusterer.clusters_)
    own_column = np.array([order.index(c) for c in clusters])
    rows = np.arange(len(X))
    own = distances[rows, own_column]
    others = distances.copy()
    others[rows, own_column] = np.inf
    nearest_other = others.min(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        confidence = 1 - own / nearest_other
    return np.clip(np.nan_to_num(confidence, nan=0.0), 0.0, 1.0).round(3)
