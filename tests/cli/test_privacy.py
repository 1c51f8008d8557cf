"""`smartcart forget` (smartcart/cli/privacy.py): a forgotten customer is gone from the answers
and stays gone after the next `score` and `train`, which count them, until `forget --undo`;
without SMARTCART_ERASURE_KEY it refuses in one line (SQLite and PostgreSQL)."""

from __future__ import annotations

import json

import pandas as pd
from click.testing import CliRunner

from smartcart.cli import main

KEY = "cli-test-erasure-key-0123456789"


def smartcart(live, *args: str, key: str | None = KEY):
    env = {**live["env"], "SMARTCART_ERASURE_KEY": key}
    return CliRunner().invoke(main, list(args), env=env)


def two_customers(live) -> tuple[str, str]:
    """A stored customer not in the data file, and one of the file not stored."""
    stored = list(live["trained"].data.customers["ID"].head(300))
    in_file = list(pd.read_csv(live["data"], sep="\t", usecols=["ID"])["ID"])
    only_stored = next(i for i in stored if i not in in_file)
    return str(only_stored), str(next(i for i in in_file if i not in stored))


def test_forget_refuses_without_the_key_in_one_line(live):
    customer = str(int(live["trained"].data.customers["ID"].iloc[0]))
    result = smartcart(live, "forget", customer, key=None)
    assert result.exit_code == 1
    assert result.output.startswith("Error: SMARTCART_ERASURE_KEY is not set")
    assert result.output.count("\n") == 1
    assert live["store"].customer(customer) is not None


def test_a_forgotten_customer_is_gone_from_answers_and_stays_out_of_score(live):
    stored, in_file = two_customers(live)
    assert f"Customer {stored}:" in smartcart(live, "ask", f"customer {stored}").output
    forgotten = smartcart(live, "forget", stored, "--reason", "request 7")
    assert forgotten.exit_code == 0, forgotten.output
    assert forgotten.output.startswith("Forgot forgotten:")
    assert "segment assignments 1," in forgotten.output and "customer rows 1," in forgotten.output
    assert "No customer" in smartcart(live, "ask", f"customer {stored}").output

    assert smartcart(live, "forget", in_file).exit_code == 0
    scored = smartcart(live, "score", "--data", str(live["data"]), "--json")
    assert scored.exit_code == 0, scored.output
    assert json.loads(scored.output)["forgotten"] == 1
    assert live["store"].customer(in_file) is None

    undone = smartcart(live, "forget", "--undo", in_file)
    assert undone.exit_code == 0 and "no longer forgotten" in undone.output
    again = json.loads(smartcart(live, "score", "--data", str(live["data"]), "--json").output)
    assert again["forgotten"] == 0 and live["store"].customer(in_file) is not None
    actions = [e["action"] for e in live["store"].audit_entries()]
    assert actions.count("forget") == 2 and actions.count("forget --undo") == 1


def test_train_leaves_forgotten_customers_out_and_counts_them(live):
    in_file = two_customers(live)[1]
    assert smartcart(live, "forget", in_file, "--json").exit_code == 0
    trained = smartcart(
        live, "train", "--data", str(live["data"]), "--algorithm", "kmeans", "--refits", "2",
        "--json",
    )  # fmt: skip
    assert trained.exit_code == 0, trained.output
    payload = json.loads(trained.output)
    assert payload["forgotten"] == 1
    assert payload["rows"]["used"] + payload["rows"]["quarantined"] == 199
    assert live["store"].customer(in_file) is None
    card = json.loads(smartcart(live, "model", "--json").output)
    assert "1 forgotten customers left out (erased on request: smartcart forget)" in card["notes"]


def test_the_dask_engine_refuses_once_customers_are_forgotten(live, tmp_path):
    """--engine dask cannot leave forgotten customers out of a customer table yet, so it
    refuses to run (order lines: tests/engine/scoring/test_distributed_orders.py)."""
    assert smartcart(live, "forget", two_customers(live)[1]).exit_code == 0
    dask = ["--data", str(tmp_path), "--engine", "dask"]
    for command, extra in (("score", ["--out", str(tmp_path / "scores")]), ("train", [])):
        refused = smartcart(live, command, *dask, *extra)
        assert refused.exit_code == 2, refused.output
        line = refused.output.strip().splitlines()[-1]
        assert f"1 customers are forgotten (smartcart forget) and {command} --engine dask" in line
