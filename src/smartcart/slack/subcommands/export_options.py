"""The export form's options, as `/segment export <persona> [format=...] [min-confidence=...]
[churn-risk=...] [top-clv=...]`.

The form's submission becomes this command's text, so both take one path (access check, audit,
file to the user's DM). Formats and their titles are the engine's (`smartcart.engine.marketing.audiences`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from smartcart.engine.marketing import FORMAT_TITLES, FORMATS


@dataclass(frozen=True)
class FormOptions:
    min_confidence: float | None = None
    format: str = "csv"
    churn_risk: str | None = None  # high, medium or low
    top_clv: str | None = None  # `10%` or `500`, as typed (checked by LifetimeFilter.parse)

    def words(self) -> list[str]:
        """The options as command words (what the export form's submission becomes)."""
        confidence = (
            [] if self.min_confidence is None else [f"min-confidence={self.min_confidence:g}"]
        )
        lifetime = [
            f"{key}={value}"
            for key, value in (("churn-risk", self.churn_risk), ("top-clv", self.top_clv))
            if value is not None
        ]
        return [f"format={self.format}", *confidence, *lifetime]


def parse_confidence(text: str, bare_percent: bool = True) -> float:
    """`0.6` or `60%` -> 0.6 (and, with `bare_percent` as the form allows, `60`); ValueError
    with a message naming the problem otherwise. The export command and form both parse here."""
    raw = text.strip()
    percent = raw.endswith("%")
    try:
        value = float(raw.rstrip("%").strip())
    except ValueError:
        raise ValueError("the minimum confidence is a number like 0.6 or 60%") from None
    if not math.isfinite(value):
        raise ValueError("the minimum confidence is a number like 0.6 or 60%")
    if percent or (bare_percent and value > 1):
        value /= 100
    if not 0 <= value <= 1:
        raise ValueError("the minimum confidence is between 0 and 1 (or 0% and 100%)")
    return round(value, 4)


def parse_format(text: str) -> str:
    chosen = text.strip().lower().lstrip(".")
    if chosen not in FORMATS:
        raise ValueError(f"the format is one of {', '.join(FORMATS)}")
    return chosen


def format_label(file_format: str) -> str:
    return FORMAT_TITLES[file_format]
