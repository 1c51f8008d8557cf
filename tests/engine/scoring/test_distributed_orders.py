"""The Dask engine on a Parquet folder of order lines agrees with the local one: `score`
derives the customers on the cluster and scores them there (same totals, personas and columns,
the lifetime ones included; forgotten customers left out and counted), `train` fits the same
lifetime model, and a model of the other contract is one line on either engine."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from smartcart.engine.data.synthetic.generate import generate_customers
from smartcart.engine.lifetime import LIFETIME_COLUMNS
from smartcart.engine.orders import write_orders
from smartcart.engine.scoring.dask_engine import QUARANTINE_FILE, SCORE_COLUMNS
from tests.engine.scoring.test_distributed import sorted_scores, train_locally
from tests.support import run_cli

PARTS = 3
KEY = "dask-orders-test-erasure-key-0123"
TRAIN = ("train", "--algorithm", "kmeans", "--refits", "2", "--json")


@pytest.fixture(scope="module")
def lines(tmp_path_factory) -> Path:
    """600 customers' order lines (enough for the lifetime model) in PARTS files, two of
    them quarantined (a negative amount on a line that is no refund)."""
    folder = tmp_path_factory.mktemp("orders") / "lines"
    write_orders(folder, 600, seed=5, customers_per_part=600 // PARTS)
    last = sorted(folder.iterdir())[-1]
    frame = pd.read_parquet(last)
    frame.loc[[3, 30], "amount"] = -1.0
    frame.to_parquet(last)
    return folder


@pytest.fixture(scope="module")
def customer_table(tmp_path_factory) -> Path:
    frame = generate_customers(400, seed=2)
    frame["Dt_Customer"] = pd.to_datetime(frame["Dt_Customer"], format="%d-%m-%Y")
    folder = tmp_path_factory.mktemp("customers") / "table"
    folder.mkdir()
    frame.to_parquet(folder / "customers.parquet", index=False)
    return folder


def scored(tmp_path, monkeypatch, *args: str) -> dict:
    result = run_cli(tmp_path, monkeypatch, "score", *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def refused(tmp_path, monkeypatch, *args: str) -> str:
    """The one line a refused `score` prints; nothing is written to --out."""
    result = run_cli(tmp_path, monkeypatch, "score", *args, "--out", "refused")
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert not (tmp_path / "refused").exists()
    assert [p.name for p in tmp_path.iterdir() if "partial" in p.name] == []
    return result.output.strip()


def test_dask_scores_order_lines_as_the_local_engine(
    lines, customer_table, scheduler, tmp_path, monkeypatch
):
    train_locally(tmp_path, monkeypatch, lines)
    monkeypatch.setenv("SMARTCART_ERASURE_KEY", KEY)
    dask = ("--engine", "dask", "--scheduler", scheduler)
    local = scored(tmp_path, monkeypatch, "--data", str(lines), "--out", "local")
    on_dask = scored(tmp_path, monkeypatch, *dask, "--data", str(lines), "--out", "dask")
    assert on_dask == local and "forgotten" not in on_dask
    assert on_dask["rows"]["quarantined"] == 2
    stray = pd.read_csv(tmp_path / "dask" / QUARANTINE_FILE)
    assert list(stray.columns) == ["order_id", "reason"] and len(stray) == 2
    assert on_dask["rows"]["read"] == sum(len(pd.read_parquet(f)) for f in lines.iterdir())
    assert len(list((tmp_path / "dask").glob("part.*.parquet"))) == PARTS
    scores = sorted_scores(tmp_path / "dask")
    pd.testing.assert_frame_equal(scores, sorted_scores(tmp_path / "local"))
    key_first = [SCORE_COLUMNS[0], "customer_key", *SCORE_COLUMNS[1:]]
    assert list(scores.columns) == [*key_first, *LIFETIME_COLUMNS]
    assert scores["churn_risk"].notna().all() and len(scores) == on_dask["rows"]["used"]

    gone = scores["customer_key"].iloc[0]  # erased on request: both engines leave them out
    assert run_cli(tmp_path, monkeypatch, "forget", gone).exit_code == 0
    local = scored(tmp_path, monkeypatch, "--data", str(lines), "--out", "local-2")
    on_dask = scored(tmp_path, monkeypatch, *dask, "--data", str(lines), "--out", "dask-2")
    assert on_dask == local and on_dask["forgotten"] == 1
    assert on_dask["rows"]["used"] == len(scores) - 1
    assert gone not in set(pd.read_parquet(tmp_path / "dask-2")["customer_key"])

    # an order model on a customer table
    for engine in ((), dask):
        line = refused(tmp_path, monkeypatch, *engine, "--data", str(customer_table))
        assert line.startswith(f"Error: {customer_table}: a customer table, but model ")
        assert "was trained on order lines" in line and "\n" not in line


def test_a_customer_table_model_refuses_order_lines_on_either_engine(
    lines, customer_table, scheduler, tmp_path, monkeypatch
):
    train_locally(tmp_path, monkeypatch, customer_table)
    for engine in ((), ("--engine", "dask", "--scheduler", scheduler)):
        line = refused(tmp_path, monkeypatch, *engine, "--data", str(lines))
        assert line.startswith(f"Error: {lines}: order lines, but model ")
        assert "was trained on a customer table" in line and "\n" not in line


def test_dask_training_on_order_lines_fits_the_local_lifetime_model(
    lines, scheduler, tmp_path, monkeypatch
):
    local = run_cli(tmp_path / "local", monkeypatch, *TRAIN, "--data", str(lines))
    assert local.exit_code == 0, local.output
    dask = ("--engine", "dask", "--scheduler", scheduler, "--data", str(lines))
    on_dask = run_cli(tmp_path / "dask", monkeypatch, *TRAIN, *dask)
    assert on_dask.exit_code == 0, on_dask.output
    expected, got = json.loads(local.stdout), json.loads(on_dask.stdout)
    assert got["lifetime_note"] is expected["lifetime_note"] is None
    lifetime, local_lifetime = got["lifetime_model"], expected["lifetime_model"]
    assert lifetime["params"] == pytest.approx(local_lifetime["params"], rel=1e-6)
    assert lifetime == {**local_lifetime, "params": lifetime["params"]} | {
        "log_likelihood": pytest.approx(local_lifetime["log_likelihood"], rel=1e-9)
    }
    assert got["rows"] == expected["rows"] and got["segments"] == expected["segments"]
