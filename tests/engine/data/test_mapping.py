"""Bring your own data: a mapping file for your columns, values and dates; a draft of it."""

from __future__ import annotations

import pandas as pd
import pytest

from smartcart.engine.data.loading import load_customers
from smartcart.engine.data.mapping import read_mapping
from smartcart.engine.data.schema import contract_markdown
from smartcart.engine.data.sources import DataSource
from smartcart.engine.data.suggest import match_columns
from smartcart.engine.data.validation import validate
from smartcart.engine.errors import DataError
from smartcart.engine.model.card import RowCounts
from smartcart.engine.training import TrainingOptions, train
from smartcart.slack.settings import load_settings
from tests.support import REAL_DATA, REPO

needs_real_data = pytest.mark.skipif(not REAL_DATA.exists(), reason="reference data not present")

# What a CRM export calls the contract's columns (every one a person would match by its name).
RENAMED = {
    "ID": "Customer ID",
    "Year_Birth": "birth_year",
    "Education": "education_level",
    "Marital_Status": "marital status",
    "Income": "household_income",
    "Kidhome": "kids_at_home",
    "Teenhome": "teens_at_home",
    "Dt_Customer": "customer_since",
    "Recency": "recency_days",
    "MntWines": "spend_wines",
    "MntFruits": "spend_fruits",
    "MntMeatProducts": "spend_meat",
    "MntFishProducts": "spend_fish",
    "MntSweetProducts": "spend_sweets",
    "MntGoldProds": "spend_gold",
    "NumDealsPurchases": "deal_purchases",
    "NumWebPurchases": "web_purchases",
    "NumCatalogPurchases": "catalog_purchases",
    "NumStorePurchases": "store_purchases",
    "NumWebVisitsMonth": "web_visits_per_month",
    "AcceptedCmp1": "accepted_campaign_1",
    "AcceptedCmp2": "accepted_campaign_2",
    "AcceptedCmp3": "accepted_campaign_3",
    "AcceptedCmp4": "accepted_campaign_4",
    "AcceptedCmp5": "accepted_campaign_5",
    "Complain": "complained",
    "Response": "responded_last_campaign",
}
EDUCATION = {"Graduation": "Bachelor", "2n Cycle": "Associate", "Basic": "High school"}
MARITAL = {"Together": "Cohabiting", "Married": "married"}
RESPONSE = {"1": "yes", "0": "no"}


def crm_export(source, target):
    """The published file as a CRM would export it: its own names, values and US dates."""
    frame = pd.read_csv(source, sep="\t", dtype=str, keep_default_na=False)
    frame["Dt_Customer"] = pd.to_datetime(frame["Dt_Customer"], format="%d-%m-%Y").dt.strftime(
        "%m/%d/%Y"
    )
    frame["Education"] = frame["Education"].replace(EDUCATION)
    frame["Marital_Status"] = frame["Marital_Status"].replace(MARITAL)
    frame["Response"] = frame["Response"].replace(RESPONSE)
    frame.rename(columns=RENAMED).to_csv(target, index=False)
    return target


def mapping_text(columns=RENAMED) -> str:
    lines = ["[columns]  # contract column = the column in your file"]
    lines += [f'{contract} = "{yours}"' for contract, yours in columns.items()]
    for contract, table in (
        ("Education", EDUCATION),
        ("Marital_Status", MARITAL),
        ("Response", RESPONSE),
    ):
        lines.append(f"\n[values.{contract}]  # your value = contract value")
        lines += [f'"{yours}" = "{value}"' for value, yours in table.items()]
    lines.append('\n[dates]\nDt_Customer = "%m/%d/%Y"')
    return "\n".join(lines) + "\n"


@pytest.fixture
def crm_file(tmp_path, generated_file):
    return crm_export(generated_file, tmp_path / "crm.csv")


@pytest.fixture
def mapping_file(tmp_path):
    path = tmp_path / "mapping.toml"
    path.write_text(mapping_text())
    return path


def test_mapped_export_gives_the_same_customers(generated_file, crm_file, mapping_file):
    original = validate(load_customers(generated_file))
    mapped = validate(load_customers(crm_file, mapping=mapping_file))
    pd.testing.assert_frame_equal(mapped.customers, original.customers)
    assert mapped.rows == original.rows
    assert list(mapped.quarantine["line"]) == list(original.quarantine["line"])


QUICK = TrainingOptions(algorithm="kmeans", refits=2)


def sizes(result) -> dict[str, int]:
    return {s["persona"]: s["size"] for s in result.model.segments}


@pytest.fixture(scope="module")
def original_sizes(tmp_path_factory) -> dict[str, int]:
    if not REAL_DATA.exists():
        pytest.skip("reference data not present")
    found = sizes(train(REAL_DATA, tmp_path_factory.mktemp("original"), QUICK))
    assert set(found) == {"premium", "family_budget", "digital_active", "moderate_loyal"}
    return found


@needs_real_data
def test_real_data_renamed_trains_to_the_same_personas_and_sizes(
    tmp_path, mapping_file, original_sizes
):
    crm = crm_export(REAL_DATA, tmp_path / "crm.csv")
    mapped = train(DataSource(str(crm), mapping=mapping_file), tmp_path / "mapped", QUICK)
    assert sizes(mapped) == original_sizes
    assert mapped.model.card.rows == RowCounts(read=2240, used=2236, quarantined=4)
    reasons = " ".join(mapped.data.quarantine["reason"])
    assert "birth_year: 1893" in reasons and "household_income: 666666" in reasons


