"""Audience filters on the lifetime columns: `--churn-risk high|medium|low`, `--top-clv 10%|500`.

They work on any audience table that carries the per-customer lifetime columns
(`churn_risk`, `predicted_clv_365d`); a table without them (a model trained without order
history) is refused in one line. The churn filter keeps the customers in that band; the top-CLV
filter keeps the given share (rounded up) or number of customers with the highest predicted
value over the next 365 days, ties broken by customer id so the same table gives the same
audience. Both record how many they left out, as the export's other filters do.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from smartcart.engine.errors import DataError

CHURN_BANDS = ("low", "medium", "high")
OUTSIDE_BAND = "not at {band} churn risk"
NOT_IN_TOP_CLV = "not among the highest predicted values"
NO_LIFETIME = (
    "these customers have no lifetime value: train on an order history (Shopify, WooCommerce "
    "or order lines) to filter by churn risk or predicted value"
)


@dataclass(frozen=True)
class LifetimeFilter:
    """A churn band and/or a top of the predicted 365-day value (a share or a count)."""

    churn_risk: str | None = None
    top_share: float | None = None
    top_count: int | None = None

    @classmethod
    def parse(cls, churn_risk: str | None = None, top_clv: str | None = None) -> LifetimeFilter:
        """From the option texts; a DataError names the option and what it accepts."""
        band = None
        if churn_risk is not None:
            band = churn_risk.strip().lower()
            if band not in CHURN_BANDS:
                raise DataError(f"--churn-risk {churn_risk!r}: choose high, medium or low")
        share = count = None
        if top_clv is not None:
            share, count = parse_top(top_clv)
        return cls(band, share, count)

    @property
    def active(self) -> bool:
        return (
            self.churn_risk is not None or self.top_share is not None or self.top_count is not None
        )

    def describe(self) -> str:
        parts = []
        if self.churn_risk:
            parts.append(f"{self.churn_risk} churn risk")
        if self.top_share is not None:
            parts.append(f"top {self.top_share:g}% by predicted value")
        if self.top_count is not None:
            parts.append(f"top {self.top_count:,} by predicted value")
        return ", ".join(parts)

    def apply(self, table: pd.DataFrame, left_out: dict[str, int]) -> pd.DataFrame:
        """The customers of ``table`` the filter keeps; counts of the others in ``left_out``."""
        if not self.active:
            return table
        if not {"churn_risk", "predicted_clv_365d"} <= set(table.columns):
            raise DataError(NO_LIFETIME)
        kept = table
        if self.churn_risk is not None:
            inside = kept["churn_risk"].astype("string").eq(self.churn_risk).fillna(False)
            left_out[OUTSIDE_BAND.format(band=self.churn_risk)] = int((~inside).sum())
            kept = kept[inside.to_numpy()]
        if self.top_share is not None or self.top_count is not None:
            valued = kept[kept["predicted_clv_365d"].notna()]
            if self.top_share is not None:
                wanted = math.ceil(len(valued) * self.top_share / 100)
            else:
                wanted = self.top_count or 0
            order = valued.sort_values(
                ["predicted_clv_365d", "customer_id"], ascending=[False, True], kind="stable"
            )
            chosen = order.head(wanted)
            left_out[NOT_IN_TOP_CLV] = len(kept) - len(chosen)
            kept = kept.loc[kept.index.isin(chosen.index)]
        return kept


def parse_top(text: str) -> tuple[float | None, int | None]:
    """``10%`` -> (10.0, None); ``500`` -> (None, 500); else a DataError."""
    value = text.strip()
    try:
        if value.endswith("%"):
            share = float(value[:-1])
            if 0 < share <= 100:
                return share, None
        else:
            count = int(value.replace(",", ""))
            if count > 0:
                return None, count
    except ValueError:
        pass
    raise DataError(f"--top-clv {text!r}: write a share like 10% or a number of customers like 500")
