import pandas as pd
import pytest

from smartcart.engine.errors import DataError
from smartcart.engine.orders import (
    customers_from_orders,
    parse_categories,
    read_order_lines,
    read_order_mapping,
)

LINES = pd.DataFrame(
    {
        "client": ["a", "a", "a", "b"],
        "order_id": [1, 1, 2, 3],
        "when": ["03/01/2024", "03/01/2024", "15/02/2024", "20/02/2024"],
        "amount": [30.0, 10.0, 5.0, 8.0],
        "sku": ["tee-01", "MUG-2", "X", "Y"],
        "product": ["Crew Tee", "Big Mug", "Gift Card", "Green tea"],
        "vendor": ["Acme", "Acme", "Giftly", "Leafy Co"],
    }
)
MAPPING = """
[columns]
customer_id = "client"
ordered_at = "when"

[dates]
ordered_at = "%d/%m/%Y"

[categories.sku]
"TEE" = "Apparel & Tops"

[categories.product]
"*mug*" = "home"

[categories.vendor]
"leafy*" = "tea"
"""


def test_rules_name_categories_in_file_order(tmp_path):
    path = tmp_path / "orders.toml"
    path.write_text(MAPPING)
    mapping = read_order_mapping(path)
    lines = read_order_lines(LINES, mapping).frame
    assert list(lines.category) == ["apparel_tops", "home", "other", "tea"]
    assert list(lines.customer_id) == ["a", "a", "a", "b"]
    assert str(lines.ordered_at[2].date()) == "2024-02-15"  # day first, as the format says
    rows = customers_from_orders(LINES, mapping=mapping).frame.set_index("customer_id")
    assert rows.loc["a"].spend_apparel_tops == 30 and rows.loc["a"].share_home == pytest.approx(
        10 / 45
    )
    assert rows.loc["b"].spend_tea == 8


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"categories": {"colour": {"x": "y"}}}, "[categories] 'colour' is not a field"),
        ({"categories": {"sku": {"AB*C": "y"}}}, "[categories.sku] 'AB*C': [categories.sku]"),
        ({"categories": {"product": {"*": "all"}}}, "[categories.product] '*': an empty pattern"),
        ({"categories": {"vendor": {"Acme": 3}}}, "[categories.vendor] 'Acme' = 3: the category"),
        ({"categories": {"product": {"[ab": "x"}}}, "[categories.product] '[ab': unbalanced"),
        ({"categories": "sku"}, "[categories] must be a table"),
    ],
)
def test_category_mistakes_name_file_section_and_key(document, message):
    with pytest.raises(DataError) as error:
        parse_categories(document, "shop.toml")
    assert str(error.value).startswith("shop.toml: ")
    assert message in str(error.value)


def test_mapping_mistakes_are_one_line(tmp_path):
    path = tmp_path / "m.toml"
    path.write_text('[columns]\ncustomer = "client"\n')
    with pytest.raises(DataError, match=r"m.toml: \[columns\] names 'customer'.*customer_id"):
        read_order_mapping(path)
    path.write_text('[columns]\ncustomer_id = "nope"\n')
    with pytest.raises(DataError, match="has no column 'nope'"):
        read_order_lines(LINES, read_order_mapping(path))
    path.write_text('[dates]\nordered_at = "%H:%M"\n')
    with pytest.raises(DataError, match=r"\[dates\] ordered_at = '%H:%M' is not a date format"):
        read_order_mapping(path)
