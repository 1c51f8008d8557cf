"""The clusterer a model keeps: one algorithm fitted on every customer, and a way to place new ones.

K-Means is fitted on all rows; Agglomerative is exact Ward up to `WARD_ROWS` customers and Birch
subclusters joined by Ward above; DBSCAN works on a sample with a nearest-neighbour assigner.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import DBSCAN, AgglomerativeClustering, Birch, KMeans
from sklearn.model_selection import cross_val_predict
from sklearn.neighbors import KNeighborsClassifier, NearestNeighbors

ALGORITHMS = ("kmeans", "agglomerative", "dbscan")
# Agglomerative (Ward) is fitted exactly on all customers up to this many (its distance matrix
# takes n^2 / 2 floats: 400 MB here); above, Birch summarises all customers into subclusters and
# Ward joins those into k clusters.
WARD_ROWS = 10_000
BIRCH_THRESHOLD = 0.5
# DBSCAN's final fit works on at most this many customers; a nearest-neighbour assigner places
# the rest.
DBSCAN_ROWS = 20000


class SegmentClusterer(BaseEstimator, ClusterMixin):
    """One clustering algorithm with a way to place new customers.

    K-Means places them by its own centroids; `init` (centroids found on a sample) starts its one
    run on all customers. Agglomerative is exact Ward up to `WARD_ROWS` customers with a
    nearest-neighbour assigner for new ones (`assignment_agreement_` is its cross-validated
    agreement with the training labels); above, Birch subclusters of all customers joined by
    Ward, which places new customers by their nearest subcluster. DBSCAN gets a
    nearest-neighbour assigner too. `method_` says what was fitted on how many rows.
    """

    def __init__(
        self,
        algorithm: str = "kmeans",
        k: int = 4,
        random_state: int = 0,
        eps: float | None = None,
        min_samples: int = 10,
        n_init: int = 10,
        init: np.ndarray | None = None,
    ) -> None:
        self.algorithm = algorithm
        self.k = k
        self.random_state = random_state
        self.eps = eps
        self.min_samples = min_samples
        self.n_init = n_init
        self.init = init

    def fit(self, X: np.ndarray, y: object = None) -> SegmentClusterer:
        X = np.asarray(X, dtype=float)
        rng = np.random.default_rng(self.random_state)
        if self.algorithm == "kmeans":
            self._fit_kmeans(X)
        elif self.algorithm == "agglomerative" and len(X) > WARD_ROWS:
            self._fit_birch(X)
        elif self.algorithm in ("agglomerative", "dbscan"):
            self._fit_with_assigner(X, rng)
        else:
            raise ValueError(f"unknown algorithm {self.algorithm!r}; choose one of {ALGORITHMS}")
        clusters = np.unique(self.labels_[self.labels_ >= 0])
        self.clusters_ = clusters
        self.centroids_ = np.vstack([X[self.labels_ == c].mean(axis=0) for c in clusters])
        self.n_clusters_ = len(clusters)
        return self

    def _fit_kmeans(self, X: np.ndarray) -> None:
        if self.init is None:
            self.model_ = KMeans(self.k, n_init=self.n_init, random_state=self.random_state)
            start = f"best of {self.n_init} k-means++ starts"
        else:
            self.model_ = KMeans(self.k, init=self.init, n_init=1)
            start = "started from the best centroids of the evaluation sample"
        self.model_.fit(X)
        self.labels_ = self.model_.labels_
        self.assignment_agreement_ = float(np.mean(self.model_.predict(X) == self.labels_))
        self.method_ = f"K-Means on all {len(X):,} rows ({start})"

    def _fit_birch(self, X: np.ndarray) -> None:
        ward = AgglomerativeClustering(self.k, linkage="ward")
        self.model_ = Birch(threshold=BIRCH_THRESHOLD, n_clusters=ward).fit(X)
        self.labels_ = self.model_.labels_
        self.assignment_agreement_ = float(np.mean(self.model_.predict(X) == self.labels_))
        self.method_ = (
            f"Birch (threshold {BIRCH_THRESHOLD}) on all {len(X):,} rows, "
            f"{len(self.model_.subcluster_centers_):,} subclusters joined by Ward into {self.k}; "
            f"exact Ward is fitted up to {WARD_ROWS:,} rows"
        )

    def _fit_with_assigner(self, X: np.ndarray, rng: np.random.Generator) -> None:
        limit = WARD_ROWS if self.algorithm == "agglomerative" else DBSCAN_ROWS
        fit_rows = sample_rows(len(X), limit, rng)
        sample = X[fit_rows]
        if self.algorithm == "agglomerative":
            sample_labels = AgglomerativeClustering(self.k, linkage="ward").fit_predict(sample)
            self.method_ = f"exact Ward on all {len(X):,} rows"
        else:
            self.eps_ = self.eps or knee_eps(sample, self.min_samples)
            sample_labels = DBSCAN(eps=self.eps_, min_samples=self.min_samples).fit_predict(sample)
            self.method_ = f"DBSCAN on {len(sample):,} of {len(X):,} rows"
        known = sample_labels >= 0
        if known.sum() < 2 or len(np.unique(sample_labels[known])) < 1:
            raise ValueError(f"{self.algorithm} found no clusters")
        self.assigner_ = KNeighborsClassifier(n_neighbors=5).fit(
            sample[known], sample_labels[known]
        )
        folds = min(5, int(np.bincount(sample_labels[known]).min()))
        if folds >= 2:
            guessed = cross_val_predict(
                KNeighborsClassifier(n_neighbors=5), sample[known], sample_labels[known], cv=folds
            )
            self.assignment_agreement_ = float(np.mean(guessed == sample_labels[known]))
        else:
            self.assignment_agreement_ = float("nan")
        labels = self.assigner_.predict(X)
        labels[fit_rows] = sample_labels
        self.labels_ = labels

    def predict(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=float)
        if self.algorithm == "kmeans" or hasattr(self, "model_"):
            return self.model_.predict(X)
        return self.assigner_.predict(X)

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Distance of each row to each cluster's centroid (columns in `clusters_` order)."""
        X = np.asarray(X, dtype=float)
        return np.sqrt(((X[:, None, :] - self.centroids_[None, :, :]) ** 2).sum(axis=2))


def sample_rows(n: int, limit: int, rng: np.random.Generator) -> np.ndarray:
    if n <= limit:
        return np.arange(n)
    return np.sort(rng.choice(n, limit, replace=False))


def knee_index(values: list[float] | np.ndarray) -> int:
    """Index of the knee of a decreasing curve: the point farthest below the chord (Kneedle)."""
    y = np.asarray(values, dtype=float)
    if len(y) < 3 or y.max() == y.min():
        return 0
    x = np.linspace(0, 1, len(y))
    y_norm = (y - y.min()) / (y.max() - y.min())
    return int(np.argmax((1 - x) - y_norm))


def knee_eps(X: np.ndarray, min_samples: int) -> float:
    """DBSCAN's eps at the knee of the sorted distances to the min_samples-th neighbour."""
    distances, _ = NearestNeighbors(n_neighbors=min_samples).fit(X).kneighbors(X)
    kth = np.sort(distances[:, -1])[::-1]
    return float(kth[knee_index(kth)])
