"""`smartcart train --personas` / SMARTCART_PERSONAS and `smartcart personas check`
(smartcart/cli/personas.py)."""

from __future__ import annotations

import json

import pytest

from smartcart.engine.data.synthetic import generate_customers, write_customers
from tests.support import run_cli
from tests.support.personas import FIVE_PERSONAS, IDS, write_personas

QUICK = ("--algorithm", "kmeans", "--refits", "2", "--k", "5")


@pytest.fixture(scope="module")
def data_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "customers.csv"
    write_customers(generate_customers(600, seed=4), path)
    return path


def test_train_with_a_personas_file_then_check_its_rules(tmp_path, monkeypatch, data_file):
    personas, templates = write_personas(tmp_path / "mine")
    monkeypatch.setenv("SMARTCART_TEMPLATES", str(templates))
    args = ("train", "--data", str(data_file), "--personas", str(personas), "--json", *QUICK)
    trained = run_cli(tmp_path, monkeypatch, *args)
    assert trained.exit_code == 0, trained.output
    payload = json.loads(trained.stdout)
    assert isinstance(payload["warnings"], list)
    assert {s["persona"] for s in payload["segments"]} <= set(IDS)

    checked = run_cli(tmp_path, monkeypatch, "personas", "check", "--json")
    assert checked.exit_code == 0, checked.output
    report = json.loads(checked.stdout)
    assert report["persona_set"] == "boutique"
    for segment in report["segments"]:
        assert segment["conditions"]
        assert {"feature", "kind", "holds", "margin", "z"} <= set(segment["conditions"][0])
    text = run_cli(tmp_path, monkeypatch, "personas", "check").output
    assert "persona set 'boutique'" in text and "conditions hold" in text
    assert "needs z > 0" in text


def test_smartcart_personas_is_the_default_and_a_broken_file_stops_train(
    tmp_path, monkeypatch, data_file
):
    broken = FIVE_PERSONAS.replace("NumDealsPurchases = 1.0", "NumDeals = 1.0")
    personas, templates = write_personas(tmp_path / "mine", broken)
    monkeypatch.setenv("SMARTCART_TEMPLATES", str(templates))
    monkeypatch.setenv("SMARTCART_PERSONAS", str(personas))
    result = run_cli(tmp_path, monkeypatch, "train", "--data", str(data_file), *QUICK)
    assert result.exit_code == 1
    (line,) = result.output.strip().splitlines()
    assert line.startswith("Error: ") and "persona 'deal_seekers': unknown feature NumDeals" in line
    assert not (tmp_path / "models").exists()


def test_a_personas_setting_that_does_not_read_names_the_setting(tmp_path, monkeypatch, data_file):
    monkeypatch.setenv("SMARTCART_PERSONAS", str(tmp_path / "nowhere.toml"))
    result = run_cli(tmp_path, monkeypatch, "train", "--data", str(data_file), *QUICK)
    assert result.exit_code == 1
    (line,) = result.output.strip().splitlines()
    assert "SMARTCART_PERSONAS" in line and "nowhere.toml" in line
