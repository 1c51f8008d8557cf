"""Numbers as marketers read them: the same formatters the templates use, plus durations."""

from __future__ import annotations

from smartcart.engine.reports import money, percent
from smartcart.engine.reports import times as lift

__all__ = ["lift", "money", "months", "percent"]


def months(days: float) -> str:
    count = round(days / 30.44)
    return f"{count} month{'s' if count != 1 else ''}"
