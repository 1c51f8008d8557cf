"""The digest run ledger: one row per (channel, period), claimed atomically, every move logged.

A run is claimed by INSERTing its row: the unique constraint on (channel, period) lets exactly
one of any number of concurrent runs (threads, processes, replicas) win, on SQLite and
PostgreSQL alike. Afterwards every change is a conditional UPDATE guarded by the owner (or, to
take a run over, by the state and attempt count last seen), so two runs never both act on one
row. Each transition writes a `digest_events` row in the same transaction and a log line.

States: `working` (claimed; `sending_at` set once chat.postMessage was attempted), `posted`
(with the message ts), `failed` (Slack said no, or the digest could not be built: safe to try
again), `failed_ambiguous` (the request may have reached Slack: only retried after the channel's
history shows the message is not there).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from smartcart.engine.history import as_utc
from smartcart.engine.store import Store
from smartcart.slack.digest.tables import digest_events, digest_runs

logger = logging.getLogger(__name__)

WORKING, POSTED, FAILED, AMBIGUOUS = "working", "posted", "failed", "failed_ambiguous"
Clock = Callable[[], datetime]


class LostClaim(Exception):
    """The run is no longer ours: another run took it over (our lease had run out)."""


@dataclass(frozen=True)
class DigestRun:
    id: int
    channel: str
    period: str
    scheduled_at: datetime
    state: str
    owner: str
    attempts: int
    sending_at: datetime | None
    message_ts: str | None
    chart_file_id: str | None
    error: str | None
    created_at: datetime
    updated_at: datetime
    posted_at: datetime | None

    def as_dict(self) -> dict:
        return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in vars(self).items()}


def utc_now() -> datetime:
    return datetime.now(UTC)


class RunLedger:
    def __init__(self, store: Store, clock: Clock = utc_now) -> None:
        self.store = store
        self.clock = clock

    # -- reading ----------------------------------------------------------------------------

    def get(self, channel: str, period: str) -> DigestRun | None:
        query = sa.select(digest_runs).where(
            digest_runs.c.channel == channel, digest_runs.c.period == period
        )
        with self.store.engine.connect() as connection:
            row = connection.execute(query).mappings().first()
        return None if row is None else _run(row)

    def recent(self, limit: int = 10) -> list[DigestRun]:
        query = sa.select(digest_runs).order_by(digest_runs.c.scheduled_at.desc()).limit(limit)
        with self.store.engine.connect() as connection:
            return [_run(r) for r in connection.execute(query).mappings()]

    def events(self, run_id: int) -> list[dict]:
        query = (
            sa.select(digest_events)
            .where(digest_events.c.run_id == run_id)
            .order_by(digest_events.c.id)
        )
        with self.store.engine.connect() as connection:
            return [dict(r) for r in connection.execute(query).mappings()]

    # -- transitions ------------------------------------------------------------------------

    def claim(
        self, channel: str, period: str, scheduled_at: datetime, owner: str
    ) -> DigestRun | None:
        """Insert the run as `working` for `owner`; None if the (channel, period) is taken."""
        now = self.clock()
        values = {
            "channel": channel,
            "period": period,
            "scheduled_at": scheduled_at.astimezone(UTC),
            "state": WORKING,
            "owner": owner,
            "attempts": 1,
            "created_at": now,
            "updated_at": now,
        }
        try:
            with self.store.engine.begin() as connection:
                result = connection.execute(digest_runs.insert().values(values))
                run_id = int(result.inserted_primary_key[0])
                self._event(connection, run_id, None, WORKING, owner, "claimed")
        except IntegrityError:
            return None
        return self._reload(channel, period)

    def take_over(self, run: DigestRun, owner: str, detail: str) -> DigestRun | None:
        """Make a stale, failed or ambiguous run ours again; None if another run was faster."""
        guard = (digest_runs.c.state == run.state, digest_runs.c.attempts == run.attempts)
        changes = {"state": WORKING, "owner": owner, "attempts": run.attempts + 1}
        if not self._update(run, guard, changes, owner, detail, from_state=run.state):
            return None
        return self._reload(run.channel, run.period)

    def sending(self, run: DigestRun, owner: str) -> DigestRun:
        """Record the intent to call chat.postMessage (before the call)."""
        self._owned(run, owner, {"sending_at": self.clock()}, "posting to Slack", WORKING)
        return self._reload(run.channel, run.period)

    def posted(self, run: DigestRun, owner: str, ts: str, detail: str) -> DigestRun:
        changes = {"state": POSTED, "message_ts": ts, "posted_at": self.clock(), "error": None}
        self._owned(run, owner, changes, detail, POSTED)
        return self._reload(run.channel, run.period)

    def failed(self, run: DigestRun, owner: str, error: str, ambiguous: bool = False) -> DigestRun:
        """`failed_ambiguous` keeps `sending_at`; a plain failure clears it (nothing was sent)."""
        state = AMBIGUOUS if ambiguous else FAILED
        changes = {"state": state, "error": error[:500]}
        if not ambiguous:
            changes["sending_at"] = None
        self._owned(run, owner, changes, error, state)
        return self._reload(run.channel, run.period)

    def note(self, run: DigestRun, owner: str, detail: str) -> None:
        """An event on a run that stays `working` (e.g. an ambiguous answer being reconciled)."""
        self._owned(run, owner, {"error": detail[:500]}, detail, WORKING)

    def resolve(
        self, run: DigestRun, owner: str, posted: bool, ts: str | None, detail: str
    ) -> DigestRun:
        """A person settles a `failed_ambiguous` run: posted (with the message ts if known), or
        not posted (a plain failure, so the next run posts it). None if it changed meanwhile."""
        if posted:
            changes = {"state": POSTED, "message_ts": ts, "posted_at": self.clock(), "error": None}
        else:
            changes = {"state": FAILED, "sending_at": None, "error": detail[:500]}
        guard = (digest_runs.c.state == AMBIGUOUS, digest_runs.c.attempts == run.attempts)
        if not self._update(run, guard, {**changes, "owner": owner}, owner, detail, AMBIGUOUS):
            raise LostClaim(f"digest run {run.channel}/{run.period} changed while being resolved")
        return self._reload(run.channel, run.period)

    def chart_uploaded(self, run: DigestRun, file_id: str) -> None:
        guard = (digest_runs.c.state == POSTED, digest_runs.c.chart_file_id.is_(None))
        changes = {"chart_file_id": file_id}
        self._update(run, guard, changes, run.owner, f"chart uploaded ({file_id})", POSTED)

    # -- internals --------------------------------------------------------------------------

    def _owned(self, run: DigestRun, owner: str, changes: dict, detail: str, to: str) -> None:
        guard = (digest_runs.c.owner == owner, digest_runs.c.state == WORKING)
        if not self._update(run, guard, {**changes, "state": to}, owner, detail, WORKING):
            raise LostClaim(f"digest run {run.channel}/{run.period} was taken over by another run")

    def _update(
        self, run: DigestRun, guard: tuple, changes: dict, owner: str, detail: str, from_state: str
    ) -> bool:
        now = self.clock()
        statement = (
            digest_runs.update()
            .where(digest_runs.c.id == run.id, *guard)
            .values(**changes, updated_at=now)
        )
        with self.store.engine.begin() as connection:
            if connection.execute(statement).rowcount != 1:
                return False
            to_state = changes.get("state", from_state)
            self._event(connection, run.id, from_state, to_state, owner, detail)
        return True

    def _event(
        self,
        connection: sa.Connection,
        run_id: int,
        from_state: str | None,
        to_state: str,
        owner: str,
        detail: str,
    ) -> None:
        connection.execute(
            digest_events.insert().values(
                run_id=run_id,
                at=self.clock(),
                from_state=from_state,
                to_state=to_state,
                owner=owner,
                detail=detail[:500],
            )
        )
        logger.info(
            "digest run %s: %s -> %s by %s: %s", run_id, from_state, to_state, owner, detail
        )

    def _reload(self, channel: str, period: str) -> DigestRun:
        run = self.get(channel, period)
        assert run is not None  # rows are never deleted
        return run


def _run(row) -> DigestRun:
    values = dict(row)
    for name in ("scheduled_at", "sending_at", "created_at", "updated_at", "posted_at"):
        if values[name] is not None:
            values[name] = as_utc(values[name])
    return DigestRun(**values)
