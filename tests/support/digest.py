"""Helpers of the digest tests (snapshots, comparison): customers in the store, a week, a change."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from smartcart.engine.history import periods
from smartcart.engine.history.periods import period_at
from smartcart.engine.scoring.scoring import score
from smartcart.engine.store.store import Store

WEEKLY = "0 9 * * mon"


def put_customers(store: Store, model, customers: pd.DataFrame) -> None:
    store.save_customers(customers, score(model, customers), model.version, replace=True)


def week(key_time: datetime) -> periods.Period:
    return period_at(WEEKLY, "Europe/Berlin", key_time)


def changed_customers(customers: pd.DataFrame) -> pd.DataFrame:
    """60% of the customers richer and spending much more; 100 gone; 50 new."""
    rng = np.random.default_rng(5)
    changed = customers.iloc[100:].copy()
    richer = rng.random(len(changed)) < 0.6
    changed.loc[richer, "Income"] = changed.loc[richer, "Income"] * 1.8
    for column in [c for c in changed.columns if c.startswith("Mnt")]:
        changed.loc[richer, column] = changed.loc[richer, column] * 3
    newcomers = customers.iloc[:50].copy()
    newcomers["ID"] = newcomers["ID"] + 1_000_000
    return pd.concat([changed, newcomers], ignore_index=True)


def store_snapshot(store: Store, period: str, at: datetime, customer_ids: list[int]) -> int:
    """A digest snapshot written as the digest would (header, one persona's figures, members),
    all customers in `premium`; its id."""
    from smartcart.engine.store.tables import history_members, history_segments, history_snapshots

    with store.engine.begin() as connection:
        snapshot = connection.execute(
            history_snapshots.insert().values(
                period=period,
                scheduled_at=at,
                taken_at=at,
                model_version="v1",
                customers=len(customer_ids),
                source="store",
                psi={},
            )
        ).inserted_primary_key[0]
        connection.execute(
            history_segments.insert().values(
                snapshot_id=snapshot,
                persona="premium",
                period=period,
                model_version="v1",
                customers=len(customer_ids),
                revenue=1.0,
            )
        )
        connection.execute(
            history_members.insert(),
            [
                {"snapshot_id": snapshot, "customer_id": i, "persona": "premium"}
                for i in customer_ids
            ],
        )
    return snapshot
