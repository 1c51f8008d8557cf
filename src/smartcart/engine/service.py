"""What the bot and the CLI ask of the engine: the live model, the store, and live figures.

Knows nothing of chat or scheduling. The live model is re-read when the LIVE pointer changes, so a bot keeps serving
the last good model while a training runs and switches as soon as a new one is published.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from smartcart.engine.data import DEFAULT_CHUNK_ROWS, DEFAULT_TABLE, DataSource, schema
from smartcart.engine.errors import ModelError
from smartcart.engine.faults import kill_point
from smartcart.engine.history import Comparison, Period, prepare_digest, snapshots
from smartcart.engine.live_switch import LiveSwitch
from smartcart.engine.model import SegmentModel, add_propensity, live_version, load_live_model
from smartcart.engine.reports import Figures, compute_figures
from smartcart.engine.scoring import (
    Explanation,
    ScoringRun,
    explain,
    output_format,
    score,
    score_source,
)
from smartcart.engine.store import Forgotten, Store, customer_frame
from smartcart.engine.training import TrainingOptions, TrainingResult, train

AUDIENCE_COLUMNS = [
    "customer_id",
    "persona",
    "confidence",
    "Income",
    "Kidhome",
    "Teenhome",
    "Recency",
    "Education",
    "Marital_Status",
]
# Customers from orders: their own key and order figures (stored column -> audience column).
ORDER_AUDIENCE_COLUMNS = {
    "customer_key": "customer_key",
    "recency_days": "Recency",
    "orders": "orders",
    "revenue": "revenue",
}
# With a lifetime model: what the export's --churn-risk and --top-clv filter on.
LIFETIME_AUDIENCE_COLUMNS = ("predicted_clv_365d", "churn_risk")


@dataclass
class LiveCache:
    """The loaded live model and its figures, shared by a service and its pinned views."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    model: SegmentModel | None = None
    figures: tuple[tuple, Figures] | None = None


