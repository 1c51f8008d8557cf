"""Loading every layout and dialect, and one clear error for every unusable file."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
import sqlalchemy as sa

from segmentation.errors import DataError
from segmentation.loading import load_customers
from segmentation.validation import validate
from tests.support import REAL_DATA, STUDY_DATA


def export_as(source, target, sep: str, date_format: str = "%d-%m-%Y", crlf=False, bom=False):
    frame = pd.read_csv(source, sep="\t", dtype=str, keep_default_na=False)
    frame["Dt_Customer"] = pd.to_datetime(frame["Dt_Customer"], format="%d-%m-%Y").dt.strftime(
        date_format
    )
    text = frame.to_csv(sep=sep, index=False, lineterminator="\r\n" if crlf else "\n")
    target.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())
    return target


def test_generated_tab_separated_file_loads(generated_file):
    data = validate(load_customers(generated_file))
    assert data.rows["read"] == 2240
    assert data.rows["used"] + data.rows["quarantined"] == 2240
    assert data.has_campaigns
    assert "tab-separated" in data.dialect


@pytest.mark.parametrize(
    ("sep", "date_format", "crlf", "bom"),
    [(",", "%d/%m/%Y", True, False), (";", "%d/%m/%Y", True, True), (",", "%Y-%m-%d", False, True)],
)
def test_dialects_give_the_same_customers(generated_file, tmp_path, sep, date_format, crlf, bom):
    original = validate(load_customers(generated_file))
    exported = export_as(generated_file, tmp_path / "export.csv", sep, date_format, crlf, bom)
    data = validate(load_customers(exported))
    pd.testing.assert_frame_equal(data.customers, original.customers)
    assert data.as_of == original.as_of


def test_parquet_loads_like_csv(generated_file, tmp_path):
    original = validate(load_customers(generated_file))
    frame = pd.read_csv(generated_file, sep="\t")
    frame["Dt_Customer"] = pd.to_datetime(frame["Dt_Customer"], format="%d-%m-%Y")
    frame.to_parquet(tmp_path / "customers.parquet")
    data = validate(load_customers(tmp_path / "customers.parquet"))
    pd.testing.assert_frame_equal(data.customers, original.customers)


def test_sql_table_loads_like_csv(generated_file, database_url):
    original = validate(load_customers(generated_file))
    frame = pd.read_csv(generated_file, sep="\t")
    engine = sa.create_engine(database_url)
    frame.to_sql("customer_export", engine, index=False, if_exists="replace")
    engine.dispose()
    data = validate(load_customers(database_url, table="customer_export"))
    pd.testing.assert_frame_equal(data.customers, original.customers)


def test_sql_missing_table_is_named(database_url):
    with pytest.raises(DataError, match="nowhere"):
        load_customers(database_url, table="nowhere")


def test_as_of_defaults_to_latest_enrolment_and_can_be_given(generated_file):
    data = validate(load_customers(generated_file))
    assert data.as_of == data.customers["Dt_Customer"].max().date()
    later = validate(load_customers(generated_file), as_of=date(2020, 1, 1))
    assert later.as_of == date(2020, 1, 1)


@pytest.mark.skipif(not REAL_DATA.exists(), reason="reference data not present")
def test_real_data_quirks_are_quarantined_or_noted():
    data = validate(load_customers(REAL_DATA))
    assert data.rows == {"read": 2240, "used": 2236, "quarantined": 4}
    assert data.as_of == date(2014, 6, 29)
    reasons = " ".join(data.quarantine["reason"])
    assert "Year_Birth: 1893" in reasons and "Income: 666666" in reasons
    assert any("24 customers have no Income" in n for n in data.notes)


@pytest.mark.skipif(not STUDY_DATA.exists(), reason="reference data not present")
def test_study_layout_loads_without_campaign_columns():
    data = validate(load_customers(STUDY_DATA))
    assert not data.has_campaigns
    assert data.rows["used"] == 2236
    assert any("campaign acceptances are left out" in n for n in data.notes)


def drop_fields(text: str, positions: set[int]) -> str:
    rows = [line.split("\t") for line in text.splitlines()]
    return "\n".join("\t".join(v for i, v in enumerate(r) if i not in positions) for r in rows)


def write(tmp_path, name, content: bytes):
    path = tmp_path / name
    path.write_bytes(content)
    return path


HEADER = (
    "ID\tYear_Birth\tEducation\tMarital_Status\tIncome\tKidhome\tTeenhome\tDt_Customer\tRecency\t"
    "MntWines\tMntFruits\tMntMeatProducts\tMntFishProducts\tMntSweetProducts\tMntGoldProds\t"
    "NumDealsPurchases\tNumWebPurchases\tNumCatalogPurchases\tNumStorePurchases\t"
    "NumWebVisitsMonth\tResponse\n"
)
GOOD = (
    "1\t1970\tPhD\tMarried\t50000\t0\t1\t01-02-2013\t10\t100\t5\t50\t10\t5\t20\t2\t4\t2\t6\t5\t0\n"
)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "file is empty"),
        ("blank.csv", b"\n\n  \n", "file is empty"),
        ("header.csv", HEADER.encode(), "has a header but no customer rows"),
        ("binary.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a text file"),
        ("other.csv", b"name,email\nann,a@example.com\n", "none of the required customer columns"),
        (
            "partial.csv",
            drop_fields(HEADER + GOOD, {4, 8}).encode(),
            "missing required column(s): Income, Recency",
        ),
        ("corrupt.parquet", b"PAR1 not really parquet", "not a readable Parquet file"),
    ],
)
def test_unusable_files_get_one_clear_error(tmp_path, name, content, message):
    path = write(tmp_path, name, content)
    with pytest.raises(DataError) as caught:
        validate(load_customers(path))
    assert message in str(caught.value)
    assert str(path) in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        load_customers(tmp_path / "nope.csv")


BAD_ROWS = {
    "2\t1970\tPhD\tMarried\t50000\t0\t1\t01-02-2013\t10\t-5\t5\t50\t10\t5\t20\t2\t4\t2\t6\t5\t0\n": "MntWines: negative value -5",
    "3\t1850\tPhD\tMarried\t50000\t0\t1\t01-02-2013\t10\t1\t5\t50\t10\t5\t20\t2\t4\t2\t6\t5\t0\n": "Year_Birth: 1850 means age 163",
    "4\t1970\tPhD\tMarried\t50000\t0\t1\t31-31-2013\t10\t1\t5\t50\t10\t5\t20\t2\t4\t2\t6\t5\t0\n": "Dt_Customer: '31-31-2013' is not a date",
    "5\t1970\tPhD\tMarried\tlots\t0\t1\t01-02-2013\t10\t1\t5\t50\t10\t5\t20\t2\t4\t2\t6\t5\t0\n": "Income: 'lots' is not a number",
    "1\t1971\tPhD\tMarried\t50000\t0\t1\t01-02-2013\t10\t1\t5\t50\t10\t5\t20\t2\t4\t2\t6\t5\t0\n": "ID 1 appears again (first on line 2)",
    "7\t1970\tWizard\tMarried\t50000\t0\t1\t01-02-2013\t10\t1\t5\t50\t10\t5\t20\t2\t4\t2\t6\t5\t0\n": "Education: 'Wizard' is not one of",
    "8\t1970\tPhD\tMarried\t50000\t0\t1.5\t01-02-2013\t10\t1\t5\t50\t10\t5\t20\t2\t4\t2\t6\t5\t0\n": "Teenhome: 1.5 is not a whole number",
    "9\t1970\tPhD\tMarried\t50000\t0\t1\t01-02-2013\t10\t1\t5\t50\t10\t5\t20\t2\t4\t2\t6\t5\t2\n": "Response: '2' is not 0 or 1",
}


def test_bad_rows_are_quarantined_with_line_and_reason(tmp_path):
    path = write(tmp_path, "mixed.tsv", (HEADER + GOOD + "".join(BAD_ROWS)).encode())
    data = validate(load_customers(path))
    assert data.rows == {"read": 1 + len(BAD_ROWS), "used": 1, "quarantined": len(BAD_ROWS)}
    for expected, reason in zip(BAD_ROWS.values(), data.quarantine["reason"], strict=True):
        assert expected in reason
    assert list(data.quarantine["line"]) == list(range(3, 3 + len(BAD_ROWS)))


def test_a_file_with_only_bad_rows_is_refused(tmp_path):
    bad = next(iter(BAD_ROWS))
    path = write(tmp_path, "bad.tsv", (HEADER + bad).encode())
    with pytest.raises(DataError, match="no usable customer rows"):
        validate(load_customers(path))
