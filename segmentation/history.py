"""Segment history: one snapshot per digest period, and what changed since the previous one.

A snapshot scores the current customers (`SMARTCART_DATA`, else the store) with the live model
and keeps, per persona, customers, revenue, average spend and response rate; each customer's
persona (for the movements between personas); and every feature's population stability index
(PSI) against the model's training data.

Periods. A digest belongs to the period opened by the latest fire time of the digest cron at or
before the run, in the digest's time zone (`period_at`). The key is that fire time's ISO week
(`2024-W14`) when the cron fires only once in that ISO week (the default `0 9 * * mon` always
does), else the local fire time (`2024-04-01T09:00`), so a daily cron gets a period per day.
A run at any moment (a scheduled tick, a late retry, `smartcart digest --now`) therefore maps to
the same key as the tick it belongs to, whatever the clock's daylight-saving offset.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import sqlalchemy as sa
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.exc import IntegrityError

from segmentation.errors import ModelError
from segmentation.features import derive_features
from segmentation.loading import load_customers
from segmentation.artifact import SegmentModel
from segmentation.personas import PERSONAS, PERSONAS_BY_ID
from segmentation.reports import population_stability_index
from segmentation.scoring import score
from segmentation.store import (
    INSERT_CHUNK,
    Store,
    history_members,
    history_segments,
    history_snapshots,
)
from segmentation.validation import validate

SHARE_SHIFT_POINTS = 5.0  # a persona's share moving more than this many points is a warning
PSI_ALERT = 0.2  # a feature's PSI above this against the training data is a warning
CHART_PERIODS = 8  # periods on the history chart, the current one included
KEEP_MEMBER_SNAPSHOTS = 12  # snapshots whose customer-level rows are kept (figures kept forever)
NEW, GONE = "(new)", "(gone)"
ONE_MICROSECOND = timedelta(microseconds=1)
LOOKBACKS = tuple(timedelta(days=d) for d in (1 / 24, 1, 8, 32, 367, 4 * 366))


# -- periods ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A digest period: its key and the local fire time of the cron that opened it."""

    key: str
    scheduled: datetime
    following: datetime | None

    @property
    def label(self) -> str:
        when = self.scheduled.strftime("%a %d %b %Y %H:%M %Z")
        if "-W" in self.key:
            year, week = self.key.split("-W")
            return f"week {int(week)} of {year} ({when})"
        return when


def digest_trigger(cron: str, timezone: str) -> CronTrigger:
    return CronTrigger.from_crontab(cron, timezone=timezone)


def period_at(cron: str, timezone: str, at: datetime) -> Period:
    """The period a run at `at` belongs to (see the module's docstring)."""
    trigger = digest_trigger(cron, timezone)
    local = at.astimezone(ZoneInfo(timezone))
    scheduled = latest_fire(trigger, local)
    if scheduled is None:
        raise ValueError(f"SMARTCART_DIGEST_CRON {cron!r} has not fired in the last four years")
    return Period(period_key(trigger, scheduled), scheduled, next_fire(trigger, scheduled))


def latest_fire(trigger: CronTrigger, at: datetime) -> datetime | None:
    """The latest fire time at or before `at` (looking back an hour, a day, ... four years)."""
    for window in LOOKBACKS:
        fire = trigger.get_next_fire_time(None, at - window)
        if fire is None or fire > at:
            continue
        while (following := next_fire(trigger, fire)) is not None and following <= at:
            fire = following
        return fire
    return None


def next_fire(trigger: CronTrigger, after: datetime) -> datetime | None:
    return trigger.get_next_fire_time(None, after + ONE_MICROSECOND)


def period_key(trigger: CronTrigger, scheduled: datetime) -> str:
    week = scheduled.isocalendar()[:2]
    neighbours = (latest_fire(trigger, scheduled - ONE_MICROSECOND), next_fire(trigger, scheduled))
    if all(n is None or n.isocalendar()[:2] != week for n in neighbours):
        return f"{week[0]}-W{week[1]:02d}"
    return scheduled.strftime("%Y-%m-%dT%H:%M")


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
    members: pd.DataFrame | None = None  # customer_id, persona (None when not loaded)
    id: int | None = None

    @property
    def customers(self) -> int:
        return sum(s["customers"] for s in self.segments)


def current_customers(store: Store, model: SegmentModel, data: str | None) -> tuple:
    """(validated customers, where they came from): `data` when given, else the store."""
    if data:
        raw = load_customers(data)
        return validate(raw, model.as_of).customers, raw.source
    customers = store.all_customers()
    if customers.empty:
        raise ModelError("no customers: set SMARTCART_DATA or run `smartcart score` first")
    return customers, "store"


