"""The order path on the command line: `generate --orders`, `mapping suggest` of an order file,
`customers` (smartcart/cli/orders.py, smartcart/cli/data.py), and `train` / `score` taking
order lines, with a bad file failing in one line and changing nothing stored."""

from __future__ import annotations

import pandas as pd
from click.testing import CliRunner

from smartcart.cli import main
from smartcart.engine.model import live_version
from tests.support.orders import ORDERS, write_shopify


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_generate_suggest_and_customers(tmp_path):
    export = tmp_path / "orders_export.csv"
    made = run(
        "generate", "--orders", "--layout", "shopify", "--customers", "50", "--out", str(export)
    )
    assert made.exit_code == 0 and "shopify order lines of 50 customers" in made.output
    draft = run("mapping", "suggest", str(export))
    assert draft.exit_code == 0
    assert "Recognised as: Shopify orders export (79 columns)" in draft.output
    assert "Income" not in draft.output
    out = tmp_path / "customers.parquet"
    derived = run("customers", "--data", str(export), "--out", str(out))
    assert derived.exit_code == 0, derived.output
    table = pd.read_parquet(out)
    assert table["customer_id"].str.endswith("@example.com").all()
    assert {"orders", "revenue", "recency_days", "discount_share"} <= set(table.columns)
    assert f"{len(table):,} customers" in derived.output


def test_customers_as_of_and_csv(tmp_path):
    export = write_shopify(tmp_path / "orders_export.csv", ORDERS, columns=75)
    out = tmp_path / "customers.csv"
    derived = run("customers", "--data", str(export), "--out", str(out), "--as-of", "2024-06-05")
    assert derived.exit_code == 0, derived.output
    table = pd.read_csv(out)
    assert list(table["customer_id"]) == ["ann@example.com"]  # the others ordered later
    assert table["recency_days"].iloc[0] == 4
    wrong = run("customers", "--data", str(export), "--out", str(tmp_path / "c.txt"))
    assert wrong.exit_code != 0 and "name it .parquet or .csv" in wrong.output


def test_train_and_score_take_order_lines_and_a_bad_file_changes_nothing(
    settings_env, tmp_path, monkeypatch
):
    monkeypatch.setenv("SMARTCART_DATABASE_URL", f"sqlite:///{tmp_path / 'store.db'}")
    monkeypatch.setenv("SMARTCART_MODEL_DIR", str(tmp_path / "models"))
    lines = tmp_path / "lines"
    assert run("generate", "--orders", "--customers", "200", "--out", str(lines)).exit_code == 0
    trained = run("train", "--data", str(lines), "--refits", "2", "--algorithm", "kmeans")
    assert trained.exit_code == 0, trained.output
    assert "Champions" in trained.output or "At Risk" in trained.output
    version = live_version(tmp_path / "models")
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "customer_id,order_id,ordered_at,amount,currency\nC1,1,2024-01-01,10,USD\n"
        "C2,2,2024-01-02,5,EUR\n"
    )
    for command in ("train", "score"):
        failed = run(command, "--data", str(bad))
        assert failed.exit_code == 1
        assert "Traceback" not in failed.output
        (line,) = [x for x in failed.output.splitlines() if x.startswith("Error")]
        assert "several currencies in column 'currency'" in line and "line 3" in line
    assert live_version(tmp_path / "models") == version
    out = tmp_path / "scores.csv"
    scored = run("score", "--data", str(lines), "--out", str(out))
    assert scored.exit_code == 0, scored.output
    scores = pd.read_csv(out)
    assert list(scores.columns[:2]) == ["customer_id", "customer_key"]
    assert scores["customer_key"].str.startswith("C").all() and len(scores) > 150
