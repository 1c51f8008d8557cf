"""Segment history: digest periods, snapshots per period, and the comparison a digest reports."""

from smartcart.engine.history import snapshots
from smartcart.engine.history.comparison import (
    GONE,
    NEW,
    Comparison,
    persona_name,
    persona_short,
    prepare_digest,
)
from smartcart.engine.history.periods import Period, period_at
from smartcart.engine.history.snapshots import as_utc, recent_history, stored_snapshot

__all__ = [
    "Comparison",
    "GONE",
    "NEW",
    "Period",
    "as_utc",
    "period_at",
    "persona_name",
    "persona_short",
    "prepare_digest",
    "recent_history",
    "snapshots",
    "stored_snapshot",
]
