"""Training end to end: the study's personas on the real data, stable names, safe publishing."""

from __future__ import annotations

import numpy as np
import pytest

from smartcart.engine.errors import DataError, ModelError
from smartcart.engine.model import selection
from smartcart.engine.model.artifact import live_version, load_live_model, load_model, model_path
from smartcart.engine.model.card import RowCounts
from smartcart.engine.scoring.scoring import explain, score
from smartcart.engine.training import TrainingOptions, publish, train
from tests.engine.data.test_loading import export_as
from tests.support import REAL_DATA, STUDY_DATA

needs_real_data = pytest.mark.skipif(not REAL_DATA.exists(), reason="reference data not present")


@pytest.fixture(scope="module")
def real_model(tmp_path_factory):
    if not REAL_DATA.exists():
        pytest.skip("reference data not present")
    folder = tmp_path_factory.mktemp("real-model")
    return train(REAL_DATA, folder, TrainingOptions())


def by_persona(model) -> dict[str, dict]:
    return {s["persona"]: s for s in model.segments if s["primary"]}


@needs_real_data
def test_real_data_gives_the_four_study_personas(real_model):
    segments = by_persona(real_model.model)
    assert set(segments) == {"premium", "family_budget", "digital_active", "moderate_loyal"}
    profile = {p: s["profile"] for p, s in segments.items()}
    others = lambda p: [v for k, v in profile.items() if k != p]  # noqa: E731
    premium = profile["premium"]
    assert all(premium["Income"] > o["Income"] for o in others("premium"))
    assert all(premium["TotalSpending"] > o["TotalSpending"] for o in others("premium"))
    family = profile["family_budget"]
    assert all(family["Children"] > o["Children"] for o in others("family_budget"))
    assert all(
        family["NumDealsPurchases"] > o["NumDealsPurchases"] for o in others("family_budget")
    )
    digital = profile["digital_active"]
    assert all(
        digital["NumWebVisitsMonth"] > o["NumWebVisitsMonth"] for o in others("digital_active")
    )
    assert digital["TotalSpending"] < premium["TotalSpending"]
    loyal = profile["moderate_loyal"]
    assert premium["TotalSpending"] > loyal["TotalSpending"] > digital["TotalSpending"]


@needs_real_data
def test_real_data_premium_figures_and_quality(real_model):
    premium = by_persona(real_model.model)["premium"]
    assert premium["revenue_share"] >= 0.40
    assert premium["share"] <= 0.25
    assert premium["lift"] >= 2.0
    metrics = real_model.model.card.metrics
    assert metrics.stability_ari >= 0.9
    assert metrics.assignment_agreement >= 0.98
    assert real_model.model.card.rows == RowCounts(read=2240, used=2236, quarantined=4)


@needs_real_data
def test_candidates_cover_every_algorithm_and_k(real_model):
    candidates = real_model.model.candidates
    for algorithm in ("kmeans", "agglomerative"):
        assert sorted(c["k"] for c in candidates if c["algorithm"] == algorithm) == list(
            range(2, 11)
        )
    assert any(c["algorithm"] == "dbscan" for c in candidates)
    for c in candidates:
        for key in (
            "inertia",
            "silhouette",
            "calinski_harabasz",
            "davies_bouldin",
            "stability_ari",
        ):
            assert key in c


@needs_real_data
def test_report_and_charts_are_written(real_model):
    text = real_model.report.read_text()
    for heading in ("## Data", "## Model selection", "## Personas", "quarantined 4"):
        assert heading in text
    for path in real_model.charts.values():
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@needs_real_data
@pytest.mark.parametrize(("sep", "date_format"), [(",", "%d/%m/%Y"), (";", "%d/%m/%Y")])
def test_other_exports_give_the_same_segments(real_model, tmp_path, sep, date_format):
    exported = export_as(REAL_DATA, tmp_path / "export.csv", sep, date_format, crlf=True)
    again = train(exported, tmp_path / "models", TrainingOptions(algorithm="kmeans"))
    assert real_model.model.card.algorithm == "kmeans"
    before = {s["persona"]: s["size"] for s in real_model.model.segments}
    after = {s["persona"]: s["size"] for s in again.model.segments}
    assert before == after


@pytest.mark.skipif(not STUDY_DATA.exists(), reason="reference data not present")
def test_study_layout_trains_with_a_note(tmp_path):
    result = train(STUDY_DATA, tmp_path, TrainingOptions(algorithm="kmeans", refits=5))
    assert "AcceptedCampaigns" not in result.model.card.inputs
    assert any("campaign acceptances are left out" in n for n in result.model.card.notes)
    assert {s["persona"] for s in result.model.segments} == {
        "premium",
        "family_budget",
        "digital_active",
        "moderate_loyal",
    }


def test_retraining_keeps_the_names(generated_file, tmp_path):
    first = train(
        generated_file, tmp_path / "a", TrainingOptions(algorithm="kmeans", seed=1, refits=3)
    )
    second = train(
        generated_file, tmp_path / "b", TrainingOptions(algorithm="kmeans", seed=99, refits=3)
    )
    customers = first.data.customers
    a = score(first.model, customers)["persona"].to_numpy()
    b = score(second.model, customers)["persona"].to_numpy()
    assert np.mean(a == b) >= 0.95


