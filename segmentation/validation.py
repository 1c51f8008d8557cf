"""Turn raw text rows into typed customers; quarantine each row that fails, with its reason."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from segmentation import schema
from segmentation.errors import DataError
from segmentation.loading import RawData


@dataclass
class ValidatedData:
    customers: pd.DataFrame
    quarantine: pd.DataFrame  # columns: line, ID, reason
    as_of: date
    source: str
    sha256: str
    dialect: str
    rows_read: int
    notes: list[str] = field(default_factory=list)

    @property
    def has_campaigns(self) -> bool:
        return all(c in self.customers.columns for c in schema.CAMPAIGN_COLUMNS)

    @property
    def rows(self) -> dict[str, int]:
        return {
            "read": self.rows_read,
            "used": len(self.customers),
            "quarantined": len(self.quarantine),
        }


# A reason for every failing row: one text, a Series by row, or a function of the failing mask
# that words the reason for those rows only.
Messages = pd.Series | str | Callable[[pd.Series], pd.Series]


class _Reasons:
    """Collects, per row, the first reason it fails."""

    def __init__(self, index: pd.Index) -> None:
        self.reason = pd.Series("", index=index, dtype=object)

    def add(self, failing: pd.Series, messages: Messages) -> None:
        failing = failing.fillna(False).astype(bool) & (self.reason == "")
        if not failing.any():
            return
        if callable(messages):  # worded for the failing rows only (most rows pass)
            self.reason[failing] = messages(failing)
        elif isinstance(messages, str):
            self.reason[failing] = messages
        else:
            self.reason[failing] = messages[failing]


def validate(raw: RawData, as_of: date | None = None) -> ValidatedData:
    frame = raw.frame
    _check_columns(raw)
    reasons = _Reasons(frame.index)
    typed = pd.DataFrame(index=frame.index)

    typed[schema.ID] = _integers(frame, schema.ID, reasons, required=True)
    typed["Year_Birth"] = _integers(frame, "Year_Birth", reasons, required=True)
    typed["Income"] = _numbers(frame, "Income", reasons, required=False)
    reasons.add(typed["Income"] < 0, _show(typed["Income"], "Income: negative value {}"))
    reasons.add(
        typed["Income"] > schema.INCOME_CAP,
        _show(typed["Income"], f"Income: {{}} is above the plausible cap of {schema.INCOME_CAP:,}"),
    )
    for column in schema.CATEGORY_COLUMNS:
        typed[column] = _categories(frame, column, reasons)
    typed["Dt_Customer"] = _dates(frame, "Dt_Customer", reasons)
    for column in schema.COUNT_COLUMNS:
        typed[column] = _integers(frame, column, reasons, required=True)
        reasons.add(typed[column] < 0, _show(typed[column], f"{column}: negative value {{}}"))
    present_optional = [c for c in schema.OPTIONAL_COLUMNS if c in frame.columns]
    for column in present_optional:
        typed[column] = _flags(frame, column, reasons)

    as_of = as_of or _latest_date(typed["Dt_Customer"], reasons, raw)
    _check_ages(typed, as_of, reasons)
    _check_duplicate_ids(typed, raw, reasons)

    bad = reasons.reason != ""
    quarantine = pd.DataFrame(
        {
            "line": [raw.line_of(i) for i in np.flatnonzero(bad.to_numpy())],
            "ID": frame.loc[bad, schema.ID].to_numpy(),
            "reason": reasons.reason[bad].to_numpy(),
        }
    )
    customers = _finish_types(typed.loc[~bad], present_optional)
    if customers.empty:
        first = quarantine["reason"].iloc[0] if len(quarantine) else "no rows"
        raise DataError(f"{raw.source}: no usable customer rows (line 2: {first})")
    notes = _notes(customers, raw, present_optional)
    return ValidatedData(
        customers, quarantine, as_of, raw.source, raw.sha256, raw.dialect, len(frame), notes
    )


def _check_columns(raw: RawData) -> None:
    present = set(raw.frame.columns)
    missing = [c for c in schema.REQUIRED_COLUMNS if c not in present]
    if len(missing) == len(schema.REQUIRED_COLUMNS):
        found = ", ".join(list(raw.frame.columns)[:5])
        raise DataError(
            f"{raw.source}: none of the required customer columns found "
            f"(first columns: {found}); is this a customer export?"
        )
    if missing:
        raise DataError(f"{raw.source}: missing required column(s): {', '.join(missing)}")


def _show(values: pd.Series, pattern: str) -> Callable[[pd.Series], pd.Series]:
    return lambda rows: values[rows].map(lambda v: pattern.format(_plain(v)))


def _plain(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    return frame[column].astype(str).str.strip()


def _numbers(frame: pd.DataFrame, column: str, reasons: _Reasons, required: bool) -> pd.Series:
    text = _text(frame, column)
    values = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce")
    empty = text == ""
    reasons.add(~empty & values.isna(), _quoted(text, f"{column}: {{}} is not a number"))
    if required:
        reasons.add(empty, f"{column}: empty")
    return values.astype(float)


def _integers(frame: pd.DataFrame, column: str, reasons: _Reasons, required: bool) -> pd.Series:
    values = _numbers(frame, column, reasons, required)
    fractional = values.notna() & (values % 1 != 0)
    reasons.add(fractional, _show(values, f"{column}: {{}} is not a whole number"))
    return values


def _quoted(text: pd.Series, pattern: str) -> Callable[[pd.Series], pd.Series]:
    return lambda rows: text[rows].map(lambda v: pattern.format(repr(v[:40])))


def _categories(frame: pd.DataFrame, column: str, reasons: _Reasons) -> pd.Series:
    text = _text(frame, column)
    allowed = (
        set(schema.EDUCATION_LEVELS)
        if column == "Education"
        else schema.PARTNER_STATUSES | schema.SINGLE_STATUSES | schema.ODD_STATUSES
    )
    reasons.add(text == "", f"{column}: empty")
    choices = ", ".join(sorted(allowed))
    reasons.add(
        (text != "") & ~text.isin(allowed),
        _quoted(text, f"{column}: {{}} is not one of {choices}"),
    )
    return text


def _dates(frame: pd.DataFrame, column: str, reasons: _Reasons) -> pd.Series:
    text = _text(frame, column)
    parsed = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    for fmt in schema.DATE_FORMATS:
        todo = parsed.isna()
        if not todo.any():
            break
        parsed[todo] = pd.to_datetime(text[todo], format=fmt, errors="coerce")
    reasons.add(text == "", f"{column}: empty")
    reasons.add(
        (text != "") & parsed.isna(),
        _quoted(text, f"{column}: {{}} is not a date (dd-mm-yyyy, dd/mm/yyyy or yyyy-mm-dd)"),
    )
    return parsed


def _flags(frame: pd.DataFrame, column: str, reasons: _Reasons) -> pd.Series:
    text = _text(frame, column)
    values = pd.to_numeric(text, errors="coerce")
    reasons.add(~values.isin([0, 1]), _quoted(text, f"{column}: {{}} is not 0 or 1"))
    return values


def _latest_date(dates: pd.Series, reasons: _Reasons, raw: RawData) -> date:
    valid = dates[reasons.reason == ""].dropna()
    if valid.empty:
        valid = dates.dropna()
    if valid.empty:
        raise DataError(f"{raw.source}: no valid Dt_Customer date, so no as-of date can be set")
    return valid.max().date()


def _check_ages(typed: pd.DataFrame, as_of: date, reasons: _Reasons) -> None:
    ages = as_of.year - typed["Year_Birth"]
    implausible = (ages > schema.OLDEST_PLAUSIBLE_AGE) | (ages < schema.YOUNGEST_PLAUSIBLE_AGE)

    def messages(rows: pd.Series) -> pd.Series:
        years, row_ages = typed.loc[rows, "Year_Birth"], ages[rows]
        return pd.Series(
            [
                f"Year_Birth: {_plain(year)} means age {_plain(age)} on {as_of}, not plausible"
                for year, age in zip(years, row_ages, strict=True)
            ],
            index=years.index,
        )

    reasons.add(implausible, messages)
    future = typed["Dt_Customer"] > pd.Timestamp(as_of)
    reasons.add(future, f"Dt_Customer: after the as-of date {as_of}")


def _check_duplicate_ids(typed: pd.DataFrame, raw: RawData, reasons: _Reasons) -> None:
    ids = typed[schema.ID]
    repeated = ids.notna() & ids.duplicated(keep="first")
    if not repeated.any():
        return
    first_position = {}
    for position, value in enumerate(ids.to_numpy()):
        first_position.setdefault(value, position)
    messages = ids.map(
        lambda v: (
            f"ID {_plain(v)} appears again (first on line {raw.line_of(first_position.get(v, 0))})"
        )
    )
    reasons.add(repeated, messages)


def _finish_types(typed: pd.DataFrame, optional: list[str]) -> pd.DataFrame:
    out = typed.copy()
    integer_columns = [schema.ID, "Year_Birth", *schema.COUNT_COLUMNS, *optional]
    out[integer_columns] = out[integer_columns].astype("int64")
    return out.reset_index(drop=True)


def _notes(customers: pd.DataFrame, raw: RawData, optional: list[str]) -> list[str]:
    notes = [f"read {raw.source} as {raw.dialect}"]
    missing_income = int(customers["Income"].isna().sum())
    if missing_income:
        notes.append(f"{missing_income} customers have no Income: the training median is used")
    odd = int(customers["Marital_Status"].isin(schema.ODD_STATUSES).sum())
    if odd:
        notes.append(f"{odd} customers have Marital_Status Absurd or YOLO: counted as living alone")
    missing_campaigns = [c for c in schema.CAMPAIGN_COLUMNS if c not in optional]
    if missing_campaigns:
        notes.append(
            "no campaign columns (AcceptedCmp1..5): campaign acceptances are left out of the features"
        )
    if "Response" not in optional:
        notes.append("no Response column: response rates cannot be reported")
    twins = int(customers.drop(columns=[schema.ID]).duplicated().sum())
    if twins:
        notes.append(f"{twins} customers duplicate another in everything but ID: kept")
    return notes
