"""Who moved into high churn risk between two digests, and what they were worth.

Snapshots taken with a lifetime model keep each member's churn band and predicted 365-day value
(`snapshots.py`). Between the previous digest's snapshot and this one:

- `at_risk`, `revenue_at_risk`: customers at high churn risk now and their predicted value now;
- `moved_into_high`: customers at high risk now who were at low or medium risk at the previous
  digest (customers new since then are not counted: they did not move);
- `moved_worth`: their predicted value at the previous digest (what they were worth before
  they slipped), `moved_worth_now`: their predicted value now.

None without churn bands in the current snapshot (no lifetime model); the `moved_*` figures are
None on the first digest and when the previous snapshot has no bands (taken before the lifetime
model, or before revision 0007_history_churn_risk).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from smartcart.engine.history.snapshots import Snapshot

HIGH = "high"
LOWER_BANDS = ("low", "medium")


def has_bands(members: pd.DataFrame | None) -> bool:
    return (
        members is not None
        and "churn_risk" in members
        and bool(members["churn_risk"].notna().any())
    )


def churn_movement(previous: Snapshot | None, current: Snapshot) -> dict | None:
    """The churn figures of a digest (see the module's docstring)."""
    now = current.members
    if not has_bands(now):
        return None
    high = now[now["churn_risk"] == HIGH]
    out: dict = {
        "at_risk": len(high),
        "revenue_at_risk": float(high["predicted_clv_365d"].sum()),
        "moved_into_high": None,
        "moved_worth": None,
        "moved_worth_now": None,
    }
    before = previous.members if previous is not None else None
    if not has_bands(before):
        return out
    earlier = before[["customer_id", "churn_risk", "predicted_clv_365d"]].rename(
        columns={"churn_risk": "band_before", "predicted_clv_365d": "predicted_clv_365d_before"}
    )
    merged = high[["customer_id", "predicted_clv_365d"]].merge(earlier, on="customer_id")
    moved = merged[merged["band_before"].isin(LOWER_BANDS)]
    out["moved_into_high"] = len(moved)
    out["moved_worth"] = float(moved["predicted_clv_365d_before"].sum())
    out["moved_worth_now"] = float(moved["predicted_clv_365d"].sum())
    return out
