"""Numbers as marketers read them."""

from __future__ import annotations


def percent(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:.{digits}%}"


def money(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f}"


def lift(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}×"


def months(days: float) -> str:
    count = round(days / 30.44)
    return f"{count} month{'s' if count != 1 else ''}"
