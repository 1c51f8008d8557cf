"""Lifetime figures per persona: predicted value and the revenue at risk.

From the per-customer lifetime columns (`predicted_clv_365d`, `churn_risk`; see
`smartcart.engine.lifetime`) of customers placed in personas:

- `customers`: the persona's customers, `valued`: those with a prediction (an order counted);
- `predicted_value`: their predicted revenue over the next 365 days;
- `at_risk`: customers at high churn risk, `revenue_at_risk`: their predicted value.

The summary, `/segment at-risk`, the Home tab and the digest all read these names.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

HIGH_RISK = "high"
LIFETIME_FIGURE_COLUMNS = ("predicted_clv_365d", "churn_risk")


def has_lifetime_columns(customers: pd.DataFrame) -> bool:
    """Whether customers carry lifetime predictions (an order model with a lifetime model)."""
    return set(LIFETIME_FIGURE_COLUMNS) <= set(customers.columns) and bool(
        customers["churn_risk"].notna().any()
    )


def persona_lifetime(
    personas: Iterable[str], customers: pd.DataFrame, expected: Iterable[str] = ()
) -> dict[str, dict]:
    """Per persona (the `expected` ones first, zeros included) its lifetime figures; `personas`
    is each customer's persona, in the order of `customers`' rows."""
    frame = pd.DataFrame(
        {
            "persona": np.asarray(list(personas), dtype=object),
            "value": pd.to_numeric(customers["predicted_clv_365d"], errors="coerce").to_numpy(
                dtype=float
            ),
            "high": customers["churn_risk"].astype("string").eq(HIGH_RISK).fillna(False).to_numpy(),
        }
    )
    frame["value_at_risk"] = np.where(frame["high"], frame["value"], np.nan)
    grouped = frame.groupby("persona").agg(
        customers=("persona", "size"),
        valued=("value", "count"),
        predicted_value=("value", "sum"),
        at_risk=("high", "sum"),
        revenue_at_risk=("value_at_risk", "sum"),
    )
    out = {}
    for persona in dict.fromkeys([*expected, *grouped.index]):
        out[persona] = empty_lifetime(persona)
        if persona in grouped.index:
            row = grouped.loc[persona]
            out[persona].update(
                customers=int(row["customers"]),
                valued=int(row["valued"]),
                predicted_value=float(row["predicted_value"]),
                at_risk=int(row["at_risk"]),
                revenue_at_risk=float(row["revenue_at_risk"]),
            )
    return out


def empty_lifetime(persona: str) -> dict:
    """A persona's lifetime figures when it has no customers."""
    return {
        "persona": persona,
        "customers": 0,
        "valued": 0,
        "predicted_value": 0.0,
        "at_risk": 0,
        "revenue_at_risk": 0.0,
    }


def lifetime_totals(by_persona: dict[str, dict]) -> dict[str, float | int]:
    """The personas' lifetime figures added up (the same keys, `persona` left out)."""
    keys = ("customers", "valued", "predicted_value", "at_risk", "revenue_at_risk")
    return {key: sum(row[key] for row in by_persona.values()) for key in keys}
