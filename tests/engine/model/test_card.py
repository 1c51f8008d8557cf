"""The typed model card (smartcart/engine/model/card.py): its dict is the one the engine wrote before it was
typed (same keys, order and values), and artifacts keep storing that dict (format 2)."""

from __future__ import annotations

import copy
import json
from datetime import date

import joblib
import pytest

from smartcart.engine.errors import ModelError
from smartcart.engine.model.artifact import SegmentModel, load_model
from smartcart.engine.model.card import ModelCard, RowCounts

# A local card as the dict-based engine wrote it on the real 2,240 customers (values copied from
# `smartcart model --json` before the card was typed; persona keys are ints in memory).
LOCAL_CARD = {
    "model_version": "20261127-201127-743",
    "trained_at": "2026-11-27T20:11:27+00:00",
    "data": {
        "source": "/work/shared/data/marketing_campaign.csv",
        "sha256": "6d98e43ed5d6748e5bfb8594f2464956c3a3fa5d058a5a18f6013041774b7b70",
        "dialect": "csv (tab-separated)",
    },
    "rows": {"read": 2240, "used": 2236, "quarantined": 4},
    "as_of": "2014-06-29",
    "notes": [
        "read /work/shared/data/marketing_campaign.csv as csv (tab-separated)",
        "24 customers have no Income: the training median is used",
    ],
    "algorithm": "kmeans",
    "k": 4,
    "requested": {"algorithm": "auto", "k": 4},
    "selection": "highest silhouette among candidates with stability >= 0.8, k=4 as asked",
    "elbow_k": 5,
    "refits": 20,
    "inputs": ["Income", "TotalSpending", "AcceptedCampaigns", "NumDealsPurchases"],
    "metrics": {
        "silhouette": 0.201,
        "calinski_harabasz": 853.3405,
        "davies_bouldin": 1.6333,
        "stability_ari": 0.9571,
        "stability_min": 0.8876,
        "assignment_agreement": 1.0,
    },
    "personas": {0: "premium", 1: "family_budget", 2: "digital_active", 3: "moderate_loyal"},
    "missing_personas": [],
    "library_versions": {
        "python": "3.11.7",
        "scikit-learn": "1.9.1",
        "pandas": "3.1.1",
        "numpy": "2.4.6",
        "joblib": "1.6.0",
    },
    "evaluation": {
        "rows": 2236,
        "sample_rows": 2236,
        "refit_rows": 1789,
        "refits": 20,
        "jobs": 2,
        "stability_measured": "kmeans k=4",
        "stability_skipped": {"the rule only compares candidates at k=4": "kmeans k=2, 3, 5"},
        "final_fit": "K-Means on all 2,236 rows",
    },
    "base_response_rate": 0.14937388193202147,
    "response_model": {
        "auc": 0.9165,
        "top_decile_lift": 4.662,
        "base_rate": 0.1494,
        "brier": 0.0757,
        "estimator": "hist_gradient_boosting",
    },
}

# The Dask engine's card: no evaluation, no response_model key at all, an engine part at the end.
DASK_CARD = {
    **{key: value for key, value in LOCAL_CARD.items() if key not in ("evaluation",)},
    "selection": "k=4 as asked (K-Means candidates only: --engine dask)",
    "requested": {"algorithm": "auto", "k": "auto"},
    "elbow_k": None,
    "metrics": {**LOCAL_CARD["metrics"], "silhouette": None, "stability_min": None},
    "missing_personas": ["moderate_loyal"],
    "base_response_rate": None,
    "engine": {"name": "dask", "sample_rows": 5987, "final_fit": "dask-ml KMeans on all rows"},
}
del DASK_CARD["response_model"]


@pytest.mark.parametrize("card", [LOCAL_CARD, DASK_CARD], ids=["local", "dask"])
def test_the_card_round_trips_to_the_same_dict(card):
    typed = ModelCard.from_dict(copy.deepcopy(card))
    again = typed.as_dict()
    assert again == card
    assert list(again) == list(card)  # the same key order, at every level
    for key, value in card.items():
        if isinstance(value, dict):
            assert list(again[key]) == list(value), key
    assert json.dumps(again) == json.dumps(card)


def test_the_card_is_typed_and_frozen():
    card = ModelCard.from_dict(LOCAL_CARD)
    assert card.rows == RowCounts(read=2240, used=2236, quarantined=4)
    assert card.as_of == date(2014, 6, 29)
    assert card.metrics.stability_ari == 0.9571
    assert card.evaluation.final_fit == "K-Means on all 2,236 rows"
    assert card.response_model.estimator == "hist_gradient_boosting"
    assert card.engine is None and card.personas[0] == "premium"
    with pytest.raises(AttributeError):
        card.k = 5  # type: ignore[misc]
    local_without_response = ModelCard.from_dict({**LOCAL_CARD, "response_model": None})
    assert local_without_response.as_dict()["response_model"] is None  # kept, as null


def test_a_card_with_a_part_it_does_not_know_is_refused():
    with pytest.raises(TypeError):
        ModelCard.from_dict({**LOCAL_CARD, "rows": {**LOCAL_CARD["rows"], "skipped": 1}})
    with pytest.raises(KeyError):
        ModelCard.from_dict({k: v for k, v in LOCAL_CARD.items() if k != "metrics"})


def test_the_artifact_stores_the_card_as_its_dict(trained):
    """Format 3 keeps the card as its plain dict, as format 2 did (readable without the code)."""
    import zipfile

    from smartcart.engine.model.state import from_state

    with zipfile.ZipFile(trained.artifact) as archive:
        document = json.loads(archive.read("model.json"))
    assert document["model"]["$own"] == "SegmentModel"
    state = dict(document["model"]["state"]["$dict"])
    stored = from_state(state["card"], {})
    assert type(stored) is dict
    assert stored == trained.model.card.as_dict()


def test_an_artifact_written_before_the_typed_card_loads(trained, tmp_path, monkeypatch):
    """Written as the dict-based engine wrote it (the card a dict in the model's state)."""
    old = copy.copy(trained.model)
    old.card = trained.model.card.as_dict()
    monkeypatch.delattr(SegmentModel, "__getstate__")
    path = tmp_path / "old.joblib"
    joblib.dump({"format": 2, "versions": old.card["library_versions"], "model": old}, path)
    monkeypatch.undo()
    loaded = load_model(path)
    assert isinstance(loaded.card, ModelCard)
    assert loaded.card == trained.model.card
    assert loaded.card.as_dict() == old.card


def test_an_artifact_whose_card_is_not_one_says_retrain(trained, tmp_path, monkeypatch):
    broken = copy.copy(trained.model)
    broken.card = {"model_version": broken.version}
    monkeypatch.delattr(SegmentModel, "__getstate__")
    path = tmp_path / "broken.joblib"
    joblib.dump({"format": 2, "versions": None, "model": broken}, path)
    monkeypatch.undo()
    with pytest.raises(ModelError, match="retrain with `smartcart train`"):
        load_model(path)


def test_an_order_model_card_names_its_contract_and_persona_set():
    card = ModelCard.from_dict({**LOCAL_CARD, "contract": "orders", "persona_set": "orders"})
    again = card.as_dict()
    assert (again["contract"], again["persona_set"]) == ("orders", "orders")
    assert ModelCard.from_dict(again) == card
    study = ModelCard.from_dict(LOCAL_CARD)  # a card of an earlier release: the study's
    assert (study.contract, study.persona_set) == ("customers", "study")
