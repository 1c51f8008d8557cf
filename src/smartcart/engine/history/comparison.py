"""What a digest reports: the period's snapshot against the previous one.

Per persona its figures now and the change in size and share points; the migration table of
customers from each persona to each other (new and gone included); drift warnings; with a
lifetime model, who moved into high churn risk and what they were worth (`churn.py`).
`prepare_digest` (what `SegmentService.digest` runs) takes or reuses the period's snapshot and
compares it with the previous period's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from smartcart.engine.data import DataSource
from smartcart.engine.history.churn import churn_movement
from smartcart.engine.history.periods import Period
from smartcart.engine.history.snapshots import (
    Snapshot,
    current_chunks,
    previous_snapshot,
    recent_history,
    save_snapshot,
    snapshot_of_chunks,
    stored_snapshot,
)
from smartcart.engine.model import ALL_PERSONAS_BY_ID, Persona, SegmentModel
from smartcart.engine.reports import ordered_personas
from smartcart.engine.store import Forgotten, Store

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
    personas: tuple[Persona, ...] = ()  # the live model's, for names (a user's file too)
    # Churn risk: at risk now, moved into high risk since the previous digest (churn.py); None
    # without a lifetime model.
    churn: dict | None = None

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
    personas: tuple[Persona, ...] = (),
) -> Comparison:
    table = migration_table(previous, current)
    rows = persona_changes(current, previous, personas)
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
        personas=personas,
        churn=churn_movement(previous, current),
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


def persona_changes(
    current: Snapshot, previous: Snapshot | None, personas: tuple[Persona, ...] = ()
) -> list[dict]:
    before = {s["persona"]: s for s in previous.segments} if previous else {}
    now = {s["persona"]: s for s in current.segments}
    rows = []
    for persona in ordered_personas([*now, *before]):
        figures = now.get(persona) or _empty_segment(persona)
        old = before.get(persona)
        rows.append(
            {
                **figures,
                "name": persona_name(persona, personas),
                "short": persona_short(persona, personas),
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
    before, now = previous.members, current.members
    labels = ordered_personas({*before["persona"].unique(), *now["persona"].unique()})
    width = len(labels) + 1  # the personas, then NEW (as a source) or GONE (as a target)
    source = pd.Categorical(before["persona"], categories=labels).codes.astype("int64")
    target = pd.Categorical(now["persona"], categories=labels).codes.astype("int64")
    before_ids = before["customer_id"].to_numpy(dtype="int64")
    now_ids = now["customer_id"].to_numpy(dtype="int64")
    _, stayed_before, stayed_now = np.intersect1d(
        before_ids, now_ids, assume_unique=True, return_indices=True
    )
    gone = np.ones(len(before_ids), dtype=bool)
    gone[stayed_before] = False
    new = np.ones(len(now_ids), dtype=bool)
    new[stayed_now] = False
    cells = np.concatenate(
        [
            source[stayed_before] * width + target[stayed_now],
            source[gone] * width + len(labels),
            len(labels) * width + target[new],
        ]
    )
    counts = np.bincount(cells, minlength=width * width).reshape(width, width)
    table = pd.DataFrame(counts, index=[*labels, NEW], columns=[*labels, GONE], dtype="int64")
    rows = [p for p in labels if p in set(before["persona"].unique())] + (
        [NEW] if new.any() else []
    )
    columns = [p for p in labels if p in set(now["persona"].unique())] + (
        [GONE] if gone.any() else []
    )
    return table.loc[rows, columns]


def drift_warnings(rows: list[dict], psi: dict[str, float]) -> list[str]:
    """A persona's share moving > SHARE_SHIFT_POINTS, a feature's PSI > PSI_ALERT."""
    warnings = [
        f"{r['name']}: share moved {r['share_change']:+.1f} points (now {r['share']:.1%})"
        for r in rows
        if r["share_change"] is not None and abs(r["share_change"]) > SHARE_SHIFT_POINTS
    ]
    drifted = sorted(((v, k) for k, v in psi.items() if v > PSI_ALERT), reverse=True)
    warnings += [
        f"The customers' {plain_feature(name)} shifted since the model was trained: "
        "the segments may need retraining"
        for _, name in drifted
    ]
    return warnings


# What a marketer calls the model's features (the digest's drift warnings); others are spelled out.
PLAIN_FEATURES = {
    "Income": "income",
    "TotalSpending": "spending",
    "TotalPurchases": "number of purchases",
    "Children": "number of children",
    "FamilySize": "household size",
    "LivingWithPartner": "household situation",
    "EducationLevel": "education",
    "Age": "age",
    "Tenure": "time as customers",
    "Recency": "time since their last purchase",
    "AcceptedCampaigns": "response to campaigns",
    "NumWebVisitsMonth": "website visits",
    "NumDealsPurchases": "purchases on discount",
}


def plain_feature(name: str) -> str:
    """A feature in a marketer's words: `TotalSpending` -> `spending`, `MntWines` -> `mnt wines`."""
    if name in PLAIN_FEATURES:
        return PLAIN_FEATURES[name]
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name).replace("_", " ").lower()


def find_persona(persona: str, personas: tuple[Persona, ...] = ()) -> Persona | None:
    """Among the live model's personas first, then the built-in sets."""
    own = next((p for p in personas if p.id == persona), None)
    return own or ALL_PERSONAS_BY_ID.get(persona)


def persona_name(persona: str, personas: tuple[Persona, ...] = ()) -> str:
    found = find_persona(persona, personas)
    return found.name if found else persona


def persona_short(persona: str, personas: tuple[Persona, ...] = ()) -> str:
    found = find_persona(persona, personas)
    return found.short if found else persona


# -- the whole digest's data ----------------------------------------------------------------------


def prepare_digest(
    store: Store,
    model: SegmentModel,
    period: Period,
    data: str | DataSource | None,
    save: bool,
    forgotten: Forgotten | None = None,
) -> Comparison:
    """Snapshot the period (reusing a stored one when `save`), compare with the previous one.

    With `save=False` (a dry run) nothing is written: the snapshot is taken fresh and compared
    with the latest stored snapshot of an earlier period. Customers of `data` in `forgotten`
    (erased on request) are left out.
    """
    snapshot = stored_snapshot(store, period.key) if save else None
    if snapshot is None:
        chunks, source = current_chunks(store, model, data, forgotten)
        snapshot = snapshot_of_chunks(model, chunks, period, source)
        if save:
            snapshot = save_snapshot(store, snapshot)
    previous = previous_snapshot(store, snapshot.scheduled_at)
    return compare(snapshot, previous, recent_history(store, snapshot), tuple(model.personas))