class SegmentService:
    def __init__(
        self,
        model_dir: Path,
        store: Store,
        erasure_key: str | None = None,
        pinned_version: str | None = None,
        cache: LiveCache | None = None,
    ) -> None:
        self.model_dir = Path(model_dir)
        self.store = store
        # SMARTCART_ERASURE_KEY: recognises customers erased on request (store/erasure.py).
        self.erasure_key = erasure_key
        self.switch = LiveSwitch(self.model_dir, store)
        self._pinned = pinned_version
        self._cache = cache or LiveCache()

    def pinned(self) -> SegmentService | None:
        """This service held to the model live now, for one request: the LIVE pointer is read
        here once and never again through the view (None when no model is live)."""
        version = self.live_version()
        if version is None:
            return None
        return SegmentService(self.model_dir, self.store, self.erasure_key, version, self._cache)

    @property
    def model(self) -> SegmentModel:
        version = self.live_version()
        with self._cache.lock:
            cached = self._cache.model
            if cached is None or cached.version != version:
                cached = self._cache.model = load_live_model(self.model_dir, version)
            return cached

    def has_model(self) -> bool:
        return self.live_version() is not None

    def live_version(self) -> str | None:
        if self._pinned:
            return self._pinned
        self.switch.recover()
        return live_version(self.model_dir)

    def forgotten(self) -> Forgotten:
        """The customers erased on request, to leave out of what is read from data."""
        return self.store.forgotten(self.erasure_key)

    def train(
        self,
        source: str | Path,
        options: TrainingOptions,
        progress=None,
        on_stored=None,
        data=None,
        totals=None,
    ) -> TrainingResult:
        """Train (leaving forgotten customers out), then store the customers with their segments
        and switch the live model together (smartcart.engine.live_switch).
        `on_stored(done, total)` hears of the customers stored so far (a progress bar);
        `data`: the customers already validated, `totals` their counted orders (see
        `training.train`)."""
        steps = {"progress": progress} if progress else {}
        forgotten = self.forgotten()
        result = train(
            source, self.model_dir, options, data=data, totals=totals, forgotten=forgotten, **steps
        )
        customers = result.data.customers
        # Scored and stored a chunk at a time: all of a million customers' features and
        # response inputs at once would double the peak of the whole run.
        with (
            self.switch.switching(result.model.version),
            self.store.customer_writer(result.model.version, replace=True) as writer,
        ):
            for start in range(0, len(customers), DEFAULT_CHUNK_ROWS):
                part = customers.iloc[start : start + DEFAULT_CHUNK_ROWS]
                writer.write(part, score(result.model, part))
                if on_stored is not None:
                    on_stored(start + len(part), len(customers))
            kill_point("train:before-store-commit")
        return result

    def score_file(
        self,
        source: str | Path | DataSource,
        replace: bool = False,
        table: str = DEFAULT_TABLE,
        out: Path | None = None,
        chunk_rows: int = DEFAULT_CHUNK_ROWS,
        on_rows=None,
    ) -> ScoringRun:
        """Score a customer file or table with the live model, chunk by chunk, and store the
        result (one transaction); with `out`, also write the scores (.csv or .parquet).
        `on_rows(n)` hears of each chunk's rows read (a progress bar)."""
        if out is not None:
            output_format(out)  # a bad name fails before any work
        return score_source(
            self.model,
            self.store,
            source,
            table=table,
            replace=replace,
            out=out,
            chunk_rows=chunk_rows,
            on_rows=on_rows,
            forgotten=self.forgotten(),
        )

    def explain(self, customer: int | str) -> Explanation | None:
        """One customer's explanation, by id or by key (an email whatever its case and spaces)."""
        found = self.store.customer(customer)
        if found is None and isinstance(customer, str):
            wanted = customer.strip()
            for key in dict.fromkeys((wanted, wanted.lower())):
                if key != customer and (found := self.store.customer(key)) is not None:
                    break
        if found is None:
            return None
        row, _ = found
        return explain(self.model, row)

    def figures(self) -> Figures:
        """Live figures per segment from the stored customers, cached until the data changes."""
        model = self.model
        key = (model.version, self.store.revision())
        cached = self._cache.figures
        if cached and cached[0] == key:
            return cached[1]
        customers = self.store.all_customers()
        if customers.empty:
            raise ModelError(
                "no customers in the store; run `smartcart train` or `smartcart score`"
            )
        figures = compute_figures(model, customers)
        self._cache.figures = (key, figures)
        return figures

    def change_since_last_digest(self, persona_id: str) -> dict | None:
        """The persona's change since the latest digest, or None before the first one."""
        segments = self.figures().persona(persona_id)
        size = sum(s["size"] for s in segments)
        share = sum(s["share"] for s in segments)
        return snapshots.change_since_last_digest(self.store, persona_id, size, share)

    def digest(
        self, period: Period, data: str | DataSource | None = None, save: bool = True
    ) -> Comparison:
        """The period's snapshot (taken, or reused when stored) against the previous period's.

        `data` is a customer file or URL (else the stored customers); `save=False` (a dry run)
        writes nothing.
        """
        forgotten = self.forgotten() if data else None  # the store holds no forgotten customer
        return prepare_digest(self.store, self.model, period, data, save, forgotten)

    def audience(self, persona_id: str) -> pd.DataFrame:
        """The persona's customers with what a campaign tool needs."""
        return self.audience_frame(self.store.members(persona_id))

    def audience_frame(self, members: pd.DataFrame) -> pd.DataFrame:
        """Stored customers with their assignment -> the columns of an audience export."""
        if members.empty:
            return pd.DataFrame(columns=[*AUDIENCE_COLUMNS, "total_spending", "segment"])
        if self.model.contract == "orders":
            return self._order_audience(members)
        out = members[AUDIENCE_COLUMNS].copy()
        out["total_spending"] = members[schema.SPENDING_COLUMNS].sum(axis=1)
        out["segment"] = members["cluster"].map(
            {s["cluster"]: s["name"] for s in self.model.segments}
        )
        return add_propensity(out, self.model.response, customer_frame(members))

    def _order_audience(self, members: pd.DataFrame) -> pd.DataFrame:
        """Customers from orders: id, key, persona, confidence, recency, orders, revenue, and
        their predicted value and churn risk when stored."""
        figures = customer_frame(members)
        out = members[["customer_id", "persona", "confidence"]].copy()
        for stored, column in ORDER_AUDIENCE_COLUMNS.items():
            out[column] = figures[stored].to_numpy()
        for column in LIFETIME_AUDIENCE_COLUMNS:
            if column in figures:
                out[column] = figures[column].to_numpy()
        out["segment"] = members["cluster"].map(
            {s["cluster"]: s["name"] for s in self.model.segments}
        )
        return out

    def audience_changes(self, persona_id: str) -> tuple[pd.DataFrame, str]:
        """Who joined and who left the persona since the latest digest, and that digest's period.

        The audience columns plus `change` (`joined` / `left`); a customer who left shows where
        they are now (persona, segment) or, when no longer stored, only their id.
        Raises ModelError before the first digest.
        """
        latest = snapshots.previous_snapshot(self.store, datetime.now(UTC))
        if latest is None or latest.members is None:
            raise ModelError(
                "no digest yet to compare with (changes are counted from the latest digest; "
                "`smartcart digest --now` takes one)"
            )
        before = latest.members.loc[latest.members["persona"] == persona_id, "customer_id"]
        now = self.audience(persona_id)
        joined = now[~now["customer_id"].isin(before)].assign(change="joined")
        left_ids = sorted(set(before.astype("int64")) - set(now["customer_id"].astype("int64")))
        stored = self.audience_frame(self.store.assigned_customers(left_ids))
        left = pd.DataFrame({"customer_id": left_ids}).merge(stored, on="customer_id", how="left")
        frames = [f for f in (joined, left.assign(change="left")) if not f.empty]
        if not frames:
            return joined, latest.period
        return pd.concat(frames, ignore_index=True), latest.period
