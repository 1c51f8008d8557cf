"""Segment history: one snapshot of the scored customers per digest period, kept in the store.

A snapshot scores the current customers (`SMARTCART_DATA`, else the store) with the live model
and keeps, per persona, its figures (`smartcart.engine.reports.figures.persona_figures`: size, share,
revenue, average spend, response rate); each customer's persona (for the movements between
personas) and, with a lifetime model, their churn risk band and predicted value (for who moved
into high risk; revision 0007_history_churn_risk, empty in older snapshots); and every feature's population stability index (PSI) against the model's training
data. Periods come from `smartcart.engine.history.periods`; comparing two snapshots is
`smartcart.engine.history.comparison`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from smartcart.engine.data import DataSource, iter_customer_chunks, source_label
from smartcart.engine.errors import ModelError
from smartcart.engine.history.periods import Period
from smartcart.engine.model import SegmentModel, feature_bin_counts, psi_of_feature_counts
from smartcart.engine.reports import has_lifetime_columns, ordered_personas, persona_figures
from smartcart.engine.scoring import LifetimeColumns
from smartcart.engine.store import (
    Forgotten,
    Store,
    history_members,
    history_segments,
    history_snapshots,
    insert_rows,
)

CHURN_COLUMNS = ("churn_risk", "predicted_clv_365d")
CHART_PERIODS = 8  # periods on the history chart, the current one included
# Snapshots whose customer-level rows are kept; figures are kept until retention deletes them
# (`delete_old_snapshots`, run daily by the bot's scheduler when asked to).
KEEP_MEMBER_SNAPSHOTS = 12

# -- snapshots ----------------------------------------------------------------------------------


@dataclass
class Snapshot:
    period: str
    scheduled_at: datetime
    taken_at: datetime
    model_version: str
    source: str
    segments: list[dict]  # persona, customers, share, revenue, avg_spend, response_rate
    psi: dict[str, float]
    # customer_id, persona, churn_risk, predicted_clv_365d (None when not loaded; the last two
    # empty without a lifetime model)
    members: pd.DataFrame | None = None
    id: int | None = None

    @property
    def customers(self) -> int:
        return sum(s["customers"] for s in self.segments)


def current_chunks(
    store: Store,
    model: SegmentModel,
    data: str | DataSource | None,
    forgotten: Forgotten | None = None,
) -> tuple[Iterable[pd.DataFrame], str]:
    """(validated customers chunk by chunk, where they came from): `data` when given (without
    the `forgotten` customers), else the store."""
    if data:
        forgotten = forgotten or Forgotten()
        lifetime = LifetimeColumns(model, data)
        chunks = (
            forgotten.split(lifetime.add(c))[0]
            for c in iter_customer_chunks(data, model.as_of, with_orders=lifetime.wanted)
        )
        return chunks, source_label(data)
    customers = store.all_customers()
    if customers.empty:
        raise ModelError("no customers: set SMARTCART_DATA or run `smartcart score` first")
    return [customers], "store"


def take_snapshot(
    model: SegmentModel, customers: pd.DataFrame, period: Period, source: str
) -> Snapshot:
    """Score the customers with the model; figures per persona, members, PSI per feature."""
    return snapshot_of_chunks(model, [customers], period, source)


def snapshot_of_chunks(
    model: SegmentModel, chunks: Iterable[pd.DataFrame], period: Period, source: str
) -> Snapshot:
    """`take_snapshot` over customers that come in chunks: per customer only its ID, persona,
    spend, response and churn band with predicted value are kept; the PSI adds up bin counts
    chunk by chunk."""
    ids, personas, spend, response, lifetime = [], [], [], [], []
    counts: dict[str, np.ndarray] = {}
    for customers in chunks:
        if customers.empty:
            continue
        assignment = model.assign(customers)
        ids.append(assignment.customer_id.astype("int64"))
        personas.append(assignment.persona)
        spend.append(assignment.features["TotalSpending"].to_numpy(dtype=float))
        if "Response" in customers:
            response.append(customers["Response"].to_numpy(dtype=float))
        if has_lifetime_columns(customers):
            lifetime.append(customers[list(CHURN_COLUMNS)])
        for name, found in feature_bin_counts(model.reference, assignment.features).items():
            counts[name] = counts.get(name, 0) + found
    if not ids:
        raise ModelError(f"{source}: no usable customers to take a snapshot of")
    members = pd.DataFrame(
        {"customer_id": np.concatenate(ids), "persona": np.concatenate(personas)}
    )
    if len(lifetime) == len(ids):
        churn = pd.concat(lifetime, ignore_index=True)
        members["churn_risk"] = churn["churn_risk"].astype(object).to_numpy()
        members["predicted_clv_365d"] = pd.to_numeric(churn["predicted_clv_365d"]).to_numpy(float)
    responses = pd.Series(np.concatenate(response)) if len(response) == len(ids) else None
    return Snapshot(
        period=period.key,
        scheduled_at=period.scheduled.astimezone(UTC),
        taken_at=datetime.now(UTC),
        model_version=model.version,
        source=str(source)[:300],
        segments=persona_figures(
            members["persona"],
            pd.Series(np.concatenate(spend)),
            responses,
            [s["persona"] for s in model.segments],
        ),
        psi=psi_of_feature_counts(model.reference, counts),
        members=members,
    )


# -- storing and reading snapshots ---------------------------------------------------------------


def save_snapshot(store: Store, snapshot: Snapshot) -> Snapshot:
    """Store a snapshot (figures and members) in one transaction; returns it with its id.

    If the period already has one (a concurrent or earlier run), that one is returned instead.
    """
    try:
        with store.engine.begin() as connection:
            snapshot_id = _insert_snapshot(connection, snapshot)
            _prune_members(connection, KEEP_MEMBER_SNAPSHOTS)
    except IntegrityError:
        stored = stored_snapshot(store, snapshot.period)
        if stored is None:
            raise
        return stored
    return replace(snapshot, id=snapshot_id)


def _insert_snapshot(connection: sa.Connection, snapshot: Snapshot) -> int:
    header = {
        "period": snapshot.period,
        "scheduled_at": snapshot.scheduled_at,
        "taken_at": snapshot.taken_at,
        "model_version": snapshot.model_version,
        "customers": snapshot.customers,
        "source": snapshot.source,
        "psi": snapshot.psi,
    }
    snapshot_id = connection.execute(
        history_snapshots.insert().values(header)
    ).inserted_primary_key[0]
    connection.execute(
        history_segments.insert(),
        [
            {
                "snapshot_id": snapshot_id,
                "period": snapshot.period,
                "model_version": snapshot.model_version,
                **{
                    k: s[k]
                    for k in ("persona", "customers", "revenue", "avg_spend", "response_rate")
                },
            }
            for s in snapshot.segments
        ],
    )
    if snapshot.members is not None:
        values = {
            "snapshot_id": int(snapshot_id),
            "customer_id": snapshot.members["customer_id"].to_numpy(dtype="int64"),
            "persona": snapshot.members["persona"].to_numpy(dtype=object),
        }
        for name in CHURN_COLUMNS:
            if name in snapshot.members:
                values[name] = snapshot.members[name].to_numpy()
        insert_rows(connection, history_members, list(values), values)
    return int(snapshot_id)


def _prune_members(connection: sa.Connection, keep: int) -> None:
    """Drop customer-level rows of all but the latest `keep` snapshots (figures stay)."""
    latest = (
        sa.select(history_snapshots.c.id)
        .order_by(history_snapshots.c.scheduled_at.desc())
        .limit(keep)
        .scalar_subquery()
    )
    old = sa.select(history_snapshots.c.id).where(history_snapshots.c.id.not_in(latest))
    connection.execute(history_members.delete().where(history_members.c.snapshot_id.in_(old)))


def delete_old_snapshots(store: Store, keep: int) -> tuple[int, str | None]:
    """Retention: delete every snapshot (figures and members) but the latest `keep` periods'.
    Returns how many went and the oldest period kept (None when none is stored)."""
    with store.engine.begin() as connection:
        kept = connection.execute(
            sa.select(history_snapshots.c.id, history_snapshots.c.period)
            .order_by(history_snapshots.c.scheduled_at.desc())
            .limit(keep)
        ).all()
        if not kept:
            return 0, None
        old = sa.select(history_snapshots.c.id).where(
            history_snapshots.c.id.not_in([row.id for row in kept])
        )
        # Children first: SQLite enforces no ON DELETE CASCADE unless asked to.
        for table in (history_members, history_segments):
            connection.execute(table.delete().where(table.c.snapshot_id.in_(old)))
        deleted = connection.execute(
            history_snapshots.delete().where(history_snapshots.c.id.in_(old))
        ).rowcount
    return deleted, kept[-1].period


def stored_snapshot(store: Store, period: str, members: bool = True) -> Snapshot | None:
    query = sa.select(history_snapshots).where(history_snapshots.c.period == period)
    return _read_snapshot(store, query, members)


def previous_snapshot(store: Store, before: datetime, members: bool = True) -> Snapshot | None:
    """The latest stored snapshot of a period that started before `before`."""
    query = (
        sa.select(history_snapshots)
        .where(history_snapshots.c.scheduled_at < before.astimezone(UTC))
        .order_by(history_snapshots.c.scheduled_at.desc())
        .limit(1)
    )
    return _read_snapshot(store, query, members)


def _read_snapshot(store: Store, query: sa.Select, members: bool) -> Snapshot | None:
    with store.engine.connect() as connection:
        row = connection.execute(query).mappings().first()
        if row is None:
            return None
        segments = _read_segments(connection, [row["id"]]).get(row["id"], [])
        member_frame = _read_members(connection, row["id"]) if members else None
    return Snapshot(
        period=row["period"],
        scheduled_at=as_utc(row["scheduled_at"]),
        taken_at=as_utc(row["taken_at"]),
        model_version=row["model_version"],
        source=row["source"],
        segments=segments,
        psi=dict(row["psi"] or {}),
        members=member_frame,
        id=row["id"],
    )


def _read_segments(connection: sa.Connection, ids: list[int]) -> dict[int, list[dict]]:
    query = sa.select(history_segments).where(history_segments.c.snapshot_id.in_(ids))
    rows = [dict(r) for r in connection.execute(query).mappings()]
    out: dict[int, list[dict]] = {}
    for snapshot_id in ids:
        mine = {r["persona"]: r for r in rows if r["snapshot_id"] == snapshot_id}
        total = max(sum(r["customers"] for r in mine.values()), 1)
        out[snapshot_id] = [
            {**_segment_fields(mine[p]), "share": mine[p]["customers"] / total}
            for p in ordered_personas(mine)
        ]
    return out


def _segment_fields(row: dict) -> dict:
    return {k: row[k] for k in ("persona", "customers", "revenue", "avg_spend", "response_rate")}


def _read_members(connection: sa.Connection, snapshot_id: int) -> pd.DataFrame:
    """customer_id and persona; churn_risk and predicted_clv_365d when any member has them."""
    columns = [history_members.c[name] for name in ("customer_id", "persona", *CHURN_COLUMNS)]
    query = sa.select(*columns).where(history_members.c.snapshot_id == snapshot_id)
    rows = connection.execute(query).all()
    members = pd.DataFrame(
        {
            "customer_id": np.fromiter((r[0] for r in rows), dtype="int64", count=len(rows)),
            "persona": np.array([r[1] for r in rows], dtype=object),
        }
    )
    risks = np.array([r[2] for r in rows], dtype=object)
    if any(risk is not None for risk in risks):
        members["churn_risk"] = risks
        members["predicted_clv_365d"] = np.array(
            [np.nan if r[3] is None else r[3] for r in rows], dtype=float
        )
    return members


def recent_history(
    store: Store, current: Snapshot, periods: int = CHART_PERIODS
) -> tuple[list[str], dict[str, list[int]]]:
    """Period keys and customers per persona of the last `periods` snapshots, `current` last."""
    query = (
        sa.select(history_snapshots.c.id, history_snapshots.c.period)
        .where(history_snapshots.c.scheduled_at < current.scheduled_at.astimezone(UTC))
        .order_by(history_snapshots.c.scheduled_at.desc())
        .limit(periods - 1)
    )
    with store.engine.connect() as connection:
        earlier = list(reversed(connection.execute(query).all()))
        segments = _read_segments(connection, [r.id for r in earlier])
    series = [segments[r.id] for r in earlier] + [current.segments]
    keys = [r.period for r in earlier] + [current.period]
    personas = ordered_personas(s["persona"] for period in series for s in period)
    sizes = {
        p: [next((s["customers"] for s in period if s["persona"] == p), 0) for period in series]
        for p in personas
    }
    return keys, sizes


def change_since_last_digest(store: Store, persona: str, size: int, share: float) -> dict | None:
    """A persona's change from the latest digest's snapshot to now (a playbook's `change`).

    None before the first digest. `size` in customers, `share_points` in percentage points.
    """
    latest = previous_snapshot(store, datetime.now(UTC), members=False)
    if latest is None:
        return None
    before = {s["persona"]: s for s in latest.segments}.get(persona, {})
    return {
        "size": size - before.get("customers", 0),
        "share_points": 100 * (share - before.get("share", 0.0)),
        "period": latest.period,
    }


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes (stored as UTC); PostgreSQL aware ones."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
