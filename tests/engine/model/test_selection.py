"""Model selection at the cost it needs: a statistic-sized sample, stability only where the rule
looks, shared and parallel refits, and a final fit on all rows (Birch + Ward for large data)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.cluster import AgglomerativeClustering, KMeans
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score, pairwise_distances, silhouette_score

from smartcart.engine.data.loading import load_customers
from smartcart.engine.data.validation import validate
from smartcart.engine.model import candidates, clusterer, selection
from smartcart.engine.model.features import build_preprocessor, cluster_inputs
from smartcart.engine.training import TrainingOptions, train
from tests.support import REAL_DATA


@pytest.fixture(scope="module")
def customers_matrix(generated_file) -> np.ndarray:
    data = validate(load_customers(generated_file, "customers"), None)
    return build_preprocessor(data.as_of, cluster_inputs(data.has_campaigns)).fit_transform(
        data.customers
    )


def blobs(rows: int, seed: int = 0) -> np.ndarray:
    X, _ = make_blobs(rows, n_features=5, centers=4, cluster_std=1.0, random_state=seed)
    return X


@pytest.mark.parametrize(
    ("k", "algorithm"), [(4, "auto"), ("auto", "auto"), (2, "auto"), ("auto", "agglomerative")]
)
def test_lazy_stability_chooses_as_the_rule_over_the_full_table(customers_matrix, k, algorithm):
    algorithms = selection.ALGORITHMS if algorithm == "auto" else ("kmeans", algorithm)
    full = selection.evaluate_candidates(customers_matrix, algorithms, refits=3)
    decisive = selection.elbow_k(full) if k == "auto" else k
    if not selection.eligible(full, decisive, algorithm):
        pytest.skip("DBSCAN found another number of clusters on this data")
    expected = selection.choose_candidate(full, decisive, algorithm)
    outcome = selection.select(customers_matrix, algorithms, k, algorithm, refits=3)
    chosen = outcome.chosen
    assert (chosen.algorithm, chosen.k) == (expected.algorithm, expected.k)
    assert chosen.stability_ari == pytest.approx(expected.stability_ari)
    assert chosen.silhouette == pytest.approx(expected.silhouette)


def test_stability_is_measured_only_where_the_rule_looks_and_the_rest_is_explained(
    customers_matrix,
):
    outcome = selection.select(customers_matrix, refits=3)
    measured = [c for c in outcome.candidates if c.has_stability]
    assert outcome.chosen in measured
    assert all(c.k == 4 for c in measured)
    others = [c for c in outcome.candidates if not c.has_stability]
    assert others and all(c.skipped for c in others)
    assert all(c.as_dict()["stability_ari"] is None for c in others)
    assert all(set(c.as_dict()) == set(selection.PUBLIC_FIELDS) for c in outcome.candidates)
    summary = outcome.summary()
    assert "the rule only compares candidates at k=4" in summary["stability_skipped"]
    assert summary["stability_measured"].startswith(outcome.chosen.algorithm)


def test_candidates_are_evaluated_on_a_sample_sized_for_the_statistics(monkeypatch):
    monkeypatch.setattr(candidates, "EVALUATION_ROWS", 400)
    X = blobs(3000)
    outcome = selection.select(X, ("kmeans",), refits=3)
    summary = outcome.summary()
    assert (summary["rows"], summary["sample_rows"], summary["refit_rows"]) == (3000, 400, 320)
    small = selection.select(X[:300], ("kmeans",), refits=3).summary()
    assert (small["rows"], small["sample_rows"]) == (300, 300)


def test_silhouette_from_shared_distances_is_sklearns():
    X = blobs(600)
    labels = KMeans(4, n_init=3, random_state=0).fit_predict(X)
    labels[:3] = 7  # a small cluster besides the four
    ours = candidates.silhouette_from_distances(pairwise_distances(X), labels)
    assert ours == pytest.approx(silhouette_score(X, labels), abs=1e-9)


def test_ward_refits_in_worker_processes_give_the_serial_figures(monkeypatch):
    monkeypatch.setattr(candidates, "PARALLEL_WARD_ROWS", 0)
    X = blobs(500, seed=3)
    serial = selection.evaluate_candidates(X, ("agglomerative",), refits=4, jobs=1)
    parallel = selection.evaluate_candidates(X, ("agglomerative",), refits=4, jobs=2)
    assert [c.as_dict() for c in serial] == [c.as_dict() for c in parallel]


def test_one_ward_tree_cut_at_every_k_is_agglomerative_clustering():
    X = blobs(400, seed=5)
    cuts = candidates._ward_labels(X, [2, 4, 7])
    for j, k in enumerate([2, 4, 7]):
        ward = AgglomerativeClustering(k, linkage="ward").fit_predict(X)
        assert adjusted_rand_score(ward, cuts[:, j]) == 1.0


def test_birch_path_agrees_with_exact_ward_on_small_data(monkeypatch):
    X = blobs(3000, seed=1)
    exact = selection.SegmentClusterer("agglomerative", 4).fit(X)
    assert exact.method_.startswith("exact Ward")
    monkeypatch.setattr(clusterer, "WARD_ROWS", 1000)
    birch = selection.SegmentClusterer("agglomerative", 4).fit(X)
    assert birch.method_.startswith("Birch")
    assert adjusted_rand_score(exact.labels_, birch.labels_) >= 0.95
    assert np.array_equal(birch.predict(X), birch.labels_)
    assert birch.n_clusters_ == 4


def test_final_kmeans_from_the_sample_centroids_matches_a_full_fit(monkeypatch):
    monkeypatch.setattr(candidates, "EVALUATION_ROWS", 500)
    X = blobs(5000, seed=2)
    chosen = selection.select(X, ("kmeans",), refits=3).chosen
    warm = selection.SegmentClusterer("kmeans", 4, init=chosen.centers).fit(X)
    full = selection.SegmentClusterer("kmeans", 4).fit(X)
    assert "started from the best centroids" in warm.method_
    assert adjusted_rand_score(full.labels_, warm.labels_) >= 0.99
    assert warm.model_.inertia_ <= full.model_.inertia_ * 1.001


def test_report_and_card_say_what_was_done_at_which_size(generated_file, tmp_path, monkeypatch):
    monkeypatch.setattr(candidates, "EVALUATION_ROWS", 1000)
    result = train(generated_file, tmp_path, TrainingOptions(refits=3))
    evaluation = result.model.card.evaluation
    assert evaluation.sample_rows == 1000 < evaluation.rows
    assert evaluation.final_fit.startswith(f"K-Means on all {evaluation.rows:,} rows")
    text = result.report.read_text()
    assert "### What was done at which size" in text
    assert f"a random 1,000 of the {evaluation.rows:,} customers" in text
    assert "the rule only compares candidates at k=4" in text


@pytest.mark.skipif(not REAL_DATA.exists(), reason="reference data not present")
def test_agglomerative_k4_is_the_studys_ward_on_every_real_customer(tmp_path):
    result = train(REAL_DATA, tmp_path, TrainingOptions(algorithm="agglomerative", k=4, refits=3))
    card = result.model.card
    assert (card.algorithm, card.k) == ("agglomerative", 4)
    assert card.evaluation.final_fit == "exact Ward on all 2,236 rows"
    pipeline = result.model.pipeline
    features = pipeline.named_steps["features"].transform(result.data.customers)
    X = pipeline.named_steps["cluster"].scaling_.transform(features)
    ward = AgglomerativeClustering(4, linkage="ward").fit_predict(X)
    assert adjusted_rand_score(ward, result.labels) == 1.0
    assert {s["persona"] for s in result.model.segments} == {
        "premium",
        "family_budget",
        "digital_active",
        "moderate_loyal",
    }
