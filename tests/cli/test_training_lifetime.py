"""Training and scoring on order data with the lifetime model beside the segments
(smartcart/engine/training.py, scoring/streaming.py, cli/training.py): `train --json`'s
`lifetime_model` and `lifetime_note`, the lifetime columns in `score --out` and the store, and a
fit that fails (a parameter at a bound, or no convergence) failing the training with the live
model and the stored customers kept."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from smartcart.cli import main
from smartcart.engine.lifetime import BG_NBD_PARAMS, LIFETIME_COLUMNS
from smartcart.engine.lifetime import model as lifetime_model
from smartcart.engine.lifetime.optimise import maximise
from smartcart.engine.model import live_version, load_live_model
from smartcart.engine.store import Store


def run(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def env(settings_env, tmp_path, monkeypatch):
    monkeypatch.setenv("SMARTCART_DATABASE_URL", f"sqlite:///{tmp_path / 'store.db'}")
    monkeypatch.setenv("SMARTCART_MODEL_DIR", str(tmp_path / "models"))
    return tmp_path


def generated(folder, customers: int):
    made = run("generate", "--orders", "--customers", str(customers), "--out", str(folder))
    assert made.exit_code == 0, made.output
    return folder


def train_json(data) -> dict:
    trained = run("train", "--data", str(data), "--refits", "2", "--algorithm", "kmeans", "--json")
    assert trained.exit_code == 0, trained.output
    return json.loads(trained.output)


def test_order_training_fits_the_lifetime_model_and_scores_carry_its_columns(env):
    lines = generated(env / "lines", 700)
    summary = train_json(lines)
    lifetime = summary["lifetime_model"]
    assert summary["lifetime_note"] is None
    assert lifetime["model"] == "bg_nbd+gamma_gamma" and "holdout" not in lifetime
    assert set(lifetime["params"]) == {"r", "alpha", "a", "b", "p", "q", "gamma"}
    assert lifetime["customers"] == summary["rows"]["used"]
    assert load_live_model(env / "models").lifetime_model.to_dict() == lifetime

    stored = Store(f"sqlite:///{env / 'store.db'}").all_customers()
    assert (
        set(stored["churn_risk"]) <= {"low", "medium", "high"}
        and stored["churn_risk"].notna().all()
    )
    assert (stored["predicted_clv_365d"] >= 0).all()
    # historic value is the revenue of the counted orders, the figure the personas use too
    np.testing.assert_allclose(stored["historic_clv"], stored["revenue"], rtol=1e-9)

    out = env / "scores.csv"
    scored = run("score", "--data", str(lines), "--out", str(out))
    assert scored.exit_code == 0, scored.output
    scores = pd.read_csv(out)
    assert list(scores.columns[-len(LIFETIME_COLUMNS) :]) == list(LIFETIME_COLUMNS)
    merged = scores.merge(stored, left_on="customer_id", right_on="ID")
    np.testing.assert_allclose(merged["predicted_clv_365d_x"], merged["predicted_clv_365d_y"])
    assert (merged["churn_risk_x"] == merged["churn_risk_y"]).all()
    high = scores[scores["churn_risk"] == "high"]["probability_alive"]
    assert (high < 0.3).all() and len(high) > 0
    assert (pd.to_datetime(scores["expected_next_order_at"]) > pd.Timestamp("2020-01-01")).all()
    exports_filter_by_churn_risk_and_top_value(env, stored, scores)


def exports_filter_by_churn_risk_and_top_value(env, stored, scores) -> None:
    """`smartcart export --churn-risk` and `--top-clv` (with a campaign's holdout as before)."""
    persona = scores["persona"].value_counts().index[0]
    members = scores[scores["persona"] == persona]
    high = env / "high.csv"
    made = run("export", persona, "--out", str(high), "--churn-risk", "high")
    wanted = set(members.loc[members["churn_risk"] == "high", "customer_id"])
    if wanted:
        assert made.exit_code == 0, made.output
        assert set(pd.read_csv(high)["customer_id"]) == wanted
    top = env / "top.csv"
    args = ["--top-clv", "10%", "--campaign", "vip", "--holdout", "20%"]
    made = run("export", persona, "--out", str(top), *args)
    assert made.exit_code == 0, made.output
    table = pd.read_csv(top)
    assert len(table) == -(-len(members) // 10) and set(table["group"]) <= {"target", "control"}
    assert table["predicted_clv_365d"].min() >= members["predicted_clv_365d"].median()
    for option, value in (("--churn-risk", "later"), ("--top-clv", "ten")):
        bad = run("export", persona, "--out", str(env / "bad.csv"), option, value)
        assert bad.exit_code == 1 and len(bad.output.strip().splitlines()) == 1, bad.output


def test_a_thin_history_trains_without_a_lifetime_model_and_says_why(env):
    summary = train_json(generated(env / "lines", 150))
    assert summary["lifetime_model"] is None
    assert summary["lifetime_note"].startswith("no lifetime model: the history is too thin (")
    assert "lifetime value needs at least 500" in summary["lifetime_note"]
    stored = Store(f"sqlite:///{env / 'store.db'}").all_customers()
    assert "churn_risk" not in stored.columns


def test_the_study_tables_train_json_has_no_lifetime_keys(env, generated_file):
    summary = train_json(generated_file)
    assert "lifetime_model" not in summary and "lifetime_note" not in summary


def test_a_lifetime_fit_that_fails_fails_the_training_and_the_live_model_stays(env):
    train_json(generated(env / "lines", 150))
    version = live_version(env / "models")
    # 600 customers each buying every 10 days, none ever stopping: the dropout runs to a bound
    days = pd.date_range("2024-01-01", periods=30, freq="10D")
    orders = pd.DataFrame(
        {
            "order_id": np.arange(600 * len(days)),
            "customer_id": np.repeat([f"C{i}" for i in range(600)], len(days)),
            "ordered_at": np.tile(days.strftime("%Y-%m-%d"), 600),
            "amount": np.tile(np.linspace(10, 40, len(days)), 600).round(2),
        }
    )
    bad = env / "steady.csv"
    orders.to_csv(bad, index=False)
    failed = run("train", "--data", str(bad), "--refits", "2", "--algorithm", "kmeans")
    assert failed.exit_code == 1 and "Traceback" not in failed.output
    (line,) = [x for x in failed.output.splitlines() if x.startswith("Error")]
    assert "edge of the allowed range" in line or "did not converge" in line
    assert live_version(env / "models") == version


def test_a_fit_that_does_not_converge_is_reported_and_never_published(env, monkeypatch):
    train_json(generated(env / "lines", 150))
    version = live_version(env / "models")
    stored = Store(f"sqlite:///{env / 'store.db'}")
    before = stored.count_customers()

    def not_converging(frequency, recency, T, weights=None):
        # The optimiser's own report of a likelihood it cannot evaluate (no iteration made).
        return maximise(
            "BG/NBD",
            BG_NBD_PARAMS,
            np.zeros(len(BG_NBD_PARAMS)),
            lambda theta: (float("nan"), np.zeros_like(theta)),
            1.0,
            len(np.asarray(frequency)),
            "a hint",
        )

    monkeypatch.setattr(lifetime_model, "fit_bg_nbd", not_converging)
    failed = run("train", "--data", str(generated(env / "rich", 700)), "--refits", "2", "--json")
    assert failed.exit_code == 1 and "Traceback" not in failed.output
    (line,) = [x for x in failed.output.splitlines() if x.startswith("Error")]
    assert "BG/NBD: the likelihood maximisation did not converge" in line
    assert live_version(env / "models") == version
    assert stored.count_customers() == before
    stored.engine.dispose()
