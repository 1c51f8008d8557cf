"""SQL expressions over a source's columns: a role as text, number or timestamp; the category
of a line (mapping rules); the channel of an order. `Columns` knows which file column holds a
role and its type, so Parquet's typed columns are used as they are and text is parsed."""

from __future__ import annotations

import re
from dataclasses import dataclass

from smartcart.engine.orders.layouts import OrderLayout
from smartcart.engine.orders.mapping import OTHER, CategoryRule
from smartcart.engine.orders.sources import OrderSource, quoted, sql_text

NUMBER_TYPES = re.compile(r"^(DOUBLE|FLOAT|REAL|DECIMAL|U?(TINY|SMALL|BIG|HUGE)?INT(EGER)?)")
TIME_TYPES = re.compile(r"^(DATE|TIMESTAMP)")
# Offsets are dropped: an order's day is the day on the shop's clock, as the export shows it.
OFFSET = r"(\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)\s*(Z|UTC|[+-]\d{2}:?\d{2})$"

# Shopify's `Source` -> channel. Numeric sources are apps' ids (Buy Button, marketplaces...).
SHOPIFY_CHANNELS = {
    "web": "web",
    "pos": "pos",
    "shopify_draft_order": "draft",
    "iphone": "app",
    "android": "app",
    "ipad": "app",
    "mobile_app": "app",
    "shop_app": "app",
    "facebook": "social",
    "instagram": "social",
    "facebook & instagram": "social",
    "tiktok": "social",
    "pinterest": "social",
    "amazon": "marketplace",
    "ebay": "marketplace",
    "etsy": "marketplace",
    "walmart": "marketplace",
    "google": "marketplace",
}


def slug(expression: str) -> str:
    """SQL: a text as a name (lower case, letters, digits and `_`), NULL when empty."""
    inner = f"trim(regexp_replace(lower(trim({expression})), '[^0-9a-z_]+', '_', 'g'), '_')"
    return f"nullif({inner}, '')"


@dataclass(frozen=True)
class Columns:
    """SQL expressions for the roles of a layout over an opened source."""

    source: OrderSource
    layout: OrderLayout
    date_format: str | None = None
    numbered: bool = True

    @property
    def relation(self) -> str:
        return self.source.relation if self.numbered else self.source.plain

    def name(self, role: str) -> str | None:
        return self.layout.column(role)

    def label(self, role: str) -> str:
        return self.layout.column(role) or role

    def raw(self, role: str) -> str:
        """The role's value as trimmed text, NULL when empty or absent."""
        column = self.name(role)
        if column is None:
            return "CAST(NULL AS VARCHAR)"
        return f"nullif(trim(CAST({quoted(column)} AS VARCHAR)), '')"

    def is_text(self, role: str) -> bool:
        column = self.name(role)
        return column is not None and self.source.types.get(column, "VARCHAR") == "VARCHAR"

    def key(self, role: str) -> str:
        """The role as an identifier: a typed column as it is (cheaper to group), text trimmed."""
        column = self.name(role)
        if column is None or self.is_text(role):
            return self.raw(role)
        return quoted(column)

    def present(self, role: str) -> str:
        """The text read for a role, to check and show; a typed column's value needs no
        check, so it is '' where set (formatting every value as text would cost a pass)."""
        column = self.name(role)
        if column is None or self.is_text(role):
            return self.raw(role)
        return f"CASE WHEN {quoted(column)} IS NOT NULL THEN '' END"

    def text(self, role: str) -> str:
        return self.raw(role)

    def lower(self, role: str) -> str:
        return f"lower({self.raw(role)})"

    def number(self, role: str) -> str:
        """The role as DOUBLE; NULL where the text is not a number (the raw text tells)."""
        column = self.name(role)
        if column is None:
            return "CAST(NULL AS DOUBLE)"
        if NUMBER_TYPES.match(self.source.types.get(column, "VARCHAR")):
            return f"CAST({quoted(column)} AS DOUBLE)"
        return f"TRY_CAST({self.raw(role)} AS DOUBLE)"

    def quantity(self) -> str:
        """The quantity as DOUBLE, 1 when the file leaves it empty or has no such column."""
        missing = f"CASE WHEN {self.present('quantity')} IS NULL THEN 1 END"
        return f"coalesce({self.number('quantity')}, {missing})"

    def is_typed_time(self, role: str) -> bool:
        column = self.name(role)
        return column is not None and bool(TIME_TYPES.match(self.source.types.get(column, "")))

    def timestamp(self, role: str) -> str:
        """The role as TIMESTAMP, parsed from text unless the source has it typed."""
        column = self.name(role)
        if column is None:
            return "CAST(NULL AS TIMESTAMP)"
        if self.is_typed_time(role):
            return f"CAST({quoted(column)} AS TIMESTAMP)"
        return parse_time(self.raw(role), self.date_format)


def parse_time(text: str, date_format: str | None) -> str:
    """SQL: text to TIMESTAMP by a strftime format, else ISO 8601 (offset dropped)."""
    if date_format:
        return f"try_strptime({text}, {sql_text(date_format)})"
    stripped = f"regexp_replace({text}, {sql_text(OFFSET)}, '\\1')"
    return f"TRY_CAST({stripped} AS TIMESTAMP)"


def category(rules: tuple[CategoryRule, ...], cols: Columns, fallback: str) -> str:
    """SQL: a line's category: the first matching rule, else `fallback` (SQL), else other."""
    cases = []
    for rule in rules:
        value = f"lower({cols.raw(rule.field)})"
        if cols.name(rule.field) is None:
            continue
        if rule.field == "sku":
            test = f"starts_with({value}, {sql_text(rule.pattern)})"
        else:
            test = f"{value} GLOB {sql_text(rule.pattern)}"
        cases.append(f"WHEN {test} THEN {sql_text(rule.category)}")
    ending = f"coalesce({fallback}, {sql_text(OTHER)})"
    if not cases:
        return ending
    return f"CASE {' '.join(cases)} ELSE {ending} END"


def shopify_channel(source: str) -> str:
    """SQL: Shopify's `Source` (lower-cased) as a channel; blank or unknown sources are other."""
    cases = " ".join(
        f"WHEN {sql_text(key)} THEN {sql_text(value)}" for key, value in SHOPIFY_CHANNELS.items()
    )
    return f"CASE {source} {cases} ELSE {sql_text(OTHER)} END"
