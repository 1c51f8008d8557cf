"""Clustering candidates, their quality figures, and the rule that picks one.

The selection rule (`choose_candidate`), documented in the README:
1. k is the one asked for (default 4, as in the study); with `--k auto` it is the knee of the
   K-Means elbow curve over k = 2..10.
2. Among the candidates at that k (DBSCAN only when it found exactly k clusters with at most 10%
   noise), the ones with a stability (mean adjusted Rand index of refits on 80% subsamples against
   the full fit) of at least 0.8 are stable. The stable candidate with the highest silhouette
   wins; when none is stable, the most stable one does.

What it costs (`select`): candidates are evaluated on a random sample of at most
`EVALUATION_ROWS` customers, enough for the figures the rule compares (see there), whatever the
size of the data. Stability refits are made only where the rule needs them: at the k it looks
at, in order of silhouette, until the first stable candidate (which the rule then picks; the
others cannot win). One Ward tree per (sub)sample is cut at every k. Only the chosen model is
fitted on every customer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field

import numpy as np
from joblib import Parallel, cpu_count, delayed
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import DBSCAN, AgglomerativeClustering, Birch, KMeans
from sklearn.metrics import (
    adjusted_rand_score,
    calinski_harabasz_score,
    davies_bouldin_score,
    pairwise_distances,
)
from sklearn.model_selection import cross_val_predict
from sklearn.neighbors import KNeighborsClassifier, NearestNeighbors
from threadpoolctl import threadpool_limits

ALGORITHMS = ("kmeans", "agglomerative", "dbscan")
K_RANGE = range(2, 11)
STABLE_ARI = 0.8
MAX_DBSCAN_NOISE = 0.10
# Candidates are evaluated on at most this many customers. The figures the rule compares are
# settled at this size: a silhouette's standard error is about 0.25 / sqrt(2,500) = 0.005, and
# refits on 2,000-row subsamples give adjusted Rand indices whose spread comes from the refits,
# not the rows. More rows would only cost time (a Ward tree grows with the square of the rows).
# The real data (2,236 customers) is evaluated whole.
EVALUATION_ROWS = 2500
# Agglomerative (Ward) is fitted exactly on all customers up to this many (its distance matrix
# takes n^2 / 2 floats: 400 MB here); above, Birch summarises all customers into subclusters and
# Ward joins those into k clusters.
WARD_ROWS = 10_000
BIRCH_THRESHOLD = 0.5
# DBSCAN's final fit works on at most this many customers; a nearest-neighbour assigner places
# the rest.
HIERARCHICAL_ROWS = 20000
# Ward refits go to worker processes (both cores) when the sample is at least this large;
# below, starting the workers costs more than the trees.
PARALLEL_WARD_ROWS = 1000

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


# The candidate's figures, as `train --json` and the model card show them (documented in README).
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
        limit = WARD_ROWS if self.algorithm == "agglomerative" else HIERARCHICAL_ROWS
        fit_rows = _sample_rows(len(X), limit, rng)
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
        X = X[_sample_rows(len(X), EVALUATION_ROWS, rng)]
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

    def __init__(self, sample: Sample, progress: Progress = _quiet) -> None:
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


def _evaluator(X, algorithms, ks, refits, fraction, seed, jobs, progress) -> Evaluator:
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
    progress: Progress = _quiet,
    jobs: int | None = None,
) -> list[Candidate]:
    """Every algorithm at every k with every figure, stability included (the full table).

    Runs single-threaded: on a few thousand rows, OpenMP's threads cost more than they bring, and
    under load (tests, a busy server) their spin-waiting made K-Means ten times slower. Ward's
    refits go to `jobs` worker processes (default: both cores).
    """
    with threadpool_limits(limits=1):
        evaluator = _evaluator(X, algorithms, ks, refits, fraction, seed, jobs, progress)
        for candidate in evaluator.candidates:
            evaluator.measure_stability(candidate)
    return evaluator.candidates


@dataclass
class Selection:
    """The candidates, the decisive k, the chosen one, and what was done at which size."""

    candidates: list[Candidate]
    chosen: Candidate
    k: int
    elbow_k: int | None
    rows: int
    sample_rows: int
    refits: int
    fraction: float
    jobs: int

    def summary(self) -> dict:
        """For the model card and report: sizes, and the stability refits not made and why."""
        return {
            "rows": self.rows,
            "sample_rows": self.sample_rows,
            "refit_rows": max(2, int(round(self.sample_rows * self.fraction))),
            "refits": self.refits,
            "jobs": self.jobs,
            "stability_measured": _grouped(c for c in self.candidates if c.has_stability),
            "stability_skipped": {
                reason: _grouped(c for c in self.candidates if c.skipped == reason)
                for reason in dict.fromkeys(c.skipped for c in self.candidates if c.skipped)
            },
        }


def _grouped(candidates: Iterable[Candidate]) -> str:
    """ "kmeans k=2, 3, 5; dbscan k=2": candidates named compactly."""
    ks: dict[str, list[str]] = {}
    for c in candidates:
        ks.setdefault(c.algorithm, []).append(str(c.k))
    return "; ".join(f"{algorithm} k={', '.join(k)}" for algorithm, k in ks.items())


def select(
    X: np.ndarray,
    algorithms: tuple[str, ...] = ALGORITHMS,
    k: int | str = 4,
    algorithm: str = "auto",
    refits: int = 20,
    fraction: float = 0.8,
    seed: int = 0,
    progress: Progress = _quiet,
    jobs: int | None = None,
) -> Selection:
    """The rule applied at the cost it needs: stability only where it can change the choice.

    Gives the same choice as `choose_candidate` over the full table of `evaluate_candidates`
    (tested): at the decisive k, candidates are measured in order of silhouette; the first stable
    one wins, so the ones after it cannot. When none is stable all were measured, and the most
    stable one wins.
    """
    with threadpool_limits(limits=1):
        evaluator = _evaluator(X, algorithms, None, refits, fraction, seed, jobs, progress)
        candidates = evaluator.candidates
        knee = elbow_k(candidates) if any(c.algorithm == "kmeans" for c in candidates) else None
        decisive = knee if k == "auto" else int(k)
        ranked = sorted(eligible(candidates, decisive, algorithm), key=lambda c: -c.silhouette)
        for candidate in ranked:
            evaluator.measure_stability(candidate)
            if candidate.stability_ari >= STABLE_ARI:
                break
        chosen = choose_candidate(candidates, decisive, algorithm)
    _explain_skipped(candidates, chosen, decisive, algorithm)
    return Selection(
        candidates=candidates,
        chosen=chosen,
        k=decisive,
        elbow_k=knee,
        rows=len(X),
        sample_rows=len(evaluator.sample.X),
        refits=refits,
        fraction=fraction,
        jobs=evaluator.sample.jobs,
    )


def _explain_skipped(
    candidates: list[Candidate], chosen: Candidate, k: int, algorithm: str
) -> None:
    at_k = eligible(candidates, k, algorithm)
    for c in candidates:
        if c.has_stability:
            continue
        if any(c is other for other in at_k):
            c.skipped = (
                f"silhouette {c.silhouette:.3f} is below the stable {chosen.algorithm}'s "
                f"{chosen.silhouette:.3f}, so the rule cannot choose it"
            )
        elif c.k != k:
            c.skipped = f"the rule only compares candidates at k={k}"
        elif algorithm != "auto" and c.algorithm != algorithm:
            c.skipped = f"--algorithm {algorithm} was asked for"
        else:
            c.skipped = f"{c.noise_share:.0%} noise is above the {MAX_DBSCAN_NOISE:.0%} allowed"


def elbow_k(candidates: list[Candidate]) -> int:
    curve = sorted((c.k, c.inertia) for c in candidates if c.algorithm == "kmeans")
    if not curve:
        raise ValueError("the elbow needs K-Means candidates")
    return curve[knee_index([inertia for _, inertia in curve])][0]


def eligible(candidates: list[Candidate], k: int, algorithm: str = "auto") -> list[Candidate]:
    """The candidates the rule compares at k (DBSCAN only with little enough noise)."""
    return [
        c
        for c in candidates
        if c.k == k
        and (algorithm == "auto" or c.algorithm == algorithm)
        and (c.algorithm != "dbscan" or c.noise_share <= MAX_DBSCAN_NOISE)
    ]


def choose_candidate(candidates: list[Candidate], k: int, algorithm: str = "auto") -> Candidate:
    """The documented selection rule (see the module docstring)."""
    at_k = eligible(candidates, k, algorithm)
    if not at_k:
        raise ValueError(f"no {algorithm} candidate with k={k}")
    stable = [c for c in at_k if c.stability_ari >= STABLE_ARI]
    if stable:
        return max(stable, key=lambda c: c.silhouette)
    return max(at_k, key=lambda c: c.stability_ari)
