"""`smartcart lifetime` (smartcart/cli/lifetime.py) on CDNOW and on generated order files."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from smartcart.cli import main
from smartcart.engine.lifetime import simulate_orders
from smartcart.engine.orders import write_orders
from tests.support.cdnow import CALIBRATION_END, HOLDOUT_END, cdnow_orders

KEYS = {"model", "params", "log_likelihood", "customers", "time_unit"}
TRUE = {"r": 0.5, "alpha": 20.0, "a": 0.8, "b": 3.0, "p": 6.0, "q": 4.0, "gamma": 15.0}


def run(*args: str):
    return CliRunner().invoke(main, ["lifetime", *args])


def test_cdnow_as_an_order_lines_file_reproduces_the_published_fit(tmp_path):
    orders = cdnow_orders()
    orders.insert(0, "order_id", range(1, len(orders) + 1))
    path = tmp_path / "cdnow.csv"
    orders.to_csv(path, index=False)
    result = run(
        "--data", str(path), "--calibration-end", CALIBRATION_END,
        "--holdout-end", HOLDOUT_END, "--time-unit", "week", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    fitted = json.loads(result.stdout)
    assert set(fitted) == KEYS | {"holdout"}
    assert fitted["model"] == "bg_nbd+gamma_gamma" and fitted["time_unit"] == "week"
    # 8 of the 2,357 customers made only $0 orders, which do not count as orders (as for the
    # customers' own figures); the fit on the other 2,349 still matches the paper.
    assert fitted["customers"] == 2349
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    for name, value in published.items():
        assert fitted["params"][name] == pytest.approx(value, rel=0.01), name
    assert fitted["log_likelihood"] == pytest.approx(-9582.4, rel=0.001)
    holdout = fitted["holdout"]
    assert holdout["actual_repeat_purchases"] == 1882
    assert holdout["predicted_repeat_purchases"] == pytest.approx(1653.4, rel=0.01)
    assert holdout["relative_error"] == pytest.approx(
        (holdout["predicted_repeat_purchases"] - 1882) / 1882
    )


@pytest.fixture(scope="module")
def simulated_file(tmp_path_factory):
    orders = simulate_orders(3_000, TRUE, "2023-01-01", "2024-06-30", seed=8)
    orders.insert(0, "order_id", range(1, len(orders) + 1))
    orders["customer_id"] = "C" + orders["customer_id"].astype(str)
    path = tmp_path_factory.mktemp("orders") / "orders.csv"
    orders.to_csv(path, index=False)
    return path


def test_a_generated_history_is_fitted_and_its_holdout_checked(simulated_file):
    result = run(
        "--data", str(simulated_file), "--calibration-end", "2023-12-31",
        "--holdout-end", "2024-06-30", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    fitted = json.loads(result.stdout)
    assert fitted["customers"] == 3000 and fitted["time_unit"] == "day"
    assert fitted["params"]["r"] == pytest.approx(TRUE["r"], rel=0.25)
    assert fitted["params"]["alpha"] == pytest.approx(TRUE["alpha"], rel=0.35)
    assert abs(fitted["holdout"]["relative_error"]) < 0.1


def test_without_json_it_says_the_fit_in_a_few_lines(simulated_file):
    result = run("--data", str(simulated_file), "--calibration-end", "2024-06-30")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("bg_nbd+gamma_gamma on 3,000 customers (time unit: day)\n")
    assert "log-likelihood" in result.stdout and "holdout" not in result.stdout


def test_a_shopify_export_is_read_too(tmp_path):
    path = write_orders(tmp_path / "shopify.csv", 1_500, seed=3, layout="shopify")
    result = run("--data", str(path), "--calibration-end", "2025-06-30", "--json")
    assert result.exit_code == 0, result.output
    fitted = json.loads(result.stdout)
    assert set(fitted) == KEYS
    assert 1_000 < fitted["customers"] <= 1_500


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--calibration-end", "2023-03-01"], "history too thin for lifetime value: the orders span only"),
        (["--calibration-end", "2023-12-31", "--holdout-end", "2023-06-01"], "holdout end 2023-06-01 is not after"),
        (["--calibration-end", "someday"], "is not a day"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line(simulated_file, args, message):
    result = run("--data", str(simulated_file), *args, "--json")
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and result.output.startswith("Error: ")
    assert message in result.output


def test_a_missing_file_is_one_line(tmp_path):
    result = run("--data", str(tmp_path / "nope.csv"), "--calibration-end", "2024-01-01")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1].endswith("nope.csv: file not found")
    assert "Traceback" not in result.output
