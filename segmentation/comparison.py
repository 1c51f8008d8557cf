"""What a digest reports: the period's snapshot against the previous one.

Per persona its figures now and the change in size and share points; the migration table of
customers from each persona to each other (new and gone included); drift warnings.
`prepare_digest` (what `SegmentService.digest` runs) takes or reuses the period's snapshot and
compares it with the previous period's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from segmentation.artifact import SegmentModel
from segmentation.figures import ordered_personas
from segmentation.loading import DataSource
from segmentation.periods import Period
from segmentation.personas import PERSONAS_BY_ID
from segmentation.snapshots import (
    Snapshot,
    current_customers,
    previous_snapshot,
    recent_history,
    save_snapshot,
    stored_snapshot,
    take_snapshot,
)
from segmentation.store import Store

SHARE_SHIFT_POINTS = 5.0  # a persona's share moving more than this many points is a warning
PSI_ALERT = 0.2  # a feature's PSI above this against the training data is a warning
NEW, GONE = "(new)", "(gone)"

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
    store: Store, model: SegmentModel, period: Period, data: str | DataSource | None, save: bool
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
