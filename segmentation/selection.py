"""Clustering candidates, their quality figures, and the rule that picks one.

The selection rule (`choose_candidate`), documented in the README:
1. k is the one asked for (default 4, as in the study); with `--k auto` it is the knee of the
   K-Means elbow curve over k = 2..10.
2. Among the candidates at that k (DBSCAN only when it found exactly k clusters with at most 10%
   noise), the ones with a stability (mean adjusted Rand index of refits on 80% subsamples against
   the full fit) of at least 0.8 are stable. The stable candidate with the highest silhouette
   wins; when none is stable, the most stable one does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
from scipy.cluster.hierarchy import cut_tree, linkage
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import DBSCAN, AgglomerativeClustering, KMeans
from sklearn.metrics import (
    adjusted_rand_score,
    calinski_harabasz_score,
    davies_bouldin_score,
    silhouette_score,
)
from sklearn.model_selection import cross_val_predict
from sklearn.neighbors import KNeighborsClassifier, NearestNeighbors
from threadpoolctl import threadpool_limits

ALGORITHMS = ("kmeans", "agglomerative", "dbscan")
K_RANGE = range(2, 11)
STABLE_ARI = 0.8
MAX_DBSCAN_NOISE = 0.10
# Candidate evaluation and hierarchical fits work on at most this many rows; the final
# assignment of every customer goes through the fitted assigner.
EVALUATION_ROWS = 4000
HIERARCHICAL_ROWS = 20000
SILHOUETTE_ROWS = 4000

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


@dataclass
class Candidate:
    algorithm: str
    k: int
    inertia: float
    silhouette: float
    calinski_harabasz: float
    davies_bouldin: float
    stability_ari: float
    stability_min: float
    smallest_share: float
    noise_share: float = 0.0
    eps: float | None = None

    def as_dict(self) -> dict:
        return {key: _rounded(value) for key, value in asdict(self).items()}


def _rounded(value: object) -> object:
    """Four decimals; an undefined figure (DBSCAN with one cluster) becomes None, valid JSON."""
    if not isinstance(value, float | np.floating):
        return value
    return round(float(value), 4) if np.isfinite(value) else None


class SegmentClusterer(BaseEstimator, ClusterMixin):
    """One clustering algorithm with a way to place new customers.

    K-Means places them by its own centroids. Agglomerative and DBSCAN cannot predict, so a
    nearest-neighbour assigner is fitted on their training labels; `assignment_agreement_` is its
    cross-validated agreement with those labels.
    """

    def __init__(
        self,
        algorithm: str = "kmeans",
        k: int = 4,
        random_state: int = 0,
        eps: float | None = None,
        min_samples: int = 10,
        n_init: int = 10,
    ) -> None:
        self.algorithm = algorithm
        self.k = k
        self.random_state = random_state
        self.eps = eps
        self.min_samples = min_samples
        self.n_init = n_init

    def fit(self, X: np.ndarray, y: object = None) -> SegmentClusterer:
        X = np.asarray(X, dtype=float)
        rng = np.random.default_rng(self.random_state)
        if self.algorithm == "kmeans":
            self.model_ = KMeans(self.k, n_init=self.n_init, random_state=self.random_state).fit(X)
            self.labels_ = self.model_.labels_
            self.assignment_agreement_ = float(np.mean(self.model_.predict(X) == self.labels_))
        elif self.algorithm in ("agglomerative", "dbscan"):
            self._fit_with_assigner(X, rng)
        else:
            raise ValueError(f"unknown algorithm {self.algorithm!r}; choose one of {ALGORITHMS}")
        clusters = np.unique(self.labels_[self.labels_ >= 0])
        self.clusters_ = clusters
        self.centroids_ = np.vstack([X[self.labels_ == c].mean(axis=0) for c in clusters])
        self.n_clusters_ = len(clusters)
        return self

    def _fit_with_assigner(self, X: np.ndarray, rng: np.random.Generator) -> None:
        fit_rows = _sample_rows(len(X), HIERARCHICAL_ROWS, rng)
        sample = X[fit_rows]
        if self.algorithm == "agglomerative":
            sample_labels = AgglomerativeClustering(self.k, linkage="ward").fit_predict(sample)
        else:
            self.eps_ = self.eps or knee_eps(sample, self.min_samples)
            sample_labels = DBSCAN(eps=self.eps_, min_samples=self.min_samples).fit_predict(sample)
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
        if self.algorithm == "kmeans":
            return self.model_.predict(X)
        return self.assigner_.predict(X)

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Distance of each row to each cluster's centroid (columns in `clusters_` order)."""
        X = np.asarray(X, dtype=float)
        return np.sqrt(((X[:, None, :] - self.centroids_[None, :, :]) ** 2).sum(axis=2))


def _sample_rows(n: int, limit: int, rng: np.random.Generator) -> np.ndarray:
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


def inertia_of(X: np.ndarray, labels: np.ndarray) -> float:
    total = 0.0
    for c in np.unique(labels[labels >= 0]):
        members = X[labels == c]
        total += float(((members - members.mean(axis=0)) ** 2).sum())
    return total


def _quality(
    algorithm: str, k: int, X: np.ndarray, labels: np.ndarray, refit_aris: list[float], rng
) -> Candidate:
    known = labels >= 0
    n_found = len(np.unique(labels[known]))
    sizes = np.bincount(labels[known]) if known.any() else np.array([0])
    if n_found >= 2:
        rows = _sample_rows(int(known.sum()), SILHOUETTE_ROWS, rng)
        Xk, lk = X[known], labels[known]
        silhouette = float(silhouette_score(Xk[rows], lk[rows]))
        ch = float(calinski_harabasz_score(Xk, lk))
        db = float(davies_bouldin_score(Xk, lk))
    else:
        silhouette, ch, db = -1.0, 0.0, float("inf")
    return Candidate(
        algorithm=algorithm,
        k=k,
        inertia=inertia_of(X, labels),
        silhouette=silhouette,
        calinski_harabasz=ch,
        davies_bouldin=db,
        stability_ari=float(np.mean(refit_aris)),
        stability_min=float(np.min(refit_aris)),
        smallest_share=float(sizes.min() / len(labels)),
        noise_share=float(1 - known.mean()),
    )


