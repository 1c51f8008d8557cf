"""The Dask engine agrees with the local one: same scores, same totals, same personas."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from smartcart.engine import training_dask
from smartcart.engine.data.loading import load_customers
from smartcart.engine.data.synthetic.generate import generate_customers
from smartcart.engine.data.validation import validate
from smartcart.engine.errors import DataError
from smartcart.engine.model.artifact import load_live_model
from smartcart.engine.reports.figures import segment_figures
from smartcart.engine.scoring import dask_engine
from smartcart.engine.training import TrainingOptions, train
from smartcart.engine.training_dask import segment_figures_from_totals, segment_totals, sum_totals
from tests.support import run_cli, train_quickly

FILES = 3


def write_dataset(folder: Path, rows: int, seed: int) -> Path:
    """Generated customers in FILES Parquet files, with bad rows and an ID repeated across files."""
    frame = generate_customers(rows, seed=seed)
    frame["Dt_Customer"] = pd.to_datetime(frame["Dt_Customer"], format="%d-%m-%Y")
    frame.loc[5, "Income"] = -10.0  # negative income: quarantined
    frame.loc[rows - 3, "ID"] = frame.loc[1, "ID"]  # the last file repeats the first file's ID
    folder.mkdir(parents=True, exist_ok=True)
    bounds = np.linspace(0, rows, FILES + 1).astype(int)
    for number, (start, end) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
        frame.iloc[start:end].to_parquet(folder / f"customers-{number}.parquet", index=False)
    return folder


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    return write_dataset(tmp_path_factory.mktemp("dataset") / "customers", 3000, seed=11)


def train_locally(tmp_path, monkeypatch, data) -> None:
    trained = train_quickly(tmp_path, monkeypatch, data)
    assert trained.exit_code == 0, trained.output


def sorted_scores(folder: Path) -> pd.DataFrame:
    return pd.read_parquet(folder).sort_values("customer_id").reset_index(drop=True)


def test_local_engine_reads_a_folder_or_a_glob_as_one_data_set(dataset):
    whole = validate(load_customers(dataset))
    globbed = validate(load_customers(f"{dataset}/customers-*.parquet"))
    pd.testing.assert_frame_equal(whole.customers, globbed.customers)
    assert whole.rows == {"read": 3000, "used": 2992, "quarantined": 8}
    reasons = " | ".join(whole.quarantine["reason"])
    assert "negative" in reasons and "appears again" in reasons


def test_empty_glob_is_one_clear_error(tmp_path):
    with pytest.raises(DataError, match="no Parquet files found"):
        load_customers(f"{tmp_path}/*.parquet")


def test_dask_scores_equal_local_scores_and_totals(dataset, scheduler, tmp_path, monkeypatch):
    train_locally(tmp_path, monkeypatch, dataset)
    local = run_cli(
        tmp_path, monkeypatch, "score", "--data", str(dataset), "--out", "local", "--json"
    )
    assert local.exit_code == 0, local.output
    on_dask = run_cli(
        tmp_path,
        monkeypatch,
        "score",
        "--engine",
        "dask",
        "--scheduler",
        scheduler,
        "--data",
        f"{dataset}/*.parquet",
        "--out",
        "dask",
        "--json",
    )
    assert on_dask.exit_code == 0, on_dask.output
    assert json.loads(on_dask.stdout) == json.loads(local.stdout)
    assert json.loads(local.stdout)["rows"] == {"read": 3000, "used": 2992, "quarantined": 8}
    assert len(list((tmp_path / "dask").glob("part.*.parquet"))) == FILES
    pd.testing.assert_frame_equal(
        sorted_scores(tmp_path / "dask"), sorted_scores(tmp_path / "local")
    )
    quarantine = pd.read_csv(tmp_path / "dask" / dask_engine.QUARANTINE_FILE)
    assert len(quarantine) == 8
    assert quarantine["reason"].str.contains("appears again \\(first in .*customers-0").any()
    # without --scheduler: a cluster in this process, same result
    args = ["score", "--engine", "dask", "--data", str(dataset), "--out", "here"]
    here = run_cli(tmp_path, monkeypatch, *args)
    assert here.exit_code == 0, here.output
    assert "Scored 2992 customers" in here.output and "on Dask" in here.output
    pd.testing.assert_frame_equal(
        sorted_scores(tmp_path / "here"), sorted_scores(tmp_path / "local")
    )


def test_dask_training_names_the_same_personas_with_the_same_sizes(
    scheduler, tmp_path_factory, tmp_path, monkeypatch
):
    data = write_dataset(tmp_path_factory.mktemp("train") / "customers", 8000, seed=5)
    train_locally(tmp_path / "local", monkeypatch, data)
    local = load_live_model(tmp_path / "local" / "models")
    monkeypatch.setattr(training_dask, "SAMPLE_ROWS", 5000)  # selection on a sample, fit on all
    args = ["train", "--engine", "dask", "--scheduler", scheduler, "--data", str(data)]
    trained = run_cli(tmp_path / "dask", monkeypatch, *args, "--refits", "2", "--json")
    assert trained.exit_code == 0, trained.output
    on_dask = load_live_model(tmp_path / "dask" / "models")
    sizes = {s["persona"]: s["size"] for s in local.segments}
    dask_sizes = {s["persona"]: s["size"] for s in on_dask.segments}
    assert dask_sizes.keys() == sizes.keys()
    for persona, size in sizes.items():
        assert abs(dask_sizes[persona] - size) <= 0.01 * size, (persona, dask_sizes, sizes)
    assert sum(dask_sizes.values()) == local.card.rows.used
    assert on_dask.card.rows == local.card.rows
    assert on_dask.card.data.sha256 == local.card.data.sha256
    assert on_dask.card.as_of == local.card.as_of
    assert on_dask.card.engine.sample_rows < local.card.rows.used
    assert on_dask.card.metrics.assignment_agreement > 0.99
    # the artifact scores without Dask: its clusterer is scikit-learn's
    assert type(on_dask.clusterer.model_).__module__.startswith("sklearn.")


def test_segment_figures_from_totals_equal_the_local_ones(dataset, tmp_path):
    options = TrainingOptions(algorithm="kmeans", refits=2)
    model = train(dataset, tmp_path / "models", options).model
    customers = validate(load_customers(dataset)).customers
    halves = [customers.iloc[:1500], customers.iloc[1500:].reset_index(drop=True)]
    totals = sum_totals([segment_totals(half, model) for half in halves])
    names = model.pipeline.named_steps["personas"].names_
    assignment = model.assign(customers)
    expected = segment_figures(
        assignment.features.reset_index(drop=True),
        assignment.cluster,
        names,
        customers["Response"],
    )
    assert rounded(segment_figures_from_totals(totals, names, True)) == rounded(expected)
    assert rounded(model.segments) == rounded(expected)  # what local training stored
    assert totals.base_response_rate() == pytest.approx(customers["Response"].mean())


def rounded(value: object) -> object:
    """Floats to 9 significant digits, in nested lists and dicts (sums come in another order)."""
    if isinstance(value, dict):
        return {key: rounded(item) for key, item in value.items()}
    if isinstance(value, list):
        return [rounded(item) for item in value]
    return float(f"{value:.9g}") if isinstance(value, float) else value


def test_dask_engine_refuses_what_it_cannot_do_in_one_line(
    dataset, scheduler, tmp_path, monkeypatch
):
    agglomerative = run_cli(
        tmp_path,
        monkeypatch,
        *["train", "--engine", "dask", "--scheduler", scheduler, "--data", str(dataset)],
        *["--algorithm", "agglomerative"],
    )
    no_out = run_cli(tmp_path, monkeypatch, "score", "--engine", "dask", "--data", str(dataset))
    stray = run_cli(
        tmp_path, monkeypatch, "score", "--scheduler", scheduler, "--data", str(dataset)
    )
    for result, words in [
        (agglomerative, "--algorithm must be auto or kmeans"),
        (no_out, "--out FOLDER"),
        (stray, "--scheduler goes with --engine dask"),
    ]:
        assert result.exit_code != 0
        assert "Traceback" not in result.output
        assert words in result.output


def test_unusable_data_set_is_one_line_and_writes_nothing(
    dataset, scheduler, tmp_path, monkeypatch
):
    train_locally(tmp_path, monkeypatch, dataset)
    bad = tmp_path / "bad"
    bad.mkdir()
    for number, name in enumerate(sorted(dataset.glob("*.parquet"))[:2]):
        frame = pd.read_parquet(name).assign(Income=-1.0)
        frame.to_parquet(bad / f"part-{number}.parquet", index=False)
    args = ["score", "--engine", "dask", "--scheduler", scheduler, "--data", str(bad)]
    result = run_cli(tmp_path, monkeypatch, *args, "--out", "scores")
    assert result.exit_code != 0 and "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error")]
    assert len(errors) == 1 and "no usable customer rows" in errors[0], result.output
    assert not (tmp_path / "scores").exists()
    assert [p.name for p in tmp_path.iterdir() if "partial" in p.name] == []
    version = load_live_model(tmp_path / "models").version
    args = ["train", "--engine", "dask", "--scheduler", scheduler, "--data", str(bad)]
    trained = run_cli(tmp_path, monkeypatch, *args)
    assert trained.exit_code != 0 and "Traceback" not in trained.output
    assert "no usable customer rows (Income: negative value -1)" in trained.output
    assert load_live_model(tmp_path / "models").version == version


def test_unreachable_scheduler_is_one_clear_line(dataset, tmp_path, monkeypatch):
    monkeypatch.setattr(dask_engine, "CONNECT_TIMEOUT", "1s")
    args = ["train", "--engine", "dask", "--scheduler", "tcp://127.0.0.1:9", "--data", str(dataset)]
    result = run_cli(tmp_path, monkeypatch, *args)
    assert result.exit_code != 0 and "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error")]
    assert len(errors) == 1 and "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in errors[0]


def test_without_dask_installed_the_engine_says_how_to_get_it(dataset, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "dask_ml", None)  # import dask_ml now fails
    monkeypatch.setitem(sys.modules, "dask_ml.cluster", None)
    result = run_cli(tmp_path, monkeypatch, "score", "--engine", "dask", "--data", str(dataset))
    assert result.exit_code != 0 and "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error")]
    assert len(errors) == 1 and "pip install 'smartcart-segments[dask]'" in errors[0]


def test_thousands_of_ids_repeated_across_files_are_quarantined_on_dask(
    dataset, scheduler, tmp_path, monkeypatch
):
    """Every ID of the second file repeats the first's: the mapping of repeats is big, so it
    travels to the tasks as scattered data (passed as a keyword it became a task named
    'repeats', and the next such run on the cluster failed on the scheduler)."""
    train_locally(tmp_path, monkeypatch, dataset)
    customers = generate_customers(12_000, seed=3)
    customers["Dt_Customer"] = pd.to_datetime(customers["Dt_Customer"], format="%d-%m-%Y")
    folder = tmp_path / "twice"
    folder.mkdir()
    customers.to_parquet(folder / "a.parquet", index=False)
    customers.to_parquet(folder / "b.parquet", index=False)
    for out in ("first", "second"):
        args = ["score", "--engine", "dask", "--scheduler", scheduler, "--data", str(folder)]
        scored = run_cli(tmp_path, monkeypatch, *args, "--out", out, "--json")
        assert scored.exit_code == 0, scored.output
        rows = json.loads(scored.stdout)["rows"]
        assert rows["read"] == 24_000 and rows["used"] <= 12_000
        assert rows["quarantined"] == 24_000 - rows["used"] >= 12_000
