"""Exactly one scheduler across workers and replicas: a lease row in the store's database.

A lease is a row of `leases` (below; made by the bot's revision 0003_leases): a name, the
holder's id and an expiry in Unix seconds. `Lease.try_hold()` takes or renews it with one atomic conditional
statement, so it works the same on SQLite and PostgreSQL:

- `UPDATE leases SET holder=me, expires_at=now+ttl WHERE name=? AND (holder=me OR expires_at<now)`
  renews our own lease or takes over an expired one; one row updated means we hold it;
- when no row exists yet, `INSERT` it; a concurrent insert loses on the primary key.

`LeaseKeeper` renews the lease by heartbeat (every third of its time) in a thread, and calls
`on_acquire` when it starts holding and `on_lose` when it stops (lost, released, or the database
unreachable for longer than the lease). A holder that dies stops renewing, and another process
takes over once the lease has expired: at most `ttl` plus one heartbeat later. Every acquire,
takeover, loss and release is logged. Holders' clocks are assumed in sync (NTP), as expiry
compares wall-clock times written by different machines.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

logger = logging.getLogger(__name__)

metadata = sa.MetaData()
# Who holds a role that exactly one process may have at a time (the scheduler). `expires_at` is
# Unix time in seconds (0 once released); the holder renews it by heartbeat and anyone may take
# the row over once it has expired. Created and changed only by the bot's revisions
# (smartcart/slack/migrations/).
leases = sa.Table(
    "leases",
    metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("holder", sa.String(200), nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
    sa.Column("acquired_at", sa.Float, nullable=False),
)

SCHEDULER_LEASE = "scheduler"
DEFAULT_LEASE_SECONDS = 30.0
RELEASED = 0.0  # expires_at of a lease given up by its holder


def holder_id() -> str:
    """This process, recognisably: host, pid and a random suffix (pids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass
class Holding:
    held: bool
    previous: str | None  # the holder before this call (None when there was no row)
    previous_expired: bool


class Lease:
    """One named lease in the database behind `engine` (the store's engine)."""

    def __init__(
        self,
        engine: Engine,
        name: str = SCHEDULER_LEASE,
        ttl: float = DEFAULT_LEASE_SECONDS,
        holder: str | None = None,
    ) -> None:
        self.engine = engine
        self.name = name
        self.ttl = ttl
        self.holder = holder or holder_id()

    def try_hold(self) -> Holding:
        """Take, renew or take over the lease if free, ours or expired; never waits for it."""
        now = time.time()
        row = self._row()  # read apart, only to log who held it before
        previous = row.holder if row else None
        expired = row is not None and 0 < row.expires_at < now  # 0: released, not expired
        held = self._renew_or_take(now) if row is not None else self._insert(now)
        return Holding(held, previous, expired)

    def _row(self) -> sa.Row | None:
        with self.engine.connect() as connection:
            return connection.execute(
                sa.select(leases.c.holder, leases.c.expires_at).where(leases.c.name == self.name)
            ).first()

    def _renew_or_take(self, now: float) -> bool:
        ours_or_expired = sa.or_(leases.c.holder == self.holder, leases.c.expires_at < now)
        taken_now = sa.case((leases.c.holder == self.holder, leases.c.acquired_at), else_=now)
        with self.engine.begin() as connection:
            result = connection.execute(
                leases.update()
                .where(leases.c.name == self.name, ours_or_expired)
                .values(holder=self.holder, expires_at=now + self.ttl, acquired_at=taken_now)
            )
        return result.rowcount == 1

    def _insert(self, now: float) -> bool:
        try:
            with self.engine.begin() as connection:
                connection.execute(
                    leases.insert().values(
                        name=self.name,
                        holder=self.holder,
                        expires_at=now + self.ttl,
                        acquired_at=now,
                    )
                )
        except IntegrityError:
            return False  # another process inserted it first
        return True

    def release(self) -> None:
        """Give the lease up now (if ours), so another process need not wait for it to expire."""
        with self.engine.begin() as connection:
            connection.execute(
                leases.update()
                .where(leases.c.name == self.name, leases.c.holder == self.holder)
                .values(expires_at=RELEASED)
            )

    def current_holder(self) -> str | None:
        """Who holds the lease now (None when nobody, or it has expired)."""
        row = self._row()
        return row.holder if row and row.expires_at >= time.time() else None


class LeaseKeeper:
    """Holds a lease by heartbeat in a daemon thread; runs callbacks when holding starts/stops."""

    def __init__(
        self,
        lease: Lease,
        on_acquire: Callable[[], None],
        on_lose: Callable[[], None],
        heartbeat: float | None = None,
    ) -> None:
        self.lease = lease
        self.on_acquire = on_acquire
        self.on_lose = on_lose
        self.heartbeat = heartbeat or lease.ttl / 3
        self.held = False
        self.last_renewed = 0.0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, name=f"lease-{lease.name}", daemon=True)

    def start(self) -> LeaseKeeper:
        logger.info("lease %s: %s is contending for it", self.lease.name, self.lease.holder)
        self.thread.start()
        return self

    def run(self) -> None:
        while not self.stopping.is_set():
            self.beat()
            self.stopping.wait(self.heartbeat)

    def beat(self) -> None:
        try:
            holding = self.lease.try_hold()
        except SQLAlchemyError as error:
            self.database_failed(error)
            return
        if holding.held:
            self.last_renewed = time.monotonic()
            if not self.held:
                self.acquired(holding)
        elif self.held:
            self.lost(f"now held by {holding.previous}")

    def acquired(self, holding: Holding) -> None:
        name, me = self.lease.name, self.lease.holder
        if holding.previous and holding.previous != me and holding.previous_expired:
            logger.warning("lease %s: %s took over from %s (expired)", name, me, holding.previous)
        else:
            logger.info("lease %s: acquired by %s", name, me)
        self.held = True
        self.on_acquire()

    def lost(self, why: str) -> None:
        logger.warning("lease %s: lost by %s (%s)", self.lease.name, self.lease.holder, why)
        self.held = False
        self.on_lose()

    def database_failed(self, error: SQLAlchemyError) -> None:
        logger.warning("lease %s: cannot renew (%s)", self.lease.name, type(error).__name__)
        # Stop before the lease can expire: another process may take it over after that.
        if self.held and time.monotonic() - self.last_renewed + self.heartbeat >= self.lease.ttl:
            self.lost("the database was unreachable for the lease's time")

    def stop(self) -> None:
        """Stop renewing; if holding, stop the work and release the lease for the next holder."""
        self.stopping.set()
        if self.thread.is_alive() and self.thread is not threading.current_thread():
            self.thread.join(timeout=self.heartbeat + 10)
        if self.held:
            self.held = False
            self.on_lose()
            try:
                self.lease.release()
                logger.info("lease %s: released by %s", self.lease.name, self.lease.holder)
            except SQLAlchemyError as error:
                logger.warning("lease %s: release failed (%s)", self.lease.name, error)
