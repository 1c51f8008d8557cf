"""Your order columns to the order-lines contract, and your products to your own categories:
the order mapping file (TOML), in the format of the customer mapping file plus `[categories]`.

```toml
[columns]                  # contract column = the column in your file
customer_id = "Client"
ordered_at = "Date"

[dates]                    # the format of ordered_at, strftime codes
ordered_at = "%d/%m/%Y"

[categories.sku]           # SKU prefix = category (case-insensitive)
"TEE-" = "apparel"

[categories.product]       # glob on the product name = category (case-insensitive)
"*mug*" = "home"

[categories.vendor]        # glob on the vendor; [categories.product_type] likewise
"Acme*" = "home"
```

Patterns are globs, not regular expressions: `*` any text, `?` one character, `[abc]` one of
those characters, matched against the whole value, ignoring case. The rules are tried in the
order the file gives them (section by section, line by line); the first that matches names the
line's category. A line no rule matches keeps the category its file gives (generic `category`
column), else it is `other`. Category names become column names (`spend_<category>`): they are
lower-cased, and anything but letters, digits and `_` becomes `_`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from smartcart.engine.errors import DataError
from smartcart.engine.files import did_you_mean, is_date_format, read_toml, toml_table
from smartcart.engine.orders.layouts import GENERIC_COLUMNS

SECTIONS = ("columns", "dates", "categories")
RULE_FIELDS = ("sku", "product", "product_type", "vendor")
DATE_COLUMNS = ("ordered_at",)
OTHER = "other"


@dataclass(frozen=True)
class CategoryRule:
    """One `[categories.<field>]` line: lines whose field matches get the category."""

    field: str  # "sku" (prefix) or "product", "product_type", "vendor" (glob)
    pattern: str
    category: str


@dataclass(frozen=True)
class OrderMapping:
    """A checked order mapping: contract column -> your column, date formats, category rules."""

    path: str
    columns: dict[str, str] = field(default_factory=dict)
    dates: dict[str, str] = field(default_factory=dict)
    categories: tuple[CategoryRule, ...] = ()

    def label(self, contract_column: str) -> str:
        """The name of the column in the user's file (for messages)."""
        return self.columns.get(contract_column, contract_column)

    def renames(self, file_columns: list[str], source: str) -> dict[str, str]:
        """Your column -> contract column; a mapped column missing from the file is an error."""
        for contract, yours in self.columns.items():
            if yours not in file_columns:
                raise DataError(
                    f"{self.path}: [columns] {contract} = {yours!r}, but {source} has no column "
                    f"{yours!r}{did_you_mean(yours, file_columns)}"
                )
        return {yours: contract for contract, yours in self.columns.items()}


def category_name(text: str) -> str:
    """A category as it appears in column names: lower case, letters, digits and `_`."""
    return re.sub(r"[^0-9a-z_]+", "_", text.strip().lower()).strip("_")


def read_order_mapping(path: str | Path) -> OrderMapping:
    """Read and check an order mapping file; a mistake is one DataError naming file and entry."""
    document = read_toml(path)
    return parse_order_mapping(document, str(path))


def parse_order_mapping(document: dict, where: str) -> OrderMapping:
    """Check a parsed TOML document (`where` names it in messages) and make it a mapping."""
    unknown = [name for name in document if name not in SECTIONS]
    if unknown:
        raise DataError(
            f"{where}: unknown section [{unknown[0]}]; "
            "an order mapping has [columns], [dates] and [categories.<field>]"
        )
    return OrderMapping(
        path=where,
        columns=_columns(document.get("columns", {}), where),
        dates=_dates(document.get("dates", {}), where),
        categories=parse_categories(document, where),
    )


def parse_categories(document: dict, where: str) -> tuple[CategoryRule, ...]:
    """The `[categories.<field>]` sections of a parsed TOML document as rules, in file order.
    Every mistake is one DataError naming the file, the section and the key."""
    section = toml_table(document.get("categories", {}), "categories", where)
    rules = []
    for name, table in section.items():
        if name not in RULE_FIELDS:
            raise DataError(
                f"{where}: [categories] {name!r} is not a field to match"
                f"{did_you_mean(name, list(RULE_FIELDS))} (one of: {', '.join(RULE_FIELDS)}; "
                'write [categories.sku] then `"PREFIX" = "category"` lines)'
            )
        for pattern, category in toml_table(table, f"categories.{name}", where).items():
            rules.append(_rule(name, pattern, category, where))
    return tuple(rules)


def _rule(name: str, pattern: str, category: object, where: str) -> CategoryRule:
    entry = f"{where}: [categories.{name}] {pattern!r}"
    if not isinstance(category, str) or not category_name(category):
        raise DataError(f"{entry} = {category!r}: the category must be a name in quotes")
    text = pattern.strip()
    if name == "sku":
        text = text.rstrip("*")  # a prefix; a trailing * says the same thing
    if not text or (name != "sku" and text.strip("*") == ""):
        raise DataError(f"{entry}: an empty pattern matches everything; name a prefix or a glob")
    if name == "sku" and any(c in text for c in "*?["):
        raise DataError(f"{entry}: [categories.sku] takes SKU prefixes, not patterns")
    if text.count("[") != text.count("]"):
        raise DataError(f"{entry}: unbalanced [ ] in the glob")
    return CategoryRule(name, text.lower(), category_name(category))


def _columns(section: object, where: str) -> dict[str, str]:
    columns: dict[str, str] = {}
    allowed = list(GENERIC_COLUMNS)
    for contract, yours in toml_table(section, "columns", where).items():
        if contract not in allowed:
            raise DataError(
                f"{where}: [columns] names {contract!r}, which is not an order-lines column"
                f"{did_you_mean(contract, allowed)} (columns: {', '.join(allowed)})"
            )
        if not isinstance(yours, str) or not yours.strip():
            raise DataError(f"{where}: [columns] {contract} must be a column name in quotes")
        if yours.strip() in columns.values():
            raise DataError(f"{where}: [columns] {contract}: column {yours!r} is named twice")
        columns[contract] = yours.strip()
    return columns


def _dates(section: object, where: str) -> dict[str, str]:
    dates = {}
    for contract, fmt in toml_table(section, "dates", where).items():
        if contract not in DATE_COLUMNS:
            raise DataError(f"{where}: [dates] {contract!r}: only ordered_at takes a format")
        if not isinstance(fmt, str) or not is_date_format(fmt):
            raise DataError(
                f"{where}: [dates] {contract} = {fmt!r} is not a date format of strftime codes "
                'with day, month and year (e.g. "%d/%m/%Y")'
            )
        dates[contract] = fmt
    return dates
