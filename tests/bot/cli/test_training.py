"""`smartcart train`, `score` and `model` (bot/cli/training.py): the JSON contract, one-line errors, mappings."""

from __future__ import annotations

import json

from click.testing import CliRunner

from bot.cli import main
from bot.settings import load_settings
from segmentation.artifact import live_version
from tests.segmentation.test_mapping import cli as mapping_cli
from tests.segmentation.test_training import TRAIN_KEYS, cli, train_quickly


def test_train_json_contract_and_model_card(generated_file, tmp_path, monkeypatch):
    result = cli(
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
    card = cli(tmp_path, monkeypatch, "model", "--json")
    assert json.loads(card.stdout)["model_version"] == payload["model_version"]


def test_cli_bad_file_one_line_and_live_model_kept(generated_file, tmp_path, monkeypatch):
    ok = train_quickly(tmp_path, monkeypatch, generated_file)
    assert ok.exit_code == 0, ok.output
    version = live_version(tmp_path / "models")
    bad = tmp_path / "bad.csv"
    bad.write_text("name,email\nann,a@example.com\n")
    failed = cli(tmp_path, monkeypatch, "train", "--data", str(bad))
    assert failed.exit_code != 0
    assert "Traceback" not in failed.output
    errors = [line for line in failed.output.splitlines() if line.startswith("Error")]
    assert len(errors) == 1 and "bad.csv" in errors[0]
    assert live_version(tmp_path / "models") == version
    missing = cli(tmp_path, monkeypatch, "train", "--data", str(tmp_path / "nope.csv"))
    assert missing.exit_code != 0 and "file not found" in missing.output


def test_cli_score_stores_assignments(generated_file, tmp_path, monkeypatch):
    train_quickly(tmp_path, monkeypatch, generated_file)
    result = cli(tmp_path, monkeypatch, "score", "--data", str(generated_file), "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert sum(payload["personas"].values()) == payload["rows"]["used"]


def test_cli_train_and_score_take_mapping_option_and_setting(
    crm_file, mapping_file, tmp_path, monkeypatch
):
    quick = ("--algorithm", "kmeans", "--refits", "2", "--json")
    trained = mapping_cli(
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
    unmapped = mapping_cli(tmp_path, monkeypatch, "score", "--data", str(crm_file))
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
