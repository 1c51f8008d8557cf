"""`smartcart train`, `score` and `model` (smartcart/cli/training.py): the JSON contract, one-line errors, mappings."""

from __future__ import annotations

import json

from click.testing import CliRunner

from smartcart.cli import main
from smartcart.engine.model.artifact import live_version
from smartcart.slack.settings import load_settings
from tests.engine.test_training import TRAIN_KEYS
from tests.support import run_cli, train_quickly


def test_train_json_contract_and_model_card(generated_file, tmp_path, monkeypatch):
    result = run_cli(
        tmp_path,
        monkeypatch,
        "train",
        "--data",
        str(generated_file),
        "--json",
        "--algorithm",
        "kmeans",
        "--refits",
        "3",
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert set(payload) == TRAIN_KEYS
    assert set(payload["metrics"]) == {
        "silhouette",
        "calinski_harabasz",
        "davies_bouldin",
        "stability_ari",
        "assignment_agreement",
    }
    assert set(payload["rows"]) == {"read", "used", "quarantined"}
    for segment in payload["segments"]:
        assert {
            "persona",
            "name",
            "size",
            "share",
            "revenue_share",
            "response_rate",
            "profile",
        } <= set(segment)
        assert {
            "Income",
            "TotalSpending",
            "Children",
            "NumWebVisitsMonth",
            "NumDealsPurchases",
        } <= set(segment["profile"])
    for candidate in payload["candidates"]:
        assert {"algorithm", "k", "silhouette", "stability_ari"} <= set(candidate)
    card = run_cli(tmp_path, monkeypatch, "model", "--json")
    assert json.loads(card.stdout)["model_version"] == payload["model_version"]


def key_order(value: object) -> object:
    """The keys of every object, in order, at every level (a list by its first element)."""
    if isinstance(value, dict):
        return [(key, key_order(item)) for key, item in value.items()]
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return [key_order(value[0])]
    return None


def keys(*names: str) -> list:
    return [(name, None) for name in names]


PROFILE = keys(
    "Income",
    "TotalSpending",
    "TotalPurchases",
    "Children",
    "FamilySize",
    "LivingWithPartner",
    "EducationLevel",
    "Age",
    "Tenure",
    "Recency",
    "AcceptedCampaigns",
    "NumWebVisitsMonth",
    "NumDealsPurchases",
    "DealShare",
    "NumWebPurchases",
    "NumCatalogPurchases",
    "NumStorePurchases",
    "MntWines",
    "MntFruits",
    "MntMeatProducts",
    "MntFishProducts",
    "MntSweetProducts",
    "MntGoldProds",
)
# `train --json` as README documents it, key by key in the order printed before the typed card.
TRAIN_JSON_KEYS = [
    *keys("model_version", "algorithm", "k"),
    (
        "metrics",
        keys(
            "silhouette",
            "calinski_harabasz",
            "davies_bouldin",
            "stability_ari",
            "assignment_agreement",
        ),
    ),
    ("rows", keys("read", "used", "quarantined")),
    (
        "segments",
        [
            [
                *keys("persona", "name", "size", "share", "revenue_share", "response_rate"),
                ("profile", PROFILE),
            ]
        ],
    ),
    (
        "candidates",
        [
            keys(
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
        ],
    ),
    ("response_model", keys("auc", "top_decile_lift", "base_rate", "brier", "estimator")),
    ("warnings", None),  # issue 19: profiles contradicting descriptions, unmatched segments
]
# `model --json` (the whole card) of a local training, in the order printed before it was typed.
MODEL_JSON_KEYS = [
    "model_version",
    "trained_at",
    "data",
    "rows",
    "as_of",
    "notes",
    "algorithm",
    "k",
    "requested",
    "selection",
    "elbow_k",
    "refits",
    "inputs",
    "metrics",
    "personas",
    "missing_personas",
    "library_versions",
    "evaluation",
    "base_response_rate",
    "response_model",
]


def test_train_and_model_json_keys_are_unchanged(generated_file, tmp_path, monkeypatch):
    quick = ("--algorithm", "kmeans", "--refits", "2", "--json")
    trained = run_cli(tmp_path, monkeypatch, "train", "--data", str(generated_file), *quick)
    assert trained.exit_code == 0, trained.output
    assert key_order(json.loads(trained.stdout)) == TRAIN_JSON_KEYS
    card = json.loads(run_cli(tmp_path, monkeypatch, "model", "--json").stdout)
    assert list(card) == MODEL_JSON_KEYS
    assert [key for key, _ in key_order(card["evaluation"])] == [
        "rows",
        "sample_rows",
        "refit_rows",
        "refits",
        "jobs",
        "stability_measured",
        "stability_skipped",
        "final_fit",
    ]
    assert list(card["data"]) == ["source", "sha256", "dialect"]
    assert list(card["requested"]) == ["algorithm", "k"]
    assert list(card["metrics"]) == [
        "silhouette",
        "calinski_harabasz",
        "davies_bouldin",
        "stability_ari",
        "stability_min",
        "assignment_agreement",
    ]


def test_cli_bad_file_one_line_and_live_model_kept(generated_file, tmp_path, monkeypatch):
    ok = train_quickly(tmp_path, monkeypatch, generated_file)
    assert ok.exit_code == 0, ok.output
    version = live_version(tmp_path / "models")
    bad = tmp_path / "bad.csv"
    bad.write_text("name,email\nann,a@example.com\n")
    failed = run_cli(tmp_path, monkeypatch, "train", "--data", str(bad))
    assert failed.exit_code != 0
    assert "Traceback" not in failed.output
    errors = [line for line in failed.output.splitlines() if line.startswith("Error")]
    assert len(errors) == 1 and "bad.csv" in errors[0]
    assert live_version(tmp_path / "models") == version
    missing = run_cli(tmp_path, monkeypatch, "train", "--data", str(tmp_path / "nope.csv"))
    assert missing.exit_code != 0 and "file not found" in missing.output


def test_cli_score_stores_assignments(generated_file, tmp_path, monkeypatch):
    train_quickly(tmp_path, monkeypatch, generated_file)
    result = run_cli(tmp_path, monkeypatch, "score", "--data", str(generated_file), "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert sum(payload["personas"].values()) == payload["rows"]["used"]


def test_cli_train_and_score_take_mapping_option_and_setting(
    crm_file, mapping_file, tmp_path, monkeypatch
):
    quick = ("--algorithm", "kmeans", "--refits", "2", "--json")
    trained = run_cli(
        tmp_path,
        monkeypatch,
        "train",
        "--data",
        str(crm_file),
        "--mapping",
        str(mapping_file),
        *quick,
    )
    assert trained.exit_code == 0, trained.output
    monkeypatch.setenv("SMARTCART_MAPPING", str(mapping_file))
    scored = CliRunner().invoke(main, ["score", "--data", str(crm_file), "--json"])
    assert scored.exit_code == 0, scored.output
    unmapped = run_cli(tmp_path, monkeypatch, "score", "--data", str(crm_file))
    assert unmapped.exit_code != 0 and "Traceback" not in unmapped.output
    assert "smartcart mapping suggest" in unmapped.output
    monkeypatch.setenv("SMARTCART_DATA", str(crm_file))
    digest = CliRunner().invoke(
        main, ["digest", "--dry-run", "--json", "--mapping", str(mapping_file)]
    )
    assert digest.exit_code == 0, digest.output
    assert load_settings().data_source().mapping is None  # the option, not a setting


def test_wrong_mapping_setting_fails_at_start_naming_it(tmp_path, monkeypatch):
    (tmp_path / "m.toml").write_text('[columns]\nWines = "x"\n')
    monkeypatch.setenv("SMARTCART_MAPPING", str(tmp_path / "m.toml"))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["model"])
    assert result.exit_code != 0
    assert "SMARTCART_MAPPING" in result.output and "Wines" in result.output
