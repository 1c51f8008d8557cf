"""Long work shows a bar with rows done and an estimate on a terminal, and nothing extra with
--json or when not on a terminal (a pipe, a log, CI)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from smartcart.cli import main
from tests.support.contacts import write_contacts
from tests.support.terminal import run_on_a_terminal

SMARTCART = str(Path(sys.executable).parent / "smartcart")


@pytest.fixture
def scoring_env(trained, tmp_path) -> dict[str, str]:
    return {
        **os.environ,
        "SMARTCART_MODEL_DIR": str(trained.artifact.parent.parent),
        "SMARTCART_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}",
        "COLUMNS": "120",
    }


def score_args(trained) -> list[str]:
    return [SMARTCART, "score", "--data", trained.data.source, "--chunk-rows", "1000"]


def test_score_on_a_terminal_shows_rows_done_and_an_estimate(trained, scoring_env, tmp_path):
    done, text = run_on_a_terminal(score_args(trained), scoring_env, tmp_path)
    assert done.returncode == 0, done.stdout
    total = len(trained.data.customers) + len(trained.data.quarantine)
    assert "Scoring" in text and f"{total}/{total}" in text


def test_score_off_a_terminal_or_with_json_prints_nothing_extra(trained, scoring_env, tmp_path):
    piped = subprocess.run(
        score_args(trained),
        env=scoring_env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=180,
    )
    assert piped.returncode == 0, piped.stderr
    assert "Scoring" not in piped.stderr and "·" not in piped.stderr
    as_json = subprocess.run(
        [*score_args(trained), "--json"],
        env=scoring_env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=180,
    )
    assert as_json.returncode == 0, as_json.stderr
    json.loads(as_json.stdout)  # stdout is the JSON object alone
    assert "Scoring" not in as_json.stderr


def test_train_on_a_terminal_shows_customers_stored_and_nothing_extra_with_json(
    trained, scoring_env, tmp_path
):
    args = [SMARTCART, "train", "--data", trained.data.source, "--k", "4", "--refits", "2"]
    done, text = run_on_a_terminal(args, scoring_env, tmp_path, timeout=300)
    assert done.returncode == 0, done.stdout
    customers = len(trained.data.customers)
    assert "Storing customers" in text and f"{customers}/{customers}" in text
    done, text = run_on_a_terminal([*args, "--json"], scoring_env, tmp_path, timeout=300)
    assert done.returncode == 0, done.stdout
    json.loads(done.stdout)
    assert "Storing customers" not in text and "·" not in text


def test_generate_shows_rows_written_on_a_terminal_only(tmp_path):
    env = {**os.environ, "COLUMNS": "120"}
    args = [SMARTCART, "generate", "--rows", "2500", "--out", str(tmp_path / "c.csv")]
    done, text = run_on_a_terminal(args, env, tmp_path)
    assert done.returncode == 0, done.stdout
    assert "Generating customers" in text and "2500/2500" in text
    orders = [SMARTCART, "generate", "--orders", "--rows", "300", "--out", str(tmp_path / "o")]
    done, text = run_on_a_terminal(orders, env, tmp_path)
    assert done.returncode == 0, done.stdout
    assert "Generating customers' orders" in text and "300/300" in text
    piped = subprocess.run(args, env=env, capture_output=True, text=True, cwd=tmp_path)
    assert piped.returncode == 0 and piped.stderr == ""


def test_customers_shows_each_pass_over_the_order_lines(tmp_path):
    env = {
        **os.environ,
        "COLUMNS": "120",
        "SMARTCART_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}",
        "SMARTCART_MODEL_DIR": str(tmp_path / "models"),
    }
    lines = tmp_path / "orders"
    made = [SMARTCART, "generate", "--orders", "--rows", "400", "--out", str(lines)]
    subprocess.run(made, env=env, check=True, capture_output=True, cwd=tmp_path)
    total = sum(pq.ParquetFile(p).metadata.num_rows for p in lines.glob("*.parquet"))
    args = [SMARTCART, "customers", "--data", str(lines), "--out", str(tmp_path / "c.parquet")]
    done, text = run_on_a_terminal(args, env, tmp_path)
    assert done.returncode == 0, done.stdout
    assert "Checking order lines" in text and "Customers from order lines" in text
    assert f"{total}/{total}" in text
    piped = subprocess.run(args, env=env, capture_output=True, text=True, cwd=tmp_path)
    assert piped.returncode == 0 and piped.stderr == ""


def test_export_with_contacts_shows_the_contacts_checked(
    engine_settings, trained, tmp_path, monkeypatch
):
    ids = [int(i) for i in trained.data.customers["ID"]]
    write_contacts(ids, tmp_path / "contacts.parquet")
    monkeypatch.setattr("smartcart.cli.common.on_terminal", lambda: True)
    args = ["export", "premium", "--out", str(tmp_path / "meta.csv"), "--format", "meta"]
    result = CliRunner().invoke(main, [*args, "--contacts", str(tmp_path / "contacts.parquet")])
    assert result.exit_code == 0, result.output
    assert "Checking contacts" in result.stderr  # the bar's label (CliRunner is no terminal)
