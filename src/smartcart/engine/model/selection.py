"""Clustering candidates, their quality figures, and the rule that picks one.

The selection rule (`choose_candidate`), documented in docs/data/models.md:
1. k is the one asked for (default 4, as in the study); with `--k auto` it is the knee of the
   K-Means elbow curve over k = 2..10.
2. Among the candidates at that k (DBSCAN only when it found exactly k clusters with at most 10%
   noise), the ones with a stability (mean adjusted Rand index of refits on 80% subsamples against
   the full fit) of at least 0.8 are stable. The stable candidate with the highest silhouette
   wins; when none is stable, the most stable one does.

What it costs (`select`): candidates are evaluated on a random sample of at most
`candidates.EVALUATION_ROWS` customers, enough for the figures the rule compares (see there), whatever the
size of the data. Stability refits are made only where the rule needs them: at the k it looks
at, in order of silhouette, until the first stable candidate (which the rule then picks; the
others cannot win). One Ward tree per (sub)sample is cut at every k. Only the chosen model is
fitted on every customer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from smartcart.engine.model.candidates import (
    PUBLIC_FIELDS,
    Candidate,
    Progress,
    candidate_evaluator,
    evaluate_candidates,
    no_progress,
)
from smartcart.engine.model.clusterer import ALGORITHMS, SegmentClusterer, knee_index

__all__ = [
    "ALGORITHMS",
    "PUBLIC_FIELDS",
    "Candidate",
    "Progress",
    "SegmentClusterer",
    "Selection",
    "no_progress",
    "choose_candidate",
    "elbow_k",
    "eligible",
    "evaluate_candidates",
    "knee_index",
    "select",
]

STABLE_ARI = 0.8
MAX_DBSCAN_NOISE = 0.10


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
    progress: Progress = no_progress,
    jobs: int | None = None,
) -> Selection:
    """The rule applied at the cost it needs: stability only where it can change the choice.

    Gives the same choice as `choose_candidate` over the full table of `evaluate_candidates`
    (tested): at the decisive k, candidates are measured in order of silhouette; the first stable
    one wins, so the ones after it cannot. When none is stable all were measured, and the most
    stable one wins.
    """
    with threadpool_limits(limits=1):
        evaluator = candidate_evaluator(X, algorithms, None, refits, fraction, seed, jobs, progress)
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