def take_snapshot(
    model: SegmentModel, customers: pd.DataFrame, period: Period, source: str
) -> Snapshot:
    """Score the customers with the model; figures per persona, members, PSI per feature."""
    scores = score(model, customers)
    features = derive_features(customers, model.as_of)
    response = customers.get("Response")
    personas = [s["persona"] for s in model.segments]
    members = pd.DataFrame(
        {
            "customer_id": scores["customer_id"].to_numpy(dtype="int64"),
            "persona": scores["persona"].to_numpy(dtype=object),
        }
    )
    return Snapshot(
        period=period.key,
        scheduled_at=period.scheduled.astimezone(UTC),
        taken_at=datetime.now(UTC),
        model_version=model.version,
        source=str(source)[:300],
        segments=persona_figures(members["persona"], features["TotalSpending"], response, personas),
        psi=feature_psi(model.reference, features),
        members=members,
    )


def persona_figures(
    personas: pd.Series, spend: pd.Series, response: pd.Series | None, expected: Iterable[str]
) -> list[dict]:
    """Customers, share, revenue, average spend and response rate per persona (zeros included)."""
    frame = pd.DataFrame(
        {
            "persona": personas.to_numpy(),
            "spend": spend.to_numpy(dtype=float),
            "response": np.nan if response is None else response.to_numpy(dtype=float),
        }
    )
    grouped = frame.groupby("persona").agg(
        customers=("spend", "size"), revenue=("spend", "sum"), response=("response", "mean")
    )
    total = max(len(frame), 1)
    out = []
    for persona in ordered_personas([*expected, *grouped.index]):
        count = int(grouped["customers"].get(persona, 0))
        revenue = float(grouped["revenue"].get(persona, 0.0))
        rate = grouped["response"].get(persona, np.nan)
        out.append(
            {
                "persona": persona,
                "customers": count,
                "share": count / total,
                "revenue": revenue,
                "avg_spend": revenue / count if count else None,
                "response_rate": None if pd.isna(rate) else float(rate),
            }
        )
    return out


def ordered_personas(ids: Iterable[str]) -> list[str]:
    """Distinct persona ids, the study's personas first in their order, then any others."""
    wanted = set(ids)
    known = [p.id for p in PERSONAS if p.id in wanted]
    return known + sorted(wanted - set(known))


def feature_psi(reference: dict, features: pd.DataFrame) -> dict[str, float]:
    """PSI of every feature with a training reference (NaNs left out)."""
    out = {}
    for name, entry in reference.items():
        if name in features:
            values = features[name].to_numpy(dtype=float)
            out[name] = round(population_stability_index(entry, values[~np.isnan(values)]), 4)
    return out


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
    for chunk in _member_chunks(snapshot_id, snapshot.members):
        connection.execute(history_members.insert(), chunk)
    return int(snapshot_id)


def _member_chunks(snapshot_id: int, members: pd.DataFrame | None) -> Iterable[list[dict]]:
    if members is None:
        return
    ids = members["customer_id"].to_numpy(dtype="int64")
    personas = members["persona"].to_numpy(dtype=object)
    for start in range(0, len(ids), INSERT_CHUNK):
        stop = start + INSERT_CHUNK
        yield [
            {"snapshot_id": snapshot_id, "customer_id": int(c), "persona": p}
            for c, p in zip(ids[start:stop], personas[start:stop], strict=True)
        ]


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
    query = sa.select(history_members.c.customer_id, history_members.c.persona).where(
        history_members.c.snapshot_id == snapshot_id
    )
    rows = connection.execute(query).all()
    return pd.DataFrame(
        {
            "customer_id": np.fromiter((r[0] for r in rows), dtype="int64", count=len(rows)),
            "persona": np.array([r[1] for r in rows], dtype=object),
        }
    )


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


def latest_changes(store: Store) -> dict[str, dict[str, float]]:
    """Per persona, the change between the two latest digests: `size` and `share_points`.

    Empty before the second digest. (What a playbook's `change` variable shows.)
    """
    query = (
        sa.select(history_snapshots.c.id).order_by(history_snapshots.c.scheduled_at.desc()).limit(2)
    )
    with store.engine.connect() as connection:
        ids = [r.id for r in connection.execute(query)]
        if len(ids) < 2:
            return {}
        segments = _read_segments(connection, ids)
    now, before = ({s["persona"]: s for s in segments[i]} for i in ids)
    return {
        persona: {
            "size": figures["customers"] - before.get(persona, {}).get("customers", 0),
            "share_points": 100 * (figures["share"] - before.get(persona, {}).get("share", 0.0)),
        }
        for persona, figures in now.items()
    }


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


# -- comparing -----------------------------------------------------------------------------------


@dataclass
class Comparison:
    """The current snapshot against the previous one: what a digest reports."""

    current: Snapshot
    previous: Snapshot | None
    rows: list[dict]  # per persona: figures now, change in customers and share points
    migrations: pd.DataFrame  # from persona (rows, NEW included) x to persona (cols, GONE included)
    moved: int
    joined: int
    left: int
    warnings: list[str]
    history: tuple[list[str], dict[str, list[int]]] = field(default_factory=lambda: ([], {}))

    @property
    def first(self) -> bool:
        return self.previous is None

    @property
    def model_changed(self) -> bool:
        return (
            self.previous is not None and self.previous.model_version != self.current.model_version
        )

    @property
    def moves(self) -> list[dict]:
        """Customers who changed persona, largest flows first (new and gone left out)."""
        return persona_moves(self.migrations)


