"""Loading every layout and dialect, and one clear error for every unusable file."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
import sqlalchemy as sa

from smartcart.engine.data.loading import load_customers
from smartcart.engine.data.validation import iter_validated, validate
from smartcart.engine.errors import DataError
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


# -- Excel, and CSV as Excel writes it ------------------------------------------------------------


def as_excel_frame(source) -> pd.DataFrame:
    frame = pd.read_csv(source, sep="\t")
    frame["Dt_Customer"] = pd.to_datetime(frame["Dt_Customer"], format="%d-%m-%Y")
    return frame


def test_excel_workbook_loads_like_csv(generated_file, tmp_path):
    original = validate(load_customers(generated_file))
    path = tmp_path / "customers.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"note": ["cover sheet"]}).to_excel(writer, sheet_name="About", index=False)
        as_excel_frame(generated_file).to_excel(writer, sheet_name="Customers", index=False)
    data = validate(load_customers(path, sheet="Customers"))
    pd.testing.assert_frame_equal(data.customers, original.customers)
    assert "Excel workbook (sheet 'Customers')" in data.dialect
    with pytest.raises(DataError, match=r"no sheet named 'Clients' \(sheets: About, Customers\)"):
        load_customers(path, sheet="Clients")
    with pytest.raises(DataError, match="none of the required customer columns"):
        validate(load_customers(path))  # the first sheet is the cover


def test_excel_unicode_text_and_cp1252_are_detected(generated_file, tmp_path):
    original = validate(load_customers(generated_file))
    frame = pd.read_csv(generated_file, sep="\t", dtype=str, keep_default_na=False)
    frame["Store"] = "Café Müller €"
    text = frame.to_csv(sep="\t", index=False, lineterminator="\r\n")
    unicode_text = write(tmp_path, "unicode.txt", text.encode("utf-16"))
    assert unicode_text.read_bytes()[:2] == b"\xff\xfe"
    windows = write(tmp_path, "windows.csv", frame.to_csv(sep=";", index=False).encode("cp1252"))
    for path, dialect in ((unicode_text, "tab-separated, utf-16"), (windows, "cp1252")):
        data = validate(load_customers(path))
        pd.testing.assert_frame_equal(data.customers, original.customers)
        assert dialect in data.dialect


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "old Excel .xls"),
        ("broken.xlsx", b"PK\x03\x04 not a workbook", "not a readable Excel workbook"),
        ("ragged.tsv", (HEADER + GOOD + "2\t1970\tPhD\n").encode(), "line 3 has 3 fields"),
    ],
)
def test_unreadable_workbooks_and_rows_are_named(tmp_path, name, content, message):
    path = write(tmp_path, name, content)
    with pytest.raises(DataError) as caught:
        validate(load_customers(path))
    assert message in str(caught.value) and str(path) in str(caught.value)


def test_sql_query_loads_what_it_selects(generated_file, database_url):
    frame = pd.read_csv(generated_file, sep="\t")
    engine = sa.create_engine(database_url)
    frame.to_sql("crm_export", engine, index=False, if_exists="replace")
    engine.dispose()
    query = 'SELECT * FROM crm_export WHERE "Kidhome" = 0'
    data = validate(load_customers(database_url, query=query))
    everyone = validate(load_customers(generated_file)).customers
    expected = everyone[everyone["Kidhome"] == 0].reset_index(drop=True)
    pd.testing.assert_frame_equal(data.customers, expected)
    assert data.source.endswith("#query")
    with pytest.raises(DataError, match="cannot read query"):
        load_customers(database_url, query="SELECT * FROM nowhere")


# -- typed columns (Parquet, SQL) are checked in their own types --------------------------------


def typed_rows() -> pd.DataFrame:
    good = {
        "ID": 1, "Year_Birth": 1970, "Education": "PhD", "Marital_Status": "Married",
        "Income": 50000.0, "Kidhome": 0, "Teenhome": 1.0, "Dt_Customer": pd.Timestamp("2013-02-01"),
        "Recency": 10.0, "MntWines": 100, "MntFruits": 5, "MntMeatProducts": 50,
        "MntFishProducts": 10, "MntSweetProducts": 5, "MntGoldProds": 20,
        "NumDealsPurchases": 2, "NumWebPurchases": 4, "NumCatalogPurchases": 2,
        "NumStorePurchases": 6, "NumWebVisitsMonth": 5, "Response": 0,
    }  # fmt: skip
    changes = [
        ({}, None),
        ({"ID": 2, "MntWines": -5}, "MntWines: negative value -5"),
        ({"ID": 3, "Teenhome": 1.5}, "Teenhome: 1.5 is not a whole number"),
        ({"ID": 4, "Recency": None}, "Recency: empty"),
        ({"ID": 5, "Dt_Customer": None}, "Dt_Customer: empty"),
        ({"ID": 6, "Education": "Wizard"}, "Education: 'Wizard' is not one of"),
        ({"ID": 7, "Response": 2}, "Response: '2' is not 0 or 1"),
        ({"ID": 8, "Year_Birth": 1850}, "Year_Birth: 1850 means age 163"),
        ({"ID": 1}, "ID 1 appears again (first on line 2)"),
        ({"ID": 10, "Income": 900000.0}, "Income: 900000 is above the plausible cap"),
        ({"ID": 11, "Income": None}, None),
    ]
    frame = pd.DataFrame([{**good, **change} for change, _ in changes])
    frame["Dt_Customer"] = pd.to_datetime(frame["Dt_Customer"])
    frame.attrs["reasons"] = [reason for _, reason in changes]
    return frame


def check_typed_reasons(data, expected: list[str | None]) -> None:
    bad = [(i + 2, r) for i, r in enumerate(expected) if r]
    assert list(data.quarantine["line"]) == [line for line, _ in bad]
    for (_, reason), got in zip(bad, data.quarantine["reason"], strict=True):
        assert got.startswith(reason), (reason, got)
    assert data.rows["used"] == len(expected) - len(bad)


def test_parquet_bad_values_are_quarantined_in_their_own_types(tmp_path):
    frame = typed_rows()
    frame.to_parquet(tmp_path / "typed.parquet")
    data = validate(load_customers(tmp_path / "typed.parquet"))
    check_typed_reasons(data, frame.attrs["reasons"])
    assert data.customers["Income"].isna().sum() == 1  # an empty income is allowed


def test_sql_bad_values_are_quarantined_in_their_own_types(database_url):
    frame = typed_rows()
    engine = sa.create_engine(database_url)
    frame.to_sql("typed", engine, index=False, if_exists="replace")
    engine.dispose()
    check_typed_reasons(
        validate(load_customers(database_url, table="typed")), frame.attrs["reasons"]
    )


# -- in chunks ----------------------------------------------------------------------------------


def chunked(source, as_of, **options):
    parts = list(iter_validated(source, as_of, **options))
    customers = pd.concat([p.customers for p in parts], ignore_index=True)
    quarantine = pd.concat([p.quarantine for p in parts], ignore_index=True)
    return parts, customers, quarantine


def test_chunks_give_the_rows_lines_and_reasons_of_one_piece(tmp_path):
    path = write(
        tmp_path,
        "mixed.tsv",
        (HEADER + GOOD + "".join(BAD_ROWS) + GOOD.replace("1\t1970", "12\t1970", 1)).encode(),
    )
    whole = validate(load_customers(path), as_of=date(2014, 6, 29))
    parts, customers, quarantine = chunked(path, date(2014, 6, 29), chunk_rows=3)
    assert len(parts) == 4 and [p.rows["read"] for p in parts] == [3, 3, 3, 1]
    pd.testing.assert_frame_equal(customers, whole.customers)
    pd.testing.assert_frame_equal(quarantine, whole.quarantine)
    assert "ID 1 appears again (first on line 2)" in list(quarantine["reason"])  # across chunks


@pytest.mark.parametrize("kind", ["csv", "parquet", "sql", "xlsx"])
def test_every_source_reads_in_chunks(generated_file, tmp_path, kind, request):
    whole = validate(load_customers(generated_file))
    source, options = generated_file, {}
    frame = as_excel_frame(generated_file)
    if kind == "parquet":
        source = tmp_path / "customers.parquet"
        frame.to_parquet(source)
    elif kind == "xlsx":
        source = tmp_path / "customers.xlsx"
        frame.to_excel(source, index=False)
    elif kind == "sql":
        source = f"sqlite:///{tmp_path / 'customers.db'}"
        engine = sa.create_engine(source)
        frame.to_sql("customers", engine, index=False)
        engine.dispose()
    parts, customers, quarantine = chunked(source, whole.as_of, chunk_rows=500, **options)
    assert [p.rows["read"] for p in parts] == [500, 500, 500, 500, 240]
    pd.testing.assert_frame_equal(customers, whole.customers)
    pd.testing.assert_frame_equal(quarantine, whole.quarantine)


def test_chunks_of_only_bad_rows_are_refused_at_the_end(tmp_path):
    bad = next(iter(BAD_ROWS))
    path = write(tmp_path, "bad.tsv", (HEADER + bad).encode())
    with pytest.raises(DataError, match="no usable customer rows"):
        list(iter_validated(path, date(2014, 1, 1), chunk_rows=1))


def test_sql_query_reads_in_chunks_on_both_databases(generated_file, database_url):
    whole = validate(load_customers(generated_file))
    engine = sa.create_engine(database_url)
    pd.read_csv(generated_file, sep="\t").to_sql("crm", engine, index=False, if_exists="replace")
    engine.dispose()
    query = 'SELECT * FROM crm ORDER BY "ID"'
    parts, customers, _ = chunked(database_url, whole.as_of, chunk_rows=1000, query=query)
    assert [p.rows["read"] for p in parts] == [1000, 1000, 240]
    expected = whole.customers.sort_values("ID", ignore_index=True)
    pd.testing.assert_frame_equal(customers, expected)
