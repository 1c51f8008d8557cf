"""The order path on the command line: `generate --orders`, `mapping suggest` of an order file,
`customers` (smartcart/cli/orders.py, smartcart/cli/data.py), and `train` / `score` taking
order lines, with a bad file failing in one line and changing nothing stored; `customers` of
order lines in a database (SQLite, and PostgreSQL when it is reachable)."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from click.testing import CliRunner

from smartcart.cli import main
from smartcart.engine.model import live_version
from tests.support import run_cli
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


def test_customers_from_order_lines_in_a_database(database_url, tmp_path, monkeypatch):
    """`customers --data URL --table/--query`, on SQLite and PostgreSQL, in the database's own
    types. Worked by hand: as of 2024-06-10 (B's cancelled order of the 12th does not count),
    A has orders 1 (20 + 10) and 2 (15): 2 orders, revenue 45, last on 06-01 (9 days), first
    on 05-01 (40 days); B has 1 order of 40 that day."""
    engine = sa.create_engine(database_url)
    pd.DataFrame(
        {
            "customer_id": ["A", "A", "A", "B", "B"],
            "order_id": ["1", "1", "2", "3", "4"],
            "ordered_at": pd.to_datetime(
                ["2024-05-01 10:00", "2024-05-01 10:00", "2024-06-01 09:30", "2024-06-10 18:00"]
                + ["2024-06-12 08:00"]
            ),
            "amount": [20.0, 10.0, 15.0, 40.0, 100.0],
            "status": ["paid", "paid", "paid", "paid", "cancelled"],
        }
    ).to_sql("order_lines", engine, index=False)
    pd.DataFrame({"ID": [1, 2], "Income": [50_000, 60_000]}).to_sql("people", engine, index=False)
    engine.dispose()
    out = tmp_path / "customers.parquet"
    args = ("customers", "--data", database_url, "--out", str(out))
    derived = run_cli(tmp_path / "run", monkeypatch, *args, "--table", "order_lines")
    assert derived.exit_code == 0, derived.output
    table = pd.read_parquet(out).set_index("customer_id")
    assert list(table.index) == ["A", "B"] and "as of 2024-06-10" in derived.output
    assert list(table["orders"]) == [2, 1] and list(table["revenue"]) == [45.0, 40.0]
    assert list(table["recency_days"]) == [9, 0] and table.loc["A", "tenure_days"] == 40
    only_a = run_cli(tmp_path / "run", monkeypatch, *args, "--query", QUERY_A)
    assert only_a.exit_code == 0, only_a.output
    assert pd.read_parquet(out)["recency_days"].tolist() == [0]  # as of A's latest order
    out.unlink()
    people = run_cli(tmp_path / "run", monkeypatch, *args, "--table", "people")
    assert_one_error(people, "#people: its rows are not order lines")
    assert "its columns: ID, Income" in people.output and not out.exists()


QUERY_A = "SELECT * FROM order_lines WHERE customer_id = 'A'"


def test_customers_from_a_database_that_cannot_be_reached(tmp_path, monkeypatch):
    out = tmp_path / "customers.parquet"
    for url in (f"sqlite:///{tmp_path / 'nowhere.db'}", "postgresql+psycopg://x@127.0.0.1:1/x"):
        failed = run_cli(tmp_path, monkeypatch, "customers", "--data", url, "--out", str(out))
        assert_one_error(failed, "#customers: cannot be read (")
    assert not out.exists() and not (tmp_path / "nowhere.db").exists()  # SQLite made none


def assert_one_error(result, text: str) -> None:
    assert result.exit_code == 1 and "Traceback" not in result.output
    (line,) = [x for x in result.output.splitlines() if x.startswith("Error")]
    assert text in line, result.output