def compare(
    current: Snapshot,
    previous: Snapshot | None,
    history: tuple[list[str], dict[str, list[int]]] | None = None,
) -> Comparison:
    table = migration_table(previous, current)
    rows = persona_changes(current, previous)
    return Comparison(
        current=current,
        previous=previous,
        rows=rows,
        migrations=table,
        moved=sum(m["customers"] for m in persona_moves(table)),
        joined=int(table.loc[NEW].sum()) if NEW in table.index else 0,
        left=int(table[GONE].sum()) if GONE in table.columns else 0,
        warnings=drift_warnings(rows, current.psi),
        history=history or single_period(current),
    )


def persona_moves(table: pd.DataFrame) -> list[dict]:
    flows = [
        {"from": source, "to": target, "customers": int(count)}
        for (source, target), count in table.stack().items()
        if source != target and source != NEW and target != GONE and count > 0
    ]
    return sorted(flows, key=lambda f: -f["customers"])


def single_period(current: Snapshot) -> tuple[list[str], dict[str, list[int]]]:
    return [current.period], {s["persona"]: [s["customers"]] for s in current.segments}


def persona_changes(current: Snapshot, previous: Snapshot | None) -> list[dict]:
    before = {s["persona"]: s for s in previous.segments} if previous else {}
    now = {s["persona"]: s for s in current.segments}
    rows = []
    for persona in ordered_personas([*now, *before]):
        figures = now.get(persona) or _empty_segment(persona)
        old = before.get(persona)
        rows.append(
            {
                **figures,
                "name": persona_name(persona),
                "short": persona_short(persona),
                "size_change": None
                if previous is None
                else figures["customers"] - (old or {}).get("customers", 0),
                "share_change": None
                if previous is None
                else 100 * (figures["share"] - (old or {}).get("share", 0.0)),
            }
        )
    return rows


def _empty_segment(persona: str) -> dict:
    return {
        "persona": persona,
        "customers": 0,
        "share": 0.0,
        "revenue": 0.0,
        "avg_spend": None,
        "response_rate": None,
    }


def migration_table(previous: Snapshot | None, current: Snapshot) -> pd.DataFrame:
    """Customers from each persona (rows) to each persona (columns), with NEW and GONE."""
    if previous is None or previous.members is None or current.members is None:
        return pd.DataFrame(dtype="int64")
    joined = previous.members.merge(
        current.members, on="customer_id", how="outer", suffixes=("_from", "_to")
    )
    source = joined["persona_from"].fillna(NEW)
    target = joined["persona_to"].fillna(GONE)
    table = pd.crosstab(source, target)
    order = ordered_personas((set(table.index) | set(table.columns)) - {NEW, GONE})
    rows = [p for p in order if p in table.index] + ([NEW] if NEW in table.index else [])
    columns = [p for p in order if p in table.columns] + ([GONE] if GONE in table.columns else [])
    return table.loc[rows, columns].astype("int64")


def drift_warnings(rows: list[dict], psi: dict[str, float]) -> list[str]:
    """A persona's share moving > SHARE_SHIFT_POINTS, a feature's PSI > PSI_ALERT."""
    warnings = [
        f"{r['name']}: share moved {r['share_change']:+.1f} points (now {r['share']:.1%})"
        for r in rows
        if r["share_change"] is not None and abs(r["share_change"]) > SHARE_SHIFT_POINTS
    ]
    drifted = sorted(((v, k) for k, v in psi.items() if v > PSI_ALERT), reverse=True)
    warnings += [
        f"Input drift: {name} has a population stability index of {value:.2f} against the "
        f"training data (over {PSI_ALERT})"
        for value, name in drifted
    ]
    return warnings


def persona_name(persona: str) -> str:
    found = PERSONAS_BY_ID.get(persona)
    return found.name if found else persona


def persona_short(persona: str) -> str:
    found = PERSONAS_BY_ID.get(persona)
    return found.short if found else persona


# -- the whole digest's data ----------------------------------------------------------------------


def prepare_digest(
    store: Store, model: SegmentModel, period: Period, data: str | None, save: bool
) -> Comparison:
    """Snapshot the period (reusing a stored one when `save`), compare with the previous one.

    With `save=False` (a dry run) nothing is written: the snapshot is taken fresh and compared
    with the latest stored snapshot of an earlier period.
    """
    snapshot = stored_snapshot(store, period.key) if save else None
    if snapshot is None:
        customers, source = current_customers(store, model, data)
        snapshot = take_snapshot(model, customers, period, source)
        if save:
            snapshot = save_snapshot(store, snapshot)
    previous = previous_snapshot(store, snapshot.scheduled_at)
    return compare(snapshot, previous, recent_history(store, snapshot))
