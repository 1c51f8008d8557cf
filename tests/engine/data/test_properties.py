"""Property-based tests (hypothesis) of what reads a user's files: mapping files (TOML), customer
tables in any CSV dialect and Excel, and order exports. No input crashes them: they answer, or
refuse with the project's one-line DataError; and what passes is not changed on the way."""

from __future__ import annotations

import string
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smartcart.engine.data import load_order_customers, schema
from smartcart.engine.data.loading import load_customers
from smartcart.engine.data.mapping import parse_mapping, read_mapping
from smartcart.engine.data.synthetic.generate import generate_customers
from smartcart.engine.data.validation import validate
from smartcart.engine.errors import DataError
from smartcart.engine.orders.mapping import read_order_mapping

FEW = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
SOME_FILES = settings(max_examples=12, deadline=None)

names = st.text(string.ascii_letters + string.digits + " _-.", min_size=1, max_size=20)
toml_text = st.one_of(
    st.text(max_size=200),
    st.lists(
        st.sampled_from(
            [
                "[columns]",
                "[values.Education]",
                "[dates]",
                "[categories]",
                "[other]",
                'Income = "Yearly income"',
                'ID = "Customer"',
                "ID = 3",
                'Dt_Customer = "%d/%m/%Y"',
                'Dt_Customer = "%Q"',
                '"PhD" = "PhD"',
                '"Doctor" = "Doctorate"',
                'wine = "MntWines"',
                'customer_id = "Email"',
                "x = [1, 2",
                '"" = ""',
            ]
        ),
        max_size=8,
    ).map("\n".join),
)


def one_line_refusal(error: DataError) -> None:
    message = str(error)
    assert message and "\n" not in message and "Traceback" not in message


def written(text: str | bytes, suffix: str) -> Path:
    """A temporary file holding the text (UTF-8) or bytes; the caller removes it."""
    with tempfile.NamedTemporaryFile("wb", suffix=suffix, delete=False) as handle:
        handle.write(text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text)
    return Path(handle.name)


@FEW
@given(toml_text)
def test_any_mapping_file_is_read_or_refused_in_one_line(text):
    for read in (read_mapping, read_order_mapping):
        path = written(text, ".toml")
        try:
            read(path)
        except DataError as error:
            one_line_refusal(error)
        finally:
            path.unlink()


@FEW
@given(
    st.dictionaries(st.sampled_from(schema.PUBLISHED_COLUMNS), names, max_size=6),
    st.sampled_from(["%d/%m/%Y", "%Y-%m-%d", "%m/%d/%Y", "%d.%m.%Y"]),
)
def test_a_valid_mapping_passes_unchanged(columns, date_format):
    yours = [name.strip() for name in columns.values()]
    document = {"columns": columns, "dates": {"Dt_Customer": date_format}}
    try:
        mapping = parse_mapping(document, "mapping.toml")
    except DataError as error:  # two contract columns naming one of yours
        one_line_refusal(error)
        assert len(set(yours)) < len(yours)
        return
    assert mapping.columns == {contract: name.strip() for contract, name in columns.items()}
    assert mapping.dates == {"Dt_Customer": date_format}


@pytest.fixture(scope="module")
def customers() -> pd.DataFrame:
    return generate_customers(25, seed=5)


def published(frame: pd.DataFrame) -> pd.DataFrame:
    return validate(load_customers(written(frame.to_csv(sep="\t", index=False), ".csv"))).customers


@SOME_FILES
@given(
    delimiter=st.sampled_from([",", ";", "\t"]),
    line_end=st.sampled_from(["\n", "\r\n"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]),
    quoting=st.sampled_from([0, 1]),  # csv.QUOTE_MINIMAL, csv.QUOTE_ALL
)
def test_a_customer_table_reads_the_same_in_every_csv_dialect(
    customers, delimiter, line_end, encoding, quoting
):
    text = customers.to_csv(sep=delimiter, index=False, lineterminator=line_end, quoting=quoting)
    path = written(text.encode(encoding), ".csv")
    try:
        read = validate(load_customers(path)).customers
    finally:
        path.unlink()
    expected = published(customers)
    pd.testing.assert_frame_equal(read.reset_index(drop=True), expected.reset_index(drop=True))


def test_a_customer_table_reads_the_same_from_excel(customers, tmp_path):
    path = tmp_path / "customers.xlsx"
    customers.to_excel(path, index=False)
    read = validate(load_customers(path)).customers
    pd.testing.assert_frame_equal(
        read.reset_index(drop=True), published(customers).reset_index(drop=True), check_dtype=False
    )


@SOME_FILES
@given(st.binary(max_size=400), st.sampled_from([".csv", ".tsv", ".xlsx", ".parquet"]))
def test_any_bytes_as_a_customer_file_are_read_or_refused_in_one_line(data, suffix):
    path = written(data, suffix)
    try:
        validate(load_customers(path))
    except DataError as error:
        one_line_refusal(error)
    finally:
        path.unlink()


ORDER_HEADER = "customer_id,order_id,ordered_at,amount\n"
order_cells = st.one_of(
    st.text(string.printable.replace("\n", "").replace("\r", ""), max_size=12),
    st.sampled_from(["2026-01-05", "05/01/2026", "1.5", "-3", "", "a@b.co", "NaN"]),
)


@SOME_FILES
@given(st.lists(st.lists(order_cells, min_size=4, max_size=4), max_size=6))
def test_any_generic_order_export_is_read_or_refused_in_one_line(rows):
    body = "".join(",".join(cell.replace(",", " ") for cell in row) + "\n" for row in rows)
    path = written(ORDER_HEADER + body, ".csv")
    try:
        data = load_order_customers(path)
        assert len(data.customers) <= len(rows)
    except DataError as error:
        one_line_refusal(error)
    finally:
        path.unlink()