def test_fewer_clusters_leave_personas_visibly_missing(generated_file, tmp_path):
    result = train(generated_file, tmp_path, TrainingOptions(algorithm="kmeans", k=3, refits=3))
    assert len(result.model.segments) == 3
    assert len(result.model.card.missing_personas) == 1
    assert "Personas without a segment" in result.report.read_text()


def test_more_clusters_are_numbered_under_their_best_persona(generated_file, tmp_path):
    result = train(generated_file, tmp_path, TrainingOptions(algorithm="kmeans", k=6, refits=3))
    names = [s["name"] for s in result.model.segments]
    assert len(names) == 6 and len(set(names)) == 6
    assert sum(not s["primary"] for s in result.model.segments) == 2
    assert all(s["name"].endswith(")") for s in result.model.segments if not s["primary"])
    assert result.model.card.missing_personas == ()


def test_agglomerative_gets_an_assigner_with_reported_agreement(generated_file, tmp_path):
    result = train(generated_file, tmp_path, TrainingOptions(algorithm="agglomerative", refits=3))
    assert result.model.card.algorithm == "agglomerative"
    assert result.model.card.metrics.assignment_agreement >= 0.9
    scored = score(result.model, result.data.customers)
    assert np.mean(scored["cluster"].to_numpy() == result.labels) >= 0.9


def test_k_auto_takes_the_elbow_knee(generated_file, tmp_path):
    result = train(
        generated_file, tmp_path, TrainingOptions(algorithm="kmeans", k="auto", refits=2)
    )
    assert result.model.card.k == result.model.card.elbow_k


def test_knee_of_a_curve():
    assert selection.knee_index([100, 50, 30, 25, 22, 20, 19]) == 2
    assert selection.knee_index([5, 5, 5]) == 0


def test_explanation_names_up_to_three_reasons_with_numbers(generated_file, tmp_path):
    result = train(generated_file, tmp_path, TrainingOptions(algorithm="kmeans", refits=2))
    customer = result.data.customers.iloc[[0]]
    explanation = explain(result.model, customer)
    # only features that set the persona apart are reasons (issue 19): at most three
    assert 1 <= len(explanation.drivers) <= 3
    assert all("all customers" in d and any(ch.isdigit() for ch in d) for d in explanation.drivers)
    assert 0 <= explanation.confidence <= 1
    assert explanation.facts["preferred_channel"] in {"web", "catalog", "store"}


def test_publishing_switches_the_live_model_only_then(generated_file, tmp_path):
    result = train(generated_file, tmp_path, TrainingOptions(algorithm="kmeans", refits=2))
    assert live_version(tmp_path) is None
    publish(result, tmp_path)
    assert load_live_model(tmp_path).version == result.model.version
    with pytest.raises(DataError):
        train(tmp_path / "missing.csv", tmp_path, TrainingOptions())
    assert live_version(tmp_path) == result.model.version


def test_incompatible_artifact_gets_a_clear_error(generated_file, tmp_path):
    result = train(generated_file, tmp_path, TrainingOptions(algorithm="kmeans", refits=2))
    path = model_path(tmp_path, result.model.version)
    import zipfile

    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("model.json", '{"format": 999, "model": null}')
        archive.writestr("arrays.npz", b"")
    with pytest.raises(ModelError, match="format 999"):
        load_model(path)
    path.write_bytes(b"garbage")
    with pytest.raises(ModelError, match="incompatible version"):
        load_model(path)
    with pytest.raises(ModelError, match="no trained model"):
        load_live_model(tmp_path / "empty")


TRAIN_KEYS = {
    "model_version",
    "algorithm",
    "k",
    "metrics",
    "rows",
    "segments",
    "candidates",
    "response_model",
    "warnings",
}


def test_customers_from_orders_derived_on_dask_train_the_local_model(tmp_path):
    """train --engine dask on order lines: the customers and counted orders derived on the
    cluster give the model (segments, sizes, personas, labels) and the lifetime model the local
    engine gives."""
    from distributed import Client, LocalCluster

    from smartcart.engine.data import load_order_customers_on_dask
    from smartcart.engine.orders import write_orders

    folder = write_orders(tmp_path / "lines", 600, seed=5, customers_per_part=200)
    options = TrainingOptions(algorithm="kmeans", k=4, refits=2)
    local = train(folder, tmp_path / "local", options)
    with (
        LocalCluster(n_workers=1, threads_per_worker=2, processes=False) as cluster,
        Client(cluster) as client,
    ):
        data, totals = load_order_customers_on_dask(client, folder)
    on_dask = train(folder, tmp_path / "dask", options, data=data, totals=totals)
    assert len(data.customers) == len(local.data.customers) > 500
    assert [s["size"] for s in on_dask.model.segments] == [s["size"] for s in local.model.segments]
    assert [s["name"] for s in on_dask.model.segments] == [s["name"] for s in local.model.segments]
    assert (on_dask.labels == local.labels).all()
    assert data.rows == local.data.rows and data.as_of == local.data.as_of
    fitted = on_dask.model.lifetime_model.to_dict()
    assert fitted["customers"] == local.model.lifetime_model.to_dict()["customers"]
    assert fitted["params"] == pytest.approx(local.model.lifetime_model.to_dict()["params"])
