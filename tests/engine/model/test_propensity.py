"""The response propensity model: quality on the real data, never `Response` as an input."""

from __future__ import annotations

import json
from dataclasses import asdict

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from sklearn.metrics import roc_auc_score

from smartcart.cli import main
from smartcart.engine.data.loading import load_customers
from smartcart.engine.data.synthetic import generate_customers, write_customers
from smartcart.engine.data.validation import validate
from smartcart.engine.model.propensity import likelihood_words, segment_expectations
from smartcart.engine.scoring.scoring import explain, score
from smartcart.engine.training import TrainingOptions, train
from tests.support import REAL_DATA

needs_real_data = pytest.mark.skipif(not REAL_DATA.exists(), reason="reference data not present")
RESPONSE_KEYS = {"auc", "top_decile_lift", "base_rate", "brier", "estimator"}
QUICK = TrainingOptions(algorithm="kmeans", refits=3)


def split_real_data(folder, share: float = 0.3, seed: int = 11):
    """The real file cut into a training part and a held-out part (same layout, by rows)."""
    lines = REAL_DATA.read_text().splitlines(keepends=True)
    header, rows = lines[0], lines[1:]
    held = set(np.random.default_rng(seed).choice(len(rows), int(len(rows) * share), False))
    train_file, held_file = folder / "train.csv", folder / "held_out.csv"
    train_file.write_text(header + "".join(r for i, r in enumerate(rows) if i not in held))
    held_file.write_text(header + "".join(r for i, r in enumerate(rows) if i in held))
    return train_file, held_file


@pytest.fixture(scope="module")
def real_split(tmp_path_factory):
    if not REAL_DATA.exists():
        pytest.skip("reference data not present")
    folder = tmp_path_factory.mktemp("real-split")
    train_file, held_file = split_real_data(folder)
    return train(train_file, folder / "models", QUICK), held_file


@pytest.fixture(scope="module")
def real_full(tmp_path_factory):
    if not REAL_DATA.exists():
        pytest.skip("reference data not present")
    return train(REAL_DATA, tmp_path_factory.mktemp("real-full"), QUICK)


@needs_real_data
def test_cross_validated_quality_on_the_real_data(real_full):
    figures = real_full.model.card.response_model
    assert set(asdict(figures)) == RESPONSE_KEYS
    assert figures.auc >= 0.88
    assert figures.top_decile_lift >= 4.0
    assert figures.base_rate == pytest.approx(0.149, abs=0.002)
    assert 0 < figures.brier < figures.base_rate * (1 - figures.base_rate)
    assert figures.estimator in real_full.model.response.candidate_auc


@needs_real_data
def test_propensity_ranks_held_out_customers_never_trained_on(real_split):
    result, held_file = real_split
    held = validate(load_customers(held_file), result.model.as_of).customers
    assert not set(held["ID"]) & set(result.data.customers["ID"])
    scores = score(result.model, held)
    assert roc_auc_score(held["Response"], scores["propensity"]) >= 0.85
    top = scores["propensity_decile"] == 10
    assert held["Response"][top.to_numpy()].mean() > 3 * held["Response"].mean()


@needs_real_data
def test_report_has_the_response_section_and_both_charts(real_full):
    report = real_full.report.read_text()
    assert "## Response model" in report and "top-decile lift" in report
    assert "![lift](lift.png)" in report and "![reliability](reliability.png)" in report
    for name in ("lift", "reliability"):
        assert real_full.charts[name].read_bytes().startswith(b"\x89PNG")


def test_response_is_never_an_input_but_earlier_campaigns_are(generated_file, tmp_path):
    result = train(generated_file, tmp_path, QUICK)
    response = result.model.response
    assert "Response" not in response.inputs
    assert {"AcceptedCmp1", "AcceptedCmp5", "AcceptedCampaigns"} <= set(response.inputs)
    customers = result.data.customers
    flipped = customers.assign(Response=1 - customers["Response"])
    without = customers.drop(columns=["Response"])
    expected = response.predict(customers)
    np.testing.assert_array_equal(response.predict(flipped), expected)
    np.testing.assert_array_equal(response.predict(without), expected)


def test_scores_carry_propensity_and_deciles_cut_at_training(generated_file, tmp_path):
    result = train(generated_file, tmp_path, QUICK)
    scores = score(result.model, result.data.customers)
    assert scores["propensity"].between(0, 1).all()
    assert (scores["propensity"] == scores["propensity"].round(3)).all()
    counts = scores["propensity_decile"].value_counts()
    assert set(counts.index) == set(range(1, 11))
    assert counts.between(0.07 * len(scores), 0.13 * len(scores)).all()
    by_decile = scores.groupby("propensity_decile")["propensity"].mean()
    assert by_decile.is_monotonic_increasing
    one = explain(result.model, result.data.customers.iloc[[0]])
    first = result.data.customers.iloc[[0]]
    assert one.propensity == pytest.approx(response_of(result).predict(first)[0], abs=5e-4)
    assert one.likelihood and "to respond" in one.likelihood


def response_of(result):
    return result.model.response


def test_no_response_column_means_no_response_model_with_a_note(tmp_path):
    frame = generate_customers(600, seed=3).drop(columns=["Response"])
    data = tmp_path / "no-response.csv"
    write_customers(frame, data)
    result = train(data, tmp_path / "models", QUICK)
    assert result.model.response is None and result.model.card.response_model is None
    assert any("no response model" in note for note in result.model.card.notes)
    scores = score(result.model, result.data.customers)
    assert "propensity" not in scores.columns
    assert segment_expectations(scores) == {}
    assert "## Response model" in result.report.read_text()
    assert "lift" not in result.charts


def test_train_json_gains_response_model_and_score_out_the_columns(
    generated_file, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SMARTCART_MODEL_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("SMARTCART_DATABASE_URL", f"sqlite:///{tmp_path / 'store.db'}")
    runner = CliRunner()
    trained = runner.invoke(
        main,
        [
            "train",
            "--data",
            str(generated_file),
            "--algorithm",
            "kmeans",
            "--refits",
            "3",
            "--json",
        ],
    )
    assert trained.exit_code == 0, trained.output
    summary = json.loads(trained.stdout)
    assert set(summary["response_model"]) == RESPONSE_KEYS
    assert summary["response_model"]["auc"] > 0.8
    out = tmp_path / "scores.csv"
    scored = runner.invoke(main, ["score", "--data", str(generated_file), "--out", str(out)])
    assert scored.exit_code == 0, scored.output
    frame = pd.read_csv(out)
    assert list(frame.columns[-2:]) == ["propensity", "propensity_decile"]
    assert frame["propensity_decile"].between(1, 10).all()


def test_likelihood_in_plain_words():
    assert likelihood_words(0.62, 10) == "top 10% most likely to respond: 62%"
    assert likelihood_words(0.31, 8) == "top 30% most likely to respond: 31%"
    assert likelihood_words(0.034, 3) == "less likely than most to respond (bottom 30%): 3.4%"


def test_expected_responders_are_the_sum_of_propensities():
    scores = pd.DataFrame(
        {
            "cluster": [0, 0, 0, 1],
            "propensity": [0.5, 0.3, 0.1, 0.9],
            "propensity_decile": [10, 9, 5, 10],
        }
    )
    assert segment_expectations(scores) == {
        0: {"expected_responders": 0.9, "top_decile_share": 0.3333},
        1: {"expected_responders": 0.9, "top_decile_share": 1.0},
    }
