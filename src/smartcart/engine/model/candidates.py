"""Clustering candidates on a sample sized for their statistics, and their stability on request.

`Evaluator` fits every candidate once on the sample (silhouettes share one distance matrix) and
measures a candidate's stability (refits on 80% subsamples) only when asked: `selection.select`
asks where the rule needs it, `evaluate_candidates` everywhere (the full table).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np
from joblib import Parallel, cpu_count, delayed
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.cluster import DBSCAN, KMeans
from sklearn.metrics import (
    adjusted_rand_score,
    calinski_harabasz_score,
    davies_bouldin_score,
    pairwise_distances,
)
from threadpoolctl import threadpool_limits

from smartcart.engine.model.clusterer import ALGORITHMS, knee_eps, sample_rows

K_RANGE = range(2, 11)
# Candidates are evaluated on at most this many customers. The figures the rule compares are
# settled at this size: a silhouette's standard error is about 0.25 / sqrt(2,500) = 0.005, and
# refits on 2,000-row subsamples give adjusted Rand indices whose spread comes from the refits,
# not the rows. More rows would only cost time (a Ward tree grows with the square of the rows).
# The real data (2,236 customers) is evaluated whole.
EVALUATION_ROWS = 2500
# Ward refits go to worker processes (both cores) when the sample is at least this large;
# below, starting the workers costs more than the trees.
PARALLEL_WARD_ROWS = 1000

Progress = Callable[[str], None]


def no_progress(_: str) -> None:
    pass


# The candidate's figures, as `train --json` and the model card show them (documented in docs/reference/cli.md).
PUBLIC_FIELDS = (
    "algorithm",
    "k",
    "inertia",
    "silhouette",
    "calinski_harabasz",
    "davies_bouldin",
    "stability_ari",
    "stability_min",
    "smallest_share",
    "noise_share",
    "eps",
)


@dataclass
class Candidate:
    algorithm: str
    k: int
    inertia: float
    silhouette: float
    calinski_harabasz: float
    davies_bouldin: float
    stability_ari: float = float("nan")
    stability_min: float = float("nan")
    smallest_share: float = 0.0
    noise_share: float = 0.0
    eps: float | None = None
    # Not published: why stability was not measured, and K-Means' centroids on the sample.
    skipped: str | None = field(default=None, repr=False, compare=False)
    centers: np.ndarray | None = field(default=None, repr=False, compare=False)

    def as_dict(self) -> dict:
        values = asdict(self)
        return {key: _rounded(values[key]) for key in PUBLIC_FIELDS}

    @property
    def has_stability(self) -> bool:
        return bool(np.isfinite(self.stability_ari))


def _rounded(value: object) -> object:
    """Four decimals; an undefined figure (DBSCAN with one cluster) becomes None, valid JSON."""
    if not isinstance(value, float | np.floating):
        return value
    return round(float(value), 4) if np.isfinite(value) else None


def inertia_of(X: np.ndarray, labels: np.ndarray) -> float:
    total = 0.0
    for c in np.unique(labels[labels >= 0]):
        members = X[labels == c]
        total += float(((members - members.mean(axis=0)) ** 2).sum())
    return total


@dataclass
class Sample:
    """The evaluation sample, its distances (shared by every silhouette) and the refit rows."""

    X: np.ndarray
    distances: np.ndarray
    subsamples: list[np.ndarray]
    seed: int
    jobs: int

    @classmethod
    def draw(cls, X: np.ndarray, refits: int, fraction: float, seed: int, jobs: int) -> Sample:
        rng = np.random.default_rng(seed)
        X = X[sample_rows(len(X), EVALUATION_ROWS, rng)]
        return cls(X, pairwise_distances(X), _subsamples(len(X), refits, fraction, rng), seed, jobs)


def _quality(algorithm: str, k: int, sample: Sample, labels: np.ndarray) -> Candidate:
    X = sample.X
    known = labels >= 0
    n_found = len(np.unique(labels[known]))
    sizes = np.bincount(labels[known]) if known.any() else np.array([0])
    if n_found >= 2:
        Xk, lk = X[known], labels[known]
        distances = sample.distances if known.all() else sample.distances[np.ix_(known, known)]
        silhouette = silhouette_from_distances(distances, lk)
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
        smallest_share=float(sizes.min() / len(labels)),
        noise_share=float(1 - known.mean()),
    )


def silhouette_from_distances(distances: np.ndarray, labels: np.ndarray) -> float:
    """Mean silhouette from a precomputed distance matrix, as sklearn's silhouette_score.

    One matrix product gives every row's summed distance to every cluster, so the 19 candidates
    share the distances instead of recomputing them (sklearn's reduction is ten times slower).
    """
    clusters, labels = np.unique(labels, return_inverse=True)
    members = np.zeros((len(labels), len(clusters)))
    members[np.arange(len(labels)), labels] = 1.0
    sizes = members.sum(axis=0)
    sums = distances @ members
    own = sums[np.arange(len(labels)), labels] / np.maximum(sizes[labels] - 1, 1)
    sums /= sizes
    sums[np.arange(len(labels)), labels] = np.inf
    nearest = sums.min(axis=1)
    scores = (nearest - own) / np.maximum(own, nearest)
    scores[sizes[labels] == 1] = 0.0  # a cluster of one: silhouette 0, as sklearn
    return float(np.mean(np.nan_to_num(scores)))


def _set_stability(candidate: Candidate, aris: list[float]) -> None:
    candidate.stability_ari = float(np.mean(aris))
    candidate.stability_min = float(np.min(aris))
    candidate.skipped = None


def _subsamples(n: int, refits: int, fraction: float, rng: np.random.Generator) -> list[np.ndarray]:
    size = max(2, int(round(n * fraction)))
    return [np.sort(rng.choice(n, size, replace=False)) for _ in range(refits)]


def _ward_labels(X: np.ndarray, ks: list[int]) -> np.ndarray:
    """One Ward tree cut at every k (columns in ks order); the partitions of AgglomerativeClustering."""
    tree = linkage(X, method="ward")
    return np.column_stack([fcluster(tree, k, criterion="maxclust") - 1 for k in ks])


class Evaluator:
    """Candidates on the sample (one fit each), and their stability on request."""

    def __init__(self, sample: Sample, progress: Progress = no_progress) -> None:
        self.sample = sample
        self.progress = progress
        self.labels: dict[tuple[str, int], np.ndarray] = {}
        self.ward_ks: list[int] = []
        self.candidates: list[Candidate] = []

    def kmeans(self, ks: list[int]) -> None:
        for k in ks:
            model = KMeans(k, n_init=10, random_state=self.sample.seed).fit(self.sample.X)
            candidate = _quality("kmeans", k, self.sample, model.labels_)
            candidate.centers = model.cluster_centers_
            self._add(candidate, model.labels_)
        self.progress(f"kmeans k={ks[0]}..{ks[-1]} fitted on {len(self.sample.X):,} rows")

    def agglomerative(self, ks: list[int]) -> None:
        self.ward_ks = list(ks)
        cuts = _ward_labels(self.sample.X, self.ward_ks)
        for j, k in enumerate(self.ward_ks):
            self._add(_quality("agglomerative", k, self.sample, cuts[:, j]), cuts[:, j])

    def dbscan(self) -> None:
        X = self.sample.X
        self.min_samples = 2 * X.shape[1]
        eps = knee_eps(X, self.min_samples)
        labels = DBSCAN(eps=eps, min_samples=self.min_samples).fit_predict(X)
        candidate = _quality("dbscan", len(np.unique(labels[labels >= 0])), self.sample, labels)
        candidate.eps = eps
        self._add(candidate, labels)
        self.progress(
            f"dbscan eps={eps:.2f}: {candidate.k} clusters, {candidate.noise_share:.0%} noise"
        )

    def _add(self, candidate: Candidate, labels: np.ndarray) -> None:
        self.labels[(candidate.algorithm, candidate.k)] = labels
        self.candidates.append(candidate)

    def measure_stability(self, candidate: Candidate) -> None:
        if candidate.has_stability:
            return
        if candidate.algorithm == "kmeans":
            self._kmeans_stability(candidate)
        elif candidate.algorithm == "agglomerative":
            self._ward_stability()
        else:
            self._dbscan_stability(candidate)
        self.progress(
            f"{candidate.algorithm} k={candidate.k}: stability {candidate.stability_ari:.2f}"
        )

    def _kmeans_stability(self, candidate: Candidate) -> None:
        X, seed = self.sample.X, self.sample.seed
        labels = self.labels[("kmeans", candidate.k)]
        aris = [
            adjusted_rand_score(
                labels[rows],
                KMeans(candidate.k, n_init=4, random_state=seed + i + 1).fit(X[rows]).labels_,
            )
            for i, rows in enumerate(self.sample.subsamples)
        ]
        _set_stability(candidate, aris)

    def _ward_stability(self) -> None:
        """One tree per subsample, cut at every k: stability of every Ward candidate at once."""
        X, ks = self.sample.X, self.ward_ks
        jobs = self.sample.jobs if len(X) >= PARALLEL_WARD_ROWS else 1
        cuts = Parallel(n_jobs=jobs)(
            delayed(_ward_labels)(X[rows], ks) for rows in self.sample.subsamples
        )
        for j, k in enumerate(ks):
            full = self.labels[("agglomerative", k)]
            aris = [
                adjusted_rand_score(full[rows], cut[:, j])
                for rows, cut in zip(self.sample.subsamples, cuts, strict=True)
            ]
            _set_stability(self.find("agglomerative", k), aris)

    def _dbscan_stability(self, candidate: Candidate) -> None:
        X, labels = self.sample.X, self.labels[("dbscan", candidate.k)]
        fit = DBSCAN(eps=candidate.eps, min_samples=self.min_samples)
        aris = [
            adjusted_rand_score(labels[rows], fit.fit_predict(X[rows]))
            for rows in self.sample.subsamples
        ]
        _set_stability(candidate, aris)

    def find(self, algorithm: str, k: int) -> Candidate:
        return next(c for c in self.candidates if c.algorithm == algorithm and c.k == k)


def candidate_evaluator(X, algorithms, ks, refits, fraction, seed, jobs, progress) -> Evaluator:
    ks = list(ks or K_RANGE)
    jobs = min(cpu_count(), 2) if jobs is None else jobs
    evaluator = Evaluator(Sample.draw(X, refits, fraction, seed, jobs), progress)
    if "kmeans" in algorithms:
        evaluator.kmeans(ks)
    if "agglomerative" in algorithms:
        evaluator.agglomerative(ks)
    if "dbscan" in algorithms:
        evaluator.dbscan()
    return evaluator


def evaluate_candidates(
    X: np.ndarray,
    algorithms: tuple[str, ...] = ALGORITHMS,
    ks: list[int] | None = None,
    refits: int = 20,
    fraction: float = 0.8,
    seed: int = 0,
    progress: Progress = no_progress,
    jobs: int | None = None,
) -> list[Candidate]:
    """Every algorithm at every k with every figure, stability included (the full table).

    Runs single-threaded: on a few thousand rows, OpenMP's threads cost more than they bring, and
    under load (tests, a busy server) their spin-waiting made K-Means ten times slower. Ward's
    refits go to `jobs` worker processes (default: both cores).
    """
    with threadpool_limits(limits=1):
        evaluator = candidate_evaluator(X, algorithms, ks, refits, fraction, seed, jobs, progress)
        for candidate in evaluator.candidates:
            evaluator.measure_stability(candidate)
    return evaluator.candidates
