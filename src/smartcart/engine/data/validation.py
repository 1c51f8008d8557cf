"""Turn raw text rows into typed customers; quarantine each row that fails, with its reason."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from smartcart.engine.data import checks, schema
from smartcart.engine.data.loading import iter_customers
from smartcart.engine.data.sources import DEFAULT_CHUNK_ROWS, DataSource, RawData
from smartcart.engine.errors import DataError


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
    contract: str = "customers"  # "orders": customers derived from order lines (order_input)
    order_totals: pd.DataFrame | None = None  # a chunk's counted orders, when asked for

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
    reasons = checks.Reasons(frame.index)
    typed: dict[str, pd.Series] = {}
    label = raw.label

    typed[schema.ID] = checks.integers(frame, schema.ID, label, reasons, required=True)
    typed["Year_Birth"] = checks.integers(frame, "Year_Birth", label, reasons, required=True)
    income = checks.numbers(frame, "Income", label, reasons, required=False)
    typed["Income"] = income.astype(float)
    reasons.add(income < 0, checks.show(income, f"{label('Income')}: negative value {{}}"))
    reasons.add(
        income > schema.INCOME_CAP,
        checks.show(
            income, f"{label('Income')}: {{}} is above the plausible cap of {schema.INCOME_CAP:,}"
        ),
    )
    for column in schema.CATEGORY_COLUMNS:
        typed[column] = checks.categories(raw, column, reasons)
    typed["Dt_Customer"] = checks.dates(raw, "Dt_Customer", reasons)
    for column in schema.COUNT_COLUMNS:
        typed[column] = checks.integers(frame, column, label, reasons, required=True)
        reasons.add(
            typed[column] < 0, checks.show(typed[column], f"{label(column)}: negative value {{}}")
        )
    present_optional = [c for c in schema.OPTIONAL_COLUMNS if c in frame.columns]
    for column in present_optional:
        typed[column] = checks.flags(raw, column, reasons)

    as_of = as_of or _latest_date(typed["Dt_Customer"], reasons, raw)
    _check_ages(typed, as_of, label, reasons)
    _check_duplicate_ids(typed, raw, reasons, seen_ids)

    bad = reasons.failed
    positions = np.flatnonzero(bad)
    quarantine = pd.DataFrame(
        {
            "line": np.array([raw.line_of(i) for i in positions], dtype="int64"),
            "ID": pd.array(checks.as_text(frame[schema.ID].iloc[positions]), dtype="str"),
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
    """IDs of earlier chunks with the line each first appeared on, for finding repeats across
    chunks: sorted runs of at most MAX_RUN IDs, merged in place of an argsort. An ID takes 4
    bytes (uint32, when it is a whole number below 2**32, as most customer numbers are; else 8
    as float64) and its line 4. Finding a chunk's IDs costs a binary search per run; capping
    the runs keeps the merge's copies small, so memory grows by little more than the bytes per
    ID seen (10M IDs: about 80 MB)."""

    MAX_RUN = 1 << 20

    def __init__(self) -> None:
        self._runs: list[tuple[np.ndarray, np.ndarray]] = []

    def lines_of(self, ids: np.ndarray) -> np.ndarray:
        """The first line of each ID seen before, NaN for new ones."""
        found = np.full(len(ids), np.nan)
        small = _fits_uint32(ids)
        as_small = np.where(small, ids, 0).astype(np.uint32)
        for keys, lines in self._runs:
            query, comparable = (as_small, small) if keys.dtype == np.uint32 else (ids, True)
            at = np.minimum(np.searchsorted(keys, query), len(keys) - 1)
            hit = (keys[at] == query) & comparable & np.isnan(found)
            found[hit] = lines[at[hit]]
        return found

    def add(self, ids: np.ndarray, lines: np.ndarray) -> None:
        """Add IDs not seen before (each once) with their lines."""
        order = np.argsort(ids, kind="stable")
        keys, first_lines = _compact(ids[order]), lines[order].astype(np.uint32)
        while (
            self._runs
            and len(self._runs[-1][0]) <= len(keys)
            and len(self._runs[-1][0]) + len(keys) <= self.MAX_RUN
        ):
            keys, first_lines = _merge(self._runs.pop(), (keys, first_lines))
        if len(keys):
            self._runs.append((keys, first_lines))


def _fits_uint32(ids: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return (ids >= 0) & (ids < 2**32) & (np.floor(ids) == ids)


def _compact(keys: np.ndarray) -> np.ndarray:
    return keys.astype(np.uint32) if _fits_uint32(keys).all() else keys.astype(float)


def _merge(
    older: tuple[np.ndarray, np.ndarray], newer: tuple[np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Two sorted runs as one: each newer key goes after the older keys not above it."""
    (old_keys, old_lines), (new_keys, new_lines) = older, newer
    kind = np.uint32 if old_keys.dtype == new_keys.dtype == np.uint32 else float
    old_keys, new_keys = old_keys.astype(kind, copy=False), new_keys.astype(kind, copy=False)
    at = np.searchsorted(old_keys, new_keys, side="right") + np.arange(len(new_keys))
    from_old = np.ones(len(old_keys) + len(new_keys), dtype=bool)
    from_old[at] = False
    keys = np.empty(len(from_old), dtype=kind)
    lines = np.empty(len(from_old), dtype=np.uint32)
    keys[at], lines[at] = new_keys, new_lines
    keys[from_old], lines[from_old] = old_keys, old_lines
    return keys, lines


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


def _latest_date(dates: pd.Series, reasons: checks.Reasons, raw: RawData) -> date:
    valid = dates[~reasons.failed].dropna()
    if valid.empty:
        valid = dates.dropna()
    if valid.empty:
        raise DataError(f"{raw.source}: no valid Dt_Customer date, so no as-of date can be set")
    return valid.max().date()


def _check_ages(
    typed: dict[str, pd.Series], as_of: date, label: Callable, reasons: checks.Reasons
) -> None:
    ages = as_of.year - typed["Year_Birth"]
    implausible = (ages > schema.OLDEST_PLAUSIBLE_AGE) | (ages < schema.YOUNGEST_PLAUSIBLE_AGE)
    name = label("Year_Birth")

    def messages(rows: pd.Series) -> pd.Series:
        years, row_ages = typed["Year_Birth"][rows], ages[rows]
        return pd.Series(
            [
                f"{name}: {checks.plain(year)} means age {checks.plain(age)} on {as_of}, not plausible"
                for year, age in zip(years, row_ages, strict=True)
            ],
            index=years.index,
        )

    reasons.add(implausible, messages)
    future = typed["Dt_Customer"] > pd.Timestamp(as_of)
    reasons.add(future, f"{label('Dt_Customer')}: after the as-of date {as_of}")


def _check_duplicate_ids(
    typed: dict[str, pd.Series], raw: RawData, reasons: checks.Reasons, seen: SeenIds | None
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
            f"{name} {checks.plain(v)} appears again (first on line {int(line)})"
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