@needs_real_data
@pytest.mark.parametrize("kind", ["xlsx", "utf-16"])
def test_real_data_as_excel_saves_it_trains_to_the_same_result(tmp_path, kind, original_sizes):
    frame = pd.read_csv(REAL_DATA, sep="\t")
    if kind == "xlsx":
        frame["Dt_Customer"] = pd.to_datetime(frame["Dt_Customer"], format="%d-%m-%Y")
        path = tmp_path / "customers.xlsx"
        frame.to_excel(path, index=False)
    else:  # Excel's "Unicode Text": UTF-16 with its BOM, tab-separated, CRLF
        path = tmp_path / "customers.txt"
        text = frame.to_csv(sep="\t", index=False, lineterminator="\r\n", float_format="%.15g")
        path.write_bytes(text.encode("utf-16"))
    result = train(path, tmp_path / "models", QUICK)
    assert sizes(result) == original_sizes
    assert result.model.card.rows == RowCounts(read=2240, used=2236, quarantined=4)


def test_match_is_case_and_separator_insensitive_then_close():
    matched = match_columns(["mnt-wines", "YEAR BIRTH", "Num_Web_Visits_Month", "Incomme"])
    assert matched["MntWines"][0] == "mnt-wines" and matched["MntWines"][1] == 1.0
    assert matched["Year_Birth"][0] == "YEAR BIRTH"
    assert matched["NumWebVisitsMonth"][0] == "Num_Web_Visits_Month"
    assert matched["Income"][0] == "Incomme"


def test_unnamed_columns_keep_contract_names_and_unlisted_values_pass(generated_file, tmp_path):
    frame = pd.read_csv(generated_file, sep="\t", dtype=str, keep_default_na=False)
    frame = frame.rename(columns={"MntWines": "wine"})
    frame.to_csv(tmp_path / "partial.csv", index=False)
    (tmp_path / "m.toml").write_text(
        '[columns]\nMntWines = "wine"\n\n[values.Education]\n"Bachelor" = "Graduation"\n'
    )
    mapped = validate(load_customers(tmp_path / "partial.csv", mapping=tmp_path / "m.toml"))
    pd.testing.assert_frame_equal(
        mapped.customers, validate(load_customers(generated_file)).customers
    )


def test_quarantine_reasons_name_your_column(tmp_path, mapping_file, generated_file):
    crm = crm_export(generated_file, tmp_path / "crm.csv")
    frame = pd.read_csv(crm, dtype=str, keep_default_na=False).head(3)
    frame.loc[1, "spend_wines"] = "-5"
    frame.loc[2, "customer_since"] = "25/11/2013"  # not %m/%d/%Y
    frame.to_csv(crm, index=False)
    data = validate(load_customers(crm, mapping=mapping_file))
    assert list(data.quarantine["line"]) == [3, 4]
    first, second = data.quarantine["reason"]
    assert first == "spend_wines: negative value -5"
    assert second.startswith("customer_since: '25/11/2013' is not a date (the format %m/%d/%Y")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            '[columns]\nMntWines = "spend_wine"\n',
            "has no column 'spend_wine' (did you mean spend_wines?)",
        ),
        ('[columns]\nWines = "spend_wines"\n', "names 'Wines', which is not a contract column"),
        (
            '[values.Education]\n"Bachelor" = "Bachelors"\n',
            "'Bachelor' = 'Bachelors': not a contract value of Education",
        ),
        ('[values.Recency]\n"a" = "1"\n', "names 'Recency', which is not a contract column"),
        ('[dates]\nDt_Customer = "%m/%Y"\n', "is not a date format"),
        ('[columns]\nID = "x"\nIncome = "x"\n', "ID and Income both name column 'x'"),
        ("[colums]\n", "unknown section [colums]"),
        ("[columns\n", "not valid TOML"),
    ],
)
def test_mapping_mistakes_get_one_line_naming_them(crm_file, tmp_path, content, message):
    path = tmp_path / "bad.toml"
    path.write_text(content)
    with pytest.raises(DataError) as caught:
        validate(load_customers(crm_file, mapping=path))
    assert message in str(caught.value)
    assert str(path) in str(caught.value) and "\n" not in str(caught.value)


def test_read_mapping_keeps_the_issue_shape(tmp_path):
    path = tmp_path / "mapping.toml"
    path.write_text(
        '[columns]\nID = "customer_ref"\nIncome = "household_income"\nMntWines = "spend_wine"\n\n'
        '[values.Education]\n"Bachelor" = "Graduation"\n"Master" = "Master"\n\n'
        '[values.Marital_Status]\n"Cohabiting" = "Together"\n\n[dates]\nDt_Customer = "%m/%d/%Y"\n'
    )
    mapping = read_mapping(path)
    assert mapping.columns["MntWines"] == "spend_wine"
    assert mapping.values["Marital_Status"] == {"Cohabiting": "Together"}
    assert mapping.dates == {"Dt_Customer": "%m/%d/%Y"}
    assert mapping.label("Income") == "household_income" and mapping.label("Recency") == "Recency"


def test_settings_read_data_through_the_mapping(crm_file, mapping_file, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SMARTCART_DATA", str(crm_file))
    monkeypatch.setenv("SMARTCART_MAPPING", str(mapping_file))
    source = load_settings().data_source()
    assert validate(load_customers(source)).rows["used"] > 2000
    assert str(source) == str(crm_file)


def test_the_docs_contract_table_is_the_schema():
    page = (REPO / "docs" / "data" / "index.md").read_text(encoding="utf-8")
    assert contract_markdown() in page
