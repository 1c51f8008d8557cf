"""Column checks of validation: each turns one column (text or typed) into typed values and
adds a reason for every row that fails, worded for the failing rows only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import numpy as np
import pandas as pd

from smartcart.engine.data import schema
from smartcart.engine.data.mapping import contract_values
from smartcart.engine.data.sources import RawData

# A reason for every failing row: one text, a Series by row, or a function of the failing mask
# that words the reason for those rows only.
Messages = pd.Series | str | Callable[[pd.Series], pd.Series]


class Reasons:
    """Collects, per row, the first reason it fails."""

    def __init__(self, index: pd.Index) -> None:
        self.index = index
        self.failed = np.zeros(len(index), dtype=bool)
        self.reason = np.full(len(index), "", dtype=object)

    def add(self, failing: pd.Series | np.ndarray, messages: Messages) -> None:
        if isinstance(failing, pd.Series):
            failing = failing.fillna(False).to_numpy(dtype=bool)
        failing = failing & ~self.failed
        if not failing.any():
            return
        self.failed |= failing
        if callable(messages):  # worded for the failing rows only (most rows pass)
            mask = pd.Series(failing, index=self.index)
            self.reason[failing] = messages(mask).to_numpy(dtype=object)
        elif isinstance(messages, str):
            self.reason[failing] = messages
        else:
            self.reason[failing] = messages.to_numpy(dtype=object)[failing]


def show(values: pd.Series, pattern: str) -> Callable[[pd.Series], pd.Series]:
    return lambda rows: values[rows].map(lambda v: pattern.format(plain(v)))


def plain(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _is_number(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)


def as_text(series: pd.Series) -> pd.Series:
    """The values as the user would write them: whole floats without `.0`, dates ISO, empty
    for missing."""
    missing = series.isna().to_numpy()
    if pd.api.types.is_datetime64_any_dtype(series):
        text = series.dt.strftime("%Y-%m-%d")
    elif pd.api.types.is_float_dtype(series):
        whole = series.where(series % 1 == 0)
        text = series.astype(str).where(whole.isna(), whole.astype("Int64").astype(str))
    else:
        text = series.astype(str)
    text = text.astype(str).str.strip()
    text[missing] = ""
    return text


def numbers(
    frame: pd.DataFrame, column: str, label: Callable, reasons: Reasons, required: bool
) -> pd.Series:
    series, name = frame[column], label(column)
    if pd.api.types.is_integer_dtype(series) and not isinstance(series.dtype, pd.Int64Dtype):
        return series.astype("int64")  # whole, and nothing missing: nothing to check
    if _is_number(series):
        values = series.astype(float)
        empty = values.isna()
    else:
        text = as_text(series)
        values = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce")
        empty = text == ""
        reasons.add(~empty & values.isna(), quoted(text, f"{name}: {{}} is not a number"))
    if required:
        reasons.add(empty, f"{name}: empty")
    return values


def integers(
    frame: pd.DataFrame, column: str, label: Callable, reasons: Reasons, required: bool
) -> pd.Series:
    values = numbers(frame, column, label, reasons, required)
    if values.dtype == "int64":
        return values
    fractional = values.notna() & (values % 1 != 0)
    reasons.add(fractional, show(values, f"{label(column)}: {{}} is not a whole number"))
    return values


def quoted(values: pd.Series, pattern: str) -> Callable[[pd.Series], pd.Series]:
    """Messages quoting each failing value as text (converted for the failing rows only)."""
    return lambda rows: as_text(values[rows]).map(lambda v: pattern.format(repr(v[:40])))


def _mapped_text(raw: RawData, column: str) -> pd.Series:
    text = as_text(raw.frame[column])
    translations = raw.mapping.values.get(column) if raw.mapping else None
    return text.replace(translations) if translations else text


def categories(raw: RawData, column: str, reasons: Reasons) -> pd.Series:
    text, name = _mapped_text(raw, column), raw.label(column)
    allowed = contract_values(column)
    reasons.add(text == "", f"{name}: empty")
    choices = ", ".join(allowed)
    if raw.mapping and column in raw.mapping.values:
        choices += f" (or a value of [values.{column}] in {raw.mapping.path})"
    reasons.add(
        (text != "") & ~text.isin(allowed),
        quoted(text, f"{name}: {{}} is not one of {choices}"),
    )
    return text


def dates(raw: RawData, column: str, reasons: Reasons) -> pd.Series:
    series, name = raw.frame[column], raw.label(column)
    if pd.api.types.is_datetime64_any_dtype(series):
        if getattr(series.dt, "tz", None) is not None:
            series = series.dt.tz_convert(None)
        parsed = series.dt.normalize().astype("datetime64[ns]")
        reasons.add(parsed.isna(), f"{name}: empty")
        return parsed
    text = as_text(series)
    given = raw.mapping.dates.get(column) if raw.mapping else None
    formats = (given,) if given else schema.DATE_FORMATS
    parsed = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    for fmt in formats:
        todo = parsed.isna() & (text != "")
        if not todo.any():
            break
        parsed[todo] = _strict_dates(text[todo], fmt)
    objects = _date_objects(series, parsed)
    if objects is not None:
        parsed = parsed.fillna(objects)
    expected = (
        f"the format {given} of {raw.mapping.path}"
        if given
        else "dd-mm-yyyy, dd/mm/yyyy or yyyy-mm-dd"
    )
    reasons.add(text == "", f"{name}: empty")
    reasons.add(
        (text != "") & parsed.isna(),
        quoted(text, f"{name}: {{}} is not a date ({expected})"),
    )
    return parsed


def _strict_dates(text: pd.Series, fmt: str) -> pd.Series:
    """The dates in `fmt`, NaT where a text is not one. A file repeats few distinct dates (one
    per enrolment day), so each distinct text is parsed once and the result spread by code."""
    codes, uniques = pd.factorize(text)
    parsed = pd.to_datetime(pd.Series(uniques), format=fmt, errors="coerce")
    values = parsed.to_numpy(dtype="datetime64[ns]")
    dates = np.where(codes >= 0, values[np.maximum(codes, 0)], np.datetime64("NaT", "ns"))
    return pd.Series(dates, index=text.index, dtype="datetime64[ns]")


def _date_objects(series: pd.Series, parsed: pd.Series) -> pd.Series | None:
    """Dates held as date/datetime objects in a mixed column (SQL, Excel)."""
    if series.dtype != object:
        return None
    objects = series[parsed.isna()].map(lambda v: v if isinstance(v, date) else None).dropna()
    if objects.empty:
        return None
    return pd.to_datetime(objects, errors="coerce").dt.normalize().astype("datetime64[ns]")


def flags(raw: RawData, column: str, reasons: Reasons) -> pd.Series:
    series, name = raw.frame[column], raw.label(column)
    if _is_number(series):
        values = series.astype(float)
        shown = series
    else:
        shown = _mapped_text(raw, column)
        values = pd.to_numeric(shown, errors="coerce")
    reasons.add(~values.isin([0, 1]), quoted(shown, f"{name}: {{}} is not 0 or 1"))
    return values
