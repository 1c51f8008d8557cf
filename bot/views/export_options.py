"""Options of `/segment export <persona> [--min-confidence X] [--format csv|parquet]`.

The same options the export form offers: the form's submission becomes this command's text, so
both take one path (access check, audit, file to the user's DM).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import pandas as pd

from bot.answers import UserError, strip_control_characters, truncate

FORMATS = ("csv", "parquet")
MIN_CONFIDENCE_FLAG = "--min-confidence"
FORMAT_FLAG = "--format"
USAGE = "Try `/segment export premium --min-confidence 0.6 --format csv`."


@dataclass(frozen=True)
class ExportOptions:
    min_confidence: float | None = None
    format: str = "csv"

    def flags(self) -> list[str]:
        """The options as command words (what the export form's submission becomes)."""
        words = (
            [] if self.min_confidence is None else [MIN_CONFIDENCE_FLAG, f"{self.min_confidence:g}"]
        )
        return [*words, FORMAT_FLAG, self.format]

    def describe(self) -> str:
        """`confidence ≥ 60%` (empty without a minimum)."""
        if self.min_confidence is None:
            return ""
        return f"confidence ≥ {self.min_confidence * 100:g}%"


def parse_confidence(text: str) -> float:
    """`0.6`, `60%` or `60` -> 0.6; ValueError with a message naming the problem otherwise."""
    raw = text.strip()
    percent = raw.endswith("%")
    try:
        value = float(raw.rstrip("%").strip())
    except ValueError:
        raise ValueError("the minimum confidence is a number like 0.6 or 60%") from None
    if not math.isfinite(value):
        raise ValueError("the minimum confidence is a number like 0.6 or 60%")
    if percent or value > 1:
        value /= 100
    if not 0 <= value <= 1:
        raise ValueError("the minimum confidence is between 0 and 1 (or 0% and 100%)")
    return round(value, 4)


def parse_format(text: str) -> str:
    chosen = text.strip().lower().lstrip(".")
    if chosen not in FORMATS:
        raise ValueError(f"the format is one of {', '.join(FORMATS)}")
    return chosen


def split_export_args(args: list[str]) -> tuple[list[str], ExportOptions]:
    """The persona's words and the options; a UserError names a wrong or incomplete option."""
    words: list[str] = []
    found: dict[str, str] = {}
    position = 0
    while position < len(args):
        word = args[position]
        if not word.startswith("--"):
            words.append(word)
            position += 1
            continue
        flag = word.lower()
        if flag not in (MIN_CONFIDENCE_FLAG, FORMAT_FLAG):
            shown = truncate(strip_control_characters(word), 40)
            raise UserError(f"`export` has no option `{shown}`. {USAGE}")
        if position + 1 >= len(args):
            raise UserError(f"`{flag}` needs a value. {USAGE}")
        found[flag] = args[position + 1]
        position += 2
    try:
        options = ExportOptions(
            min_confidence=parse_confidence(found[MIN_CONFIDENCE_FLAG])
            if MIN_CONFIDENCE_FLAG in found
            else None,
            format=parse_format(found.get(FORMAT_FLAG, "csv")),
        )
    except ValueError as error:
        raise UserError(f"In `export`, {error}. {USAGE}") from None
    return words, options


def encode(table: pd.DataFrame, file_format: str) -> bytes:
    """The table as file bytes: CSV (UTF-8, header row) or Parquet."""
    if file_format == "parquet":
        buffer = io.BytesIO()
        table.to_parquet(buffer, index=False)
        return buffer.getvalue()
    return table.to_csv(index=False, lineterminator="\n").encode("utf-8")
