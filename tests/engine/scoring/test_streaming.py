"""Scoring in chunks: same answers as one piece, right quarantine lines, bulk writes that round-trip
on SQLite and PostgreSQL, `--out` by extension, and no half-written store after a failure."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from smartcart.engine.data.chunks import iter_customer_chunks
from smartcart.engine.data.loading import load_customers
from smartcart.engine.data.synthetic import generate_customers, write_customers
from smartcart.engine.data.validation import validate
from smartcart.engine.errors import DataError
from smartcart.engine.model.artifact import SegmentModel
from smartcart.engine.scoring.scoring import score
from smartcart.engine.scoring.streaming import score_source
from smartcart.engine.store import bulk
from smartcart.engine.store.store import Store
from tests.support import run_cli

CHUNK = 250  # small, so 1,200 customers cross several chunk boundaries


@pytest.fixture(scope="module")
def customers_frame() -> pd.DataFrame:
    frame = generate_customers(1200, seed=11)
    frame["Income"] = frame["Income"].astype(object)
    frame["Dt_Customer"] = frame["Dt_Customer"].dt.strftime("%d-%m-%Y")
    frame.loc[3, "Income"] = "lots"  # line 5
    frame.loc[249, "Year_Birth"] = 1850  # last row of the first chunk
    frame.loc[250, "Dt_Customer"] = "31-31-2013"  # first row of the second chunk
    frame.loc[700, "ID"] = frame.loc[10, "ID"]  # repeats an ID of the first chunk
    frame.loc[701, "ID"] = frame.loc[699, "ID"]  # repeats an ID of its own chunk
    frame.loc[1000:1249, "Education"] = "Kindergarten"  # the last chunk has no usable row
    return frame


@pytest.fixture(scope="module")
def messy_csv(tmp_path_factory, customers_frame) -> str:
    path = tmp_path_factory.mktemp("stream") / "customers.csv"
    customers_frame.to_csv(path, sep="\t", index=False)
    return str(path)


@pytest.fixture(scope="module")
def clean_parquet(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("stream") / "customers.parquet"
    frame = generate_customers(900, seed=12)
    frame.loc[5, "Income"] = -5.0
    frame.loc[400, "ID"] = frame.loc[2, "ID"]
    write_customers(frame, path)
    return str(path)


def one_piece(model: SegmentModel, source: str):
    data = validate(load_customers(source), model.as_of)
    return data, score(model, data.customers)


def streamed(model: SegmentModel, source: str, chunk_rows: int = CHUNK):
    chunks = list(iter_customer_chunks(source, model.as_of, chunk_rows=chunk_rows))
    quarantine = pd.concat([c.quarantine for c in chunks], ignore_index=True)
    customers = pd.concat([c.customers for c in chunks], ignore_index=True)
    return chunks, customers, quarantine


@pytest.mark.parametrize("source", ["messy_csv", "clean_parquet"])
def test_chunks_quarantine_the_same_rows_with_the_same_lines(request, trained, source):
    path = request.getfixturevalue(source)
    model = trained.model
    whole, _ = one_piece(model, path)
    chunks, customers, quarantine = streamed(model, path)
    assert len(chunks) > 2
    assert all(c.rows_read <= CHUNK for c in chunks)
    assert quarantine[["line", "reason"]].to_dict("records") == (
        whole.quarantine[["line", "reason"]].to_dict("records")
    )
    pd.testing.assert_frame_equal(customers, whole.customers, check_dtype=False)


def test_quarantine_names_lines_across_chunk_boundaries(trained, messy_csv, customers_frame):
    _, _, quarantine = streamed(trained.model, messy_csv)
    reasons = dict(zip(quarantine["line"], quarantine["reason"], strict=True))
    assert reasons[5].startswith("Income: 'lots'")
    assert reasons[251].startswith("Year_Birth: 1850")
    assert reasons[252].startswith("Dt_Customer: '31-31-2013'")
    first_id = customers_frame.loc[10, "ID"]
    assert reasons[702] == f"ID {first_id} appears again (first on line 12)"
    assert reasons[703].endswith("(first on line 701)")
    assert all(reasons[line].startswith("Education") for line in range(1002, 1202))


def test_streamed_scoring_gives_the_one_piece_answers(trained, messy_csv, database_url):
    model = trained.model
    whole, scores = one_piece(model, messy_csv)
    store = Store(database_url)
    store.migrate()
    run = score_source(model, store, messy_csv, replace=True, chunk_rows=CHUNK)
    assert run.rows == whole.rows
    assert run.personas == scores["persona"].value_counts().to_dict()
    stored = store_assignments(store)
    expected = scores.set_index("customer_id").sort_index()
    assert stored.index.tolist() == expected.index.tolist()
    assert (stored["persona"] == expected["persona"]).all()
    assert np.allclose(stored["confidence"], expected["confidence"])
    assert run.most_confident == int(scores.loc[scores["confidence"].idxmax(), "customer_id"])
    store.engine.dispose()


def store_assignments(store: Store) -> pd.DataFrame:
    with store.engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT customer_id, persona, confidence FROM assignments")
        )
        frame = pd.DataFrame(rows.all(), columns=["customer_id", "persona", "confidence"])
    return frame.set_index("customer_id").sort_index()


@pytest.mark.parametrize("insert_slice", [bulk.INSERT_SLICE, 97])
def test_bulk_written_customers_read_back_as_validated(
    trained, clean_parquet, database_url, monkeypatch, insert_slice
):
    monkeypatch.setattr(bulk, "INSERT_SLICE", insert_slice)  # 97: chunks written in slices
    model = trained.model
    whole, _ = one_piece(model, clean_parquet)
    store = Store(database_url)
    store.migrate()
    score_source(model, store, clean_parquet, chunk_rows=CHUNK)
    assert store.count_customers() == len(whole.customers)
    everyone = store.all_customers().sort_values("ID").reset_index(drop=True)
    expected = whole.customers.sort_values("ID").reset_index(drop=True)
    pd.testing.assert_frame_equal(everyone[expected.columns], expected, check_dtype=False)
    row, assignment = store.customer(int(expected["ID"].iloc[0]))
    assert assignment["model_version"] == model.version and assignment["scored_at"] is not None
    store.engine.dispose()


def test_a_failure_halfway_leaves_the_stored_customers(trained, messy_csv, database_url, tmp_path):
    model = trained.model
    store = Store(database_url)
    store.migrate()
    before = score_source(model, store, messy_csv, replace=True, chunk_rows=CHUNK)
    broken = tmp_path / "broken.csv"
    lines = Path(messy_csv).read_text().splitlines()
    lines[600] += "\textra\tfields"  # the third chunk cannot be parsed
    broken.write_text("\n".join(lines) + "\n")
    out = tmp_path / "scores.parquet"
    with pytest.raises(DataError, match="broken.csv"):
        score_source(model, store, str(broken), replace=True, out=out, chunk_rows=CHUNK)
    assert store.count_customers() == before.rows["used"]
    assert not out.exists() and not list(tmp_path.glob(".scores*"))
    store.engine.dispose()


def test_sql_table_streams_like_the_file(trained, clean_parquet, tmp_path):
    url = f"sqlite:///{tmp_path / 'source.db'}"
    engine = sa.create_engine(url)
    pd.read_parquet(clean_parquet).to_sql("crm", engine, index=False)
    engine.dispose()
    whole, _ = one_piece(trained.model, clean_parquet)
    chunks = list(iter_customer_chunks(url, trained.model.as_of, table="crm", chunk_rows=CHUNK))
    assert len(chunks) == 4
    customers = pd.concat([c.customers for c in chunks], ignore_index=True)
    pd.testing.assert_frame_equal(customers, whole.customers, check_dtype=False)
    lines = pd.concat([c.quarantine for c in chunks])["line"].tolist()
    assert lines == whole.quarantine["line"].tolist()


def test_memory_bound_comes_from_the_chunk_size(trained, messy_csv, monkeypatch):
    sizes = []
    original = SegmentModel.assign

    def spy(self, customers):
        sizes.append(len(customers))
        return original(self, customers)

    monkeypatch.setattr(SegmentModel, "assign", spy)
    score_source(trained.model, None, messy_csv, chunk_rows=CHUNK)
    assert len(sizes) == 4 and max(sizes) <= CHUNK


def test_cli_out_follows_the_extension(trained, clean_parquet, tmp_path, monkeypatch):
    models = tmp_path / "models"
    models.mkdir()
    (models / "versions").symlink_to(trained.artifact.parent)
    (models / "LIVE").write_text(trained.model.version + "\n")
    as_parquet = tmp_path / "scores.parquet"
    args = ["score", "--data", clean_parquet, "--chunk-rows", "1000", "--json"]
    result = run_cli(tmp_path, monkeypatch, *args, "--out", str(as_parquet))
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert set(summary) == {"model_version", "rows", "personas"}
    table = pq.read_table(as_parquet).to_pandas()
    assert len(table) == summary["rows"]["used"] == sum(summary["personas"].values())
    scored = ["customer_id", "cluster", "persona", "segment", "confidence"]
    assert list(table.columns[:5]) == scored  # then propensity columns with a response model
    as_csv = tmp_path / "scores.csv"
    assert run_cli(tmp_path, monkeypatch, *args, "--out", str(as_csv)).exit_code == 0
    assert pd.read_csv(as_csv).equals(table)
    wrong = run_cli(tmp_path, monkeypatch, *args, "--out", str(tmp_path / "scores.json"))
    assert wrong.exit_code != 0 and "name it .csv or .parquet" in wrong.output
    assert "Traceback" not in wrong.output