def _subsamples(n: int, refits: int, fraction: float, rng: np.random.Generator) -> list[np.ndarray]:
    size = max(2, int(round(n * fraction)))
    return [np.sort(rng.choice(n, size, replace=False)) for _ in range(refits)]


def evaluate_kmeans(
    X: np.ndarray, ks: list[int], subsamples: list[np.ndarray], seed: int, progress: Progress
) -> list[Candidate]:
    rng = np.random.default_rng(seed)
    out = []
    for k in ks:
        labels = KMeans(k, n_init=10, random_state=seed).fit(X).labels_
        aris = [
            adjusted_rand_score(
                labels[rows], KMeans(k, n_init=4, random_state=seed + i + 1).fit(X[rows]).labels_
            )
            for i, rows in enumerate(subsamples)
        ]
        out.append(_quality("kmeans", k, X, labels, aris, rng))
        progress(f"kmeans k={k}: stability {np.mean(aris):.2f}")
    return out


def evaluate_agglomerative(
    X: np.ndarray, ks: list[int], subsamples: list[np.ndarray], seed: int, progress: Progress
) -> list[Candidate]:
    # One Ward tree per (sub)sample, cut at every k: the same labels as AgglomerativeClustering.
    rng = np.random.default_rng(seed)
    full_cuts = cut_tree(linkage(X, method="ward"), n_clusters=ks)
    sub_cuts = [cut_tree(linkage(X[rows], method="ward"), n_clusters=ks) for rows in subsamples]
    out = []
    for j, k in enumerate(ks):
        labels = full_cuts[:, j].astype(int)
        aris = [
            adjusted_rand_score(labels[rows], cuts[:, j])
            for rows, cuts in zip(subsamples, sub_cuts, strict=True)
        ]
        out.append(_quality("agglomerative", k, X, labels, aris, rng))
        progress(f"agglomerative k={k}: stability {np.mean(aris):.2f}")
    return out


def evaluate_dbscan(
    X: np.ndarray, subsamples: list[np.ndarray], seed: int, progress: Progress
) -> list[Candidate]:
    rng = np.random.default_rng(seed)
    min_samples = 2 * X.shape[1]
    eps = knee_eps(X, min_samples)
    labels = DBSCAN(eps=eps, min_samples=min_samples).fit_predict(X)
    aris = [
        adjusted_rand_score(
            labels[rows], DBSCAN(eps=eps, min_samples=min_samples).fit_predict(X[rows])
        )
        for rows in subsamples
    ]
    k = len(np.unique(labels[labels >= 0]))
    candidate = _quality("dbscan", k, X, labels, aris, rng)
    candidate.eps = eps
    progress(f"dbscan eps={eps:.2f}: {k} clusters, {candidate.noise_share:.0%} noise")
    return [candidate]


def evaluate_candidates(
    X: np.ndarray,
    algorithms: tuple[str, ...] = ALGORITHMS,
    ks: list[int] | None = None,
    refits: int = 20,
    fraction: float = 0.8,
    seed: int = 0,
    progress: Progress = _quiet,
) -> list[Candidate]:
    """Every algorithm at every k, with elbow, separation and stability figures.

    Runs single-threaded: on a few thousand rows, OpenMP's threads cost more than they bring, and
    under load (tests, a busy server) their spin-waiting made K-Means ten times slower.
    """
    with threadpool_limits(limits=1):
        return _evaluate(X, algorithms, ks, refits, fraction, seed, progress)


def _evaluate(X, algorithms, ks, refits, fraction, seed, progress) -> list[Candidate]:
    ks = list(ks or K_RANGE)
    rng = np.random.default_rng(seed)
    X = X[_sample_rows(len(X), EVALUATION_ROWS, rng)]
    subsamples = _subsamples(len(X), refits, fraction, rng)
    candidates: list[Candidate] = []
    if "kmeans" in algorithms:
        candidates += evaluate_kmeans(X, ks, subsamples, seed, progress)
    if "agglomerative" in algorithms:
        candidates += evaluate_agglomerative(X, ks, subsamples, seed, progress)
    if "dbscan" in algorithms:
        candidates += evaluate_dbscan(X, subsamples, seed, progress)
    return candidates


def elbow_k(candidates: list[Candidate]) -> int:
    curve = sorted((c.k, c.inertia) for c in candidates if c.algorithm == "kmeans")
    if not curve:
        raise ValueError("the elbow needs K-Means candidates")
    return curve[knee_index([inertia for _, inertia in curve])][0]


def choose_candidate(candidates: list[Candidate], k: int, algorithm: str = "auto") -> Candidate:
    """The documented selection rule (see the module docstring)."""
    at_k = [
        c
        for c in candidates
        if c.k == k
        and (algorithm == "auto" or c.algorithm == algorithm)
        and (c.algorithm != "dbscan" or c.noise_share <= MAX_DBSCAN_NOISE)
    ]
    if not at_k:
        raise ValueError(f"no {algorithm} candidate with k={k}")
    stable = [c for c in at_k if c.stability_ari >= STABLE_ARI]
    if stable:
        return max(stable, key=lambda c: c.silhouette)
    return max(at_k, key=lambda c: c.stability_ari)
