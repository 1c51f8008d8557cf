"""Turn raw text rows into typed customers; quarantine each row that fails, with its reason."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from segmentation import schema
from segmentation.errors import DataError
from segmentation.loading import DEFAULT_CHUNK_ROWS, DataSource, RawData, iter_customers
from segmentation.mapping import contract_values


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


def validate(
    raw: RawData, as_of: date | None = None, *, seen_ids: SeenIds | None = None
) -> ValidatedData:
    """Typed customers and the quarantine of failing rows, each with its line and reason.

    `seen_ids` carries the IDs of earlier chunks when validating chunk by chunk, so a repeated
    ID is caught across chunks too (see `iter_validated`)."""
    return _validate(raw, as_of, seen_ids, allow_empty=False)


def iter_validated(
    source: str | Path | DataSource,
    as_of: date,
    *,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    **load_options,
) -> Iterator[ValidatedData]:
    """Validated customers chunk by chunk, with bounded memory (the as-of date is needed up
    front: it cannot be the latest enrolment of data not read yet). Quarantine lines are file
    lines and IDs repeated across chunks are quarantined as in one piece; a chunk may have no
    usable rows, but a source with none at all is a DataError at the end."""
    if as_of is None:
        raise ValueError("validating in chunks needs the as-of date")
    seen, used, first_reason = SeenIds(), 0, None
    for raw in iter_customers(source, chunk_rows=chunk_rows, **load_options):
        data = _validate(raw, as_of, seen, allow_empty=True)
        used += len(data.customers)
        if first_reason is None and len(data.quarantine):
            first_reason = data.quarantine.iloc[0]
        yield data
    if not used:
        where = (
            f"line {first_reason['line']}: {first_reason['reason']}"
            if first_reason is not None
            else "no rows"
        )
        raise DataError(f"{source}: no usable customer rows ({where})")


def _validate(
    raw: RawData, as_of: date | None, seen_ids: SeenIds | None, allow_empty: bool
) -> ValidatedData:
    frame = raw.frame
    _check_columns(raw)
    reasons = _Reasons(frame.index)
    typed: dict[str, pd.Series] = {}
    label = raw.label

    typed[schema.ID] = _integers(frame, schema.ID, label, reasons, required=True)
    typed["Year_Birth"] = _integers(frame, "Year_Birth", label, reasons, required=True)
    income = _numbers(frame, "Income", label, reasons, required=False)
    typed["Income"] = income.astype(float)
    reasons.add(income < 0, _show(income, f"{label('Income')}: negative value {{}}"))
    reasons.add(
        income > schema.INCOME_CAP,
        _show(
            income, f"{label('Income')}: {{}} is above the plausible cap of {schema.INCOME_CAP:,}"
        ),
    )
    for column in schema.CATEGORY_COLUMNS:
        typed[column] = _categories(raw, column, reasons)
    typed["Dt_Customer"] = _dates(raw, "Dt_Customer", reasons)
    for column in schema.COUNT_COLUMNS:
        typed[column] = _integers(frame, column, label, reasons, required=True)
        reasons.add(
            typed[column] < 0, _show(typed[column], f"{label(column)}: negative value {{}}")
        )
    present_optional = [c for c in schema.OPTIONAL_COLUMNS if c in frame.columns]
    for column in present_optional:
        typed[column] = _flags(raw, column, reasons)

    as_of = as_of or _latest_date(typed["Dt_Customer"], reasons, raw)
    _check_ages(typed, as_of, label, reasons)
    _check_duplicate_ids(typed, raw, reasons, seen_ids)

    bad = reasons.failed
    positions = np.flatnonzero(bad)
    quarantine = pd.DataFrame(
        {
            "line": np.array([raw.line_of(i) for i in positions], dtype="int64"),
            "ID": pd.array(_as_text(frame[schema.ID].iloc[positions]), dtype="str"),
            "reason": pd.array(reasons.reason[positions], dtype="str"),
        }
    )
    customers = _finish_types(typed, ~bad, present_optional)
    if customers.empty and not allow_empty:
        first = quarantine["reason"].iloc[0] if len(quarantine) else "no rows"
        raise DataError(f"{raw.source}: no usable customer rows (line {raw.first_line}: {first})")
    notes = [*raw.notes, *_notes(customers, raw, present_optional)] if len(customers) else []
    return ValidatedData(
        customers, quarantine, as_of, raw.source, raw.sha256, raw.dialect, len(frame), notes
    )


class SeenIds:
    """IDs of earlier chunks with the line each first appeared on: sorted runs, merged as they
    grow (so finding a chunk's IDs costs a few binary searches, not a Python dict of millions)."""

    def __init__(self) -> None:
        self._runs: list[tuple[np.ndarray, np.ndarray]] = []

    def lines_of(self, ids: np.ndarray) -> np.ndarray:
        """The first line of each ID seen before, NaN for new ones."""
        found = np.full(len(ids), np.nan)
        for keys, lines in self._runs:
            at = np.minimum(np.searchsorted(keys, ids), len(keys) - 1)
            hit = (keys[at] == ids) & np.isnan(found)
            found[hit] = lines[at[hit]]
        return found

    def add(self, ids: np.ndarray, lines: np.ndarray) -> None:
        order = np.argsort(ids, kind="stable")
        keys, first_lines = ids[order], lines[order]
        while self._runs and len(self._runs[-1][0]) <= len(keys):
            old_keys, old_lines = self._runs.pop()
            keys = np.concatenate([old_keys, keys])
            first_lines = np.concatenate([old_lines, first_lines])
            order = np.argsort(keys, kind="stable")
            keys, first_lines = keys[order], first_lines[order]
        if len(keys):
            self._runs.append((keys, first_lines))


def _check_columns(raw: RawData) -> None:
    present = set(raw.frame.columns)
    missing = [c for c in schema.REQUIRED_COLUMNS if c not in present]
    if len(missing) == len(schema.REQUIRED_COLUMNS):
        found = ", ".join(list(raw.file_columns or raw.frame.columns)[:5])
        raise DataError(
            f"{raw.source}: none of the required customer columns found "
            f"(first columns: {found}); is this a customer export? If it is, "
            f"`smartcart mapping suggest {raw.source}` drafts a mapping of your columns"
        )
    if missing:
        hint = (
            f"; name your column for each in [columns] of {raw.mapping.path}"
            if raw.mapping
            else "; a mapping file (--mapping) can name your columns for them"
        )
        raise DataError(f"{raw.source}: missing required column(s): {', '.join(missing)}{hint}")


def _show(values: pd.Series, pattern: str) -> Callable[[pd.Series], pd.Series]:
    return lambda rows: values[rows].map(lambda v: pattern.format(_plain(v)))


def _plain(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _is_number(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)


def _as_text(series: pd.Series) -> pd.Series:
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


def _numbers(
    frame: pd.DataFrame, column: str, label: Callable, reasons: _Reasons, required: bool
) -> pd.Series:
    series, name = frame[column], label(column)
    if pd.api.types.is_integer_dtype(series) and not isinstance(series.dtype, pd.Int64Dtype):
        return series.astype("int64")  # whole, and nothing missing: nothing to check
    if _is_number(series):
        values = series.astype(float)
        empty = values.isna()
    else:
        text = _as_text(series)
        values = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce")
        empty = text == ""
        reasons.add(~empty & values.isna(), _quoted(text, f"{name}: {{}} is not a number"))
    if required:
        reasons.add(empty, f"{name}: empty")
    return values


def _integers(
    frame: pd.DataFrame, column: str, label: Callable, reasons: _Reasons, required: bool
) -> pd.Series:
    values = _numbers(frame, column, label, reasons, required)
    if values.dtype == "int64":
        return values
    fractional = values.notna() & (values % 1 != 0)
    reasons.add(fractional, _show(values, f"{label(column)}: {{}} is not a whole number"))
    return values


def _quoted(values: pd.Series, pattern: str) -> Callable[[pd.Series], pd.Series]:
    """Messages quoting each failing value as text (converted for the failing rows only)."""
    return lambda rows: _as_text(values[rows]).map(lambda v: pattern.format(repr(v[:40])))


def _mapped_text(raw: RawData, column: str) -> pd.Series:
    text = _as_text(raw.frame[column])
    translations = raw.mapping.values.get(column) if raw.mapping else None
    return text.replace(translations) if translations else text


def _categories(raw: RawData, column: str, reasons: _Reasons) -> pd.Series:
    text, name = _mapped_text(raw, column), raw.label(column)
    allowed = contract_values(column)
    reasons.add(text == "", f"{name}: empty")
    choices = ", ".join(allowed)
    if raw.mapping and column in raw.mapping.values:
        choices += f" (or a value of [values.{column}] in {raw.mapping.path})"
    reasons.add(
        (text != "") & ~text.isin(allowed),
        _quoted(text, f"{name}: {{}} is not one of {choices}"),
    )
    return text


def _dates(raw: RawData, column: str, reasons: _Reasons) -> pd.Series:
    series, name = raw.frame[column], raw.label(column)
    if pd.api.types.is_datetime64_any_dtype(series):
        if getattr(series.dt, "tz", None) is not None:
            series = series.dt.tz_convert(None)
        parsed = series.dt.normalize().astype("datetime64[ns]")
        reasons.add(parsed.isna(), f"{name}: empty")
        return parsed
    text = _as_text(series)
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
        _quoted(text, f"{name}: {{}} is not a date ({expected})"),
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


def _flags(raw: RawData, column: str, reasons: _Reasons) -> pd.Series:
    series, name = raw.frame[column], raw.label(column)
    if _is_number(series):
        values = series.astype(float)
        shown = series
    else:
        shown = _mapped_text(raw, column)
        values = pd.to_numeric(shown, errors="coerce")
    reasons.add(~values.isin([0, 1]), _quoted(shown, f"{name}: {{}} is not 0 or 1"))
    return values


def _latest_date(dates: pd.Series, reasons: _Reasons, raw: RawData) -> date:
    valid = dates[~reasons.failed].dropna()
    if valid.empty:
        valid = dates.dropna()
    if valid.empty:
        raise DataError(f"{raw.source}: no valid Dt_Customer date, so no as-of date can be set")
    return valid.max().date()


def _check_ages(
    typed: dict[str, pd.Series], as_of: date, label: Callable, reasons: _Reasons
) -> None:
    ages = as_of.year - typed["Year_Birth"]
    implausible = (ages > schema.OLDEST_PLAUSIBLE_AGE) | (ages < schema.YOUNGEST_PLAUSIBLE_AGE)
    name = label("Year_Birth")

    def messages(rows: pd.Series) -> pd.Series:
        years, row_ages = typed["Year_Birth"][rows], ages[rows]
        return pd.Series(
            [
                f"{name}: {_plain(year)} means age {_plain(age)} on {as_of}, not plausible"
                for year, age in zip(years, row_ages, strict=True)
            ],
            index=years.index,
        )

    reasons.add(implausible, messages)
    future = typed["Dt_Customer"] > pd.Timestamp(as_of)
    reasons.add(future, f"{label('Dt_Customer')}: after the as-of date {as_of}")


def _check_duplicate_ids(
    typed: dict[str, pd.Series], raw: RawData, reasons: _Reasons, seen: SeenIds | None
) -> None:
    ids = typed[schema.ID]
    known = ids.notna().to_numpy()
    values = ids.to_numpy(dtype=float)
    lines = raw.first_line + np.arange(len(ids))
    earlier = seen.lines_of(values) if seen is not None else np.full(len(ids), np.nan)
    first_here = known & ~ids.duplicated(keep="first").to_numpy() & np.isnan(earlier)
    first_line = pd.Series(lines[first_here], index=values[first_here])
    if seen is not None:
        seen.add(values[first_here], lines[first_here])
    repeated = known & ~first_here
    if not repeated.any():
        return
    from_here = pd.Series(values).map(first_line).to_numpy()
    earlier = np.where(np.isnan(earlier), from_here, earlier)
    name = raw.label(schema.ID)
    messages = pd.Series(
        [
            f"{name} {_plain(v)} appears again (first on line {int(line)})"
            for v, line in zip(values[repeated], earlier[repeated], strict=True)
        ],
        index=ids.index[repeated],
    )
    reasons.add(repeated, messages.reindex(ids.index))


def _finish_types(
    typed: dict[str, pd.Series], good: np.ndarray, optional: list[str]
) -> pd.DataFrame:
    """The good rows, in one frame: whole-number columns as int64."""
    integer_columns = {schema.ID, "Year_Birth", *schema.COUNT_COLUMNS, *optional}
    columns = {}
    for column, values in typed.items():
        kept = values.array[good]  # keeps the dtype (text stays str), even for no rows
        columns[column] = kept.astype("int64") if column in integer_columns else kept
    return pd.DataFrame(columns)


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
    rows = pd.util.hash_pandas_object(customers.drop(columns=[schema.ID]), index=False)
    twins = int(rows.duplicated().sum())  # 64-bit row hashes: a note's count, not a key
    if twins:
        notes.append(f"{twins} customers duplicate another in everything but ID: kept")
    return notes
