"""Your columns and values to the data contract: the mapping file (TOML).

```toml
[columns]              # contract column = the column in your file
ID = "customer_ref"

[values.Education]     # your value = contract value
"Bachelor" = "Graduation"

[dates]                # the format of a date column, strftime codes
Dt_Customer = "%m/%d/%Y"
```

Sections `[values.X]` and `[dates]` are keyed by the contract column. Columns not named keep
their contract names; values not listed pass through. Every mistake is one line naming it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from smartcart.engine.data import schema
from smartcart.engine.errors import DataError
from smartcart.engine.files import did_you_mean, is_date_format, read_toml, toml_table

SECTIONS = ("columns", "values", "dates")
DATE_COLUMNS = ("Dt_Customer",)
FLAG_VALUES = ("0", "1")


def contract_values(column: str) -> tuple[str, ...]:
    """The values the contract allows in a category or flag column (empty for other columns)."""
    if column == "Education":
        return tuple(sorted(schema.EDUCATION_LEVELS))
    if column == "Marital_Status":
        statuses = schema.PARTNER_STATUSES | schema.SINGLE_STATUSES | schema.ODD_STATUSES
        return tuple(sorted(statuses))
    if column in schema.FLAG_COLUMNS:
        return FLAG_VALUES
    return ()


@dataclass(frozen=True)
class DataMapping:
    """A checked mapping file: contract column -> your column, value translations, date formats."""

    path: str
    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    dates: dict[str, str] = field(default_factory=dict)

    def label(self, contract_column: str) -> str:
        """The name of the column in the user's file (for messages)."""
        return self.columns.get(contract_column, contract_column)

    def renames(self, file_columns: list[str], source: str) -> tuple[dict[str, str], list[str]]:
        """(your column -> contract column, your columns to drop because a mapped one replaces
        them); a mapped column missing from the file is one DataError naming it."""
        present = set(file_columns)
        for contract, yours in self.columns.items():
            if yours not in present:
                shown = ", ".join(file_columns[:8]) + (", ..." if len(file_columns) > 8 else "")
                hint = did_you_mean(yours, file_columns)
                raise DataError(
                    f"{self.path}: [columns] {contract} = {yours!r}, but {source} has no column "
                    f"{yours!r}{hint} (its columns: {shown})"
                )
        renames = {yours: contract for contract, yours in self.columns.items()}
        shadowed = [c for c in file_columns if c in self.columns and c not in renames]
        return renames, shadowed


def read_mapping(path: str | Path) -> DataMapping:
    """Read and check a mapping file; any mistake is one DataError naming the file and entry."""
    document = read_toml(path)
    return parse_mapping(document, str(path))


def parse_mapping(document: dict, where: str) -> DataMapping:
    unknown = [name for name in document if name not in SECTIONS]
    if unknown:
        raise DataError(
            f"{where}: unknown section [{unknown[0]}]; "
            "a mapping has [columns], [values.<contract column>] and [dates]"
        )
    return DataMapping(
        path=where,
        columns=_columns(document.get("columns", {}), where),
        values=_values(document.get("values", {}), where),
        dates=_dates(document.get("dates", {}), where),
    )


def _contract_column(name: str, section: str, where: str, allowed: list[str]) -> None:
    if name not in allowed:
        raise DataError(
            f"{where}: [{section}] names {name!r}, which is not a contract column"
            f"{did_you_mean(name, allowed)} (contract columns: {', '.join(allowed)})"
        )


def _columns(section: object, where: str) -> dict[str, str]:
    columns = {}
    for contract, yours in toml_table(section, "columns", where).items():
        _contract_column(contract, "columns", where, schema.PUBLISHED_COLUMNS)
        if not isinstance(yours, str) or not yours.strip():
            raise DataError(f"{where}: [columns] {contract} must be a column name in quotes")
        columns[contract] = yours.strip()
    taken: dict[str, str] = {}
    for contract, yours in columns.items():
        if yours in taken:
            raise DataError(
                f"{where}: [columns] {taken[yours]} and {contract} both name column {yours!r}"
            )
        taken[yours] = contract
    return columns


def _values(section: object, where: str) -> dict[str, dict[str, str]]:
    values = {}
    mappable = [*schema.CATEGORY_COLUMNS, *schema.FLAG_COLUMNS]
    for contract, table in toml_table(section, "values", where).items():
        _contract_column(contract, "values", where, mappable)
        allowed = contract_values(contract)
        translated = {}
        for yours, target in toml_table(table, f"values.{contract}", where).items():
            target_text = str(target).strip() if isinstance(target, str | int) else None
            if target_text not in allowed:
                raise DataError(
                    f"{where}: [values.{contract}] {yours!r} = {target!r}: not a contract value "
                    f"of {contract}{did_you_mean(str(target), list(allowed))} "
                    f"(one of: {', '.join(allowed)})"
                )
            translated[yours.strip()] = target_text
        values[contract] = translated
    return values


def _dates(section: object, where: str) -> dict[str, str]:
    dates = {}
    for contract, fmt in toml_table(section, "dates", where).items():
        _contract_column(contract, "dates", where, list(DATE_COLUMNS))
        if not isinstance(fmt, str) or not is_date_format(fmt):
            raise DataError(
                f"{where}: [dates] {contract} = {fmt!r} is not a date format of strftime codes "
                'with day, month and year (e.g. "%m/%d/%Y")'
            )
        dates[contract] = fmt
    return dates
