"""The SQL store (SQLAlchemy): customers as loaded, their current segment, and an audit trail.

SQLite by default, PostgreSQL in production; the tables (smartcart/engine/store/tables.py) are created and
upgraded by the engine's Alembic revisions (smartcart/engine/store/migrations/), under a lock, by
`Store.migrate()`: on first use, or by `smartcart db upgrade` as a release step.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from smartcart.engine.data import ORDER_KEY, schema
from smartcart.engine.lifetime import LIFETIME_COLUMNS
from smartcart.engine.store.bulk import CustomerWriter
from smartcart.engine.store.migrating import Status
from smartcart.engine.store.migrations import ENGINE
from smartcart.engine.store.tables import (
    assignments,
    audit_log,
    customers,
)

INSERT_CHUNK = 5000
SQLITE_CACHE_KIB = 64 * 1024
ASSIGNMENT_FIELDS = ("persona", "confidence", "model_version", "cluster")


def now() -> datetime:
    return datetime.now(UTC)


def default_database_url(root: Path | None = None) -> str:
    path = (root or Path.cwd()) / "var" / "smartcart.db"
    return f"sqlite:///{path}"


class Store:
    def __init__(self, url: str) -> None:
        self.url = url
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = sa.create_engine(url, future=True)
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)

    def migrate(self) -> list[str]:
        """Create or upgrade the engine's tables, under a lock; the revisions applied now."""
        return [revision.id for revision in ENGINE.upgrade(self.engine).applied]

    def schema_status(self) -> Status:
        """The engine's revision in this database and whether it is up to date."""
        return ENGINE.status(self.engine)

    @contextmanager
    def customer_writer(self, model_version: str, replace: bool) -> Iterator[CustomerWriter]:
        """Writes customers and their segments chunk by chunk in one transaction: committed when
        the block ends, rolled back (the stored customers untouched) if it raises."""
        with self.engine.begin() as connection:
            tables = (customers, assignments)
            yield CustomerWriter(connection, tables, model_version, now(), replace)

    def save_customers(
        self, rows: pd.DataFrame, scores: pd.DataFrame, model_version: str, replace: bool
    ) -> None:
        """Customers and their segments in one transaction: all of it is written or none."""
        with self.customer_writer(model_version, replace) as writer:
            writer.write(rows, scores)

    def customer(self, customer: int | str) -> tuple[pd.DataFrame, dict] | None:
        """The customer's row (validated columns, as a one-row frame) and current assignment,
        by id (a whole number) or by key (text: a customer from orders' own id or email, as
        stored; when it is a whole number too, the key is tried first)."""
        conditions = []
        if isinstance(customer, str):
            conditions.append(customers.c.customer_key == customer)
            if customer.isascii() and customer.isdigit() and int(customer) < 2**63:
                conditions.append(customers.c.customer_id == int(customer))
        else:
            conditions.append(customers.c.customer_id == int(customer))
        with self.engine.connect() as connection:
            row = None
            for condition in conditions:
                row = connection.execute(sa.select(customers).where(condition)).mappings().first()
                if row is not None:
                    break
            if row is None:
                return None
            assignment = (
                connection.execute(
                    sa.select(assignments).where(assignments.c.customer_id == row["customer_id"])
                )
                .mappings()
                .first()
            )
        return _as_frame([row]), dict(assignment or {})

    def all_customers(self) -> pd.DataFrame:
        with self.engine.connect() as connection:
            rows = connection.execute(sa.select(customers)).mappings().all()
        return _as_frame(rows)

    def members(self, persona: str) -> pd.DataFrame:
        """Customers currently in a persona, with their assignment, for an audience export."""
        return self._assigned(assignments.c.persona == persona)

    def assigned_customers(self, ids: Iterable[int]) -> pd.DataFrame:
        """Stored customers with their assignment, by id (ids not stored are left out)."""
        chunks = _chunks(sorted({int(i) for i in ids}), INSERT_CHUNK)
        frames = [self._assigned(customers.c.customer_id.in_(chunk)) for chunk in chunks]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def _assigned(self, condition: sa.ColumnElement[bool]) -> pd.DataFrame:
        query = (
            sa.select(customers, *(assignments.c[c] for c in ASSIGNMENT_FIELDS))
            .join(assignments, assignments.c.customer_id == customers.c.customer_id)
            .where(condition)
            .order_by(customers.c.customer_id)
        )
        with self.engine.connect() as connection:
            return pd.DataFrame(connection.execute(query).mappings().all())

    def revision(self) -> tuple:
        """Changes whenever customers or assignments are written (for caches)."""
        with self.engine.connect() as connection:
            return tuple(
                connection.execute(
                    sa.select(sa.func.count(), sa.func.max(assignments.c.scored_at))
                ).one()
            )

    def count_customers(self) -> int:
        with self.engine.connect() as connection:
            return connection.execute(
                sa.select(sa.func.count()).select_from(customers)
            ).scalar_one()

    def audit(
        self,
        user_id: str,
        channel_id: str,
        action: str,
        target: str,
        allowed: bool,
        rows: int | None = None,
        detail: str | None = None,
    ) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                audit_log.insert().values(
                    at=now(),
                    user_id=user_id,
                    channel_id=channel_id,
                    action=action,
                    target=target[:200],
                    allowed=allowed,
                    rows=rows,
                    detail=None if detail is None else detail[:500],
                )
            )

    def count_audit(self, user_id: str, action: str, since: timedelta) -> int:
        """How many allowed `action` requests `user_id` made within `since` (a rate limit's
        count, shared by every process on this store)."""
        query = sa.select(sa.func.count()).where(
            audit_log.c.user_id == user_id,
            audit_log.c.action == action,
            audit_log.c.allowed.is_(True),
            audit_log.c.at >= now() - since,
        )
        with self.engine.connect() as connection:
            return int(connection.execute(query).scalar_one())

    def audit_entries(self, action: str | None = None) -> list[dict]:
        query = sa.select(audit_log).order_by(audit_log.c.id)
        if action:
            query = query.where(audit_log.c.action == action)
        with self.engine.connect() as connection:
            return [dict(r) for r in connection.execute(query).mappings().all()]


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    # Bulk writes of customers in any ID order touch pages all over the key's B-tree: with
    # SQLite's default 2 MB cache they are read back from disk again and again (1M customers:
    # 6.6 s against 4.0 s with 64 MB).
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    cursor.close()


def _chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def customer_frame(members: pd.DataFrame) -> pd.DataFrame:
    """Stored rows read as a frame (e.g. `Store.members`) in the validated-customer shape."""
    return _as_frame(members.to_dict("records"))


def _order_frame(records: list[dict]) -> pd.DataFrame:
    """Customers from orders: their number, key, figures (as `order_customer_frame`, from the
    profile) and the lifetime predictions stored (when any customer read has them)."""
    figures = pd.DataFrame([json.loads(r["profile"]) for r in records])
    figures.insert(0, ORDER_KEY, [r["customer_key"] for r in records])
    figures.insert(0, schema.ID, np.array([r["customer_id"] for r in records], dtype="int64"))
    for name in LIFETIME_COLUMNS:
        stored = [r.get(name) for r in records]
        if name in figures.columns or all(v is None for v in stored):
            continue
        if name == "churn_risk":
            figures[name] = stored
        elif name == "expected_next_order_at":
            figures[name] = pd.to_datetime(stored)
        else:
            figures[name] = np.array(stored, dtype=float)
    return figures


def _as_frame(rows: Iterable) -> pd.DataFrame:
    """Stored rows back into the validated-customer shape the model expects.

    Optional columns that are empty for every row (a 22-column export) are left out, as the
    validator would have left them out of the file.
    """
    records = [dict(r) for r in rows]
    if not records:
        return pd.DataFrame()
    if records[0].get("profile") is not None:
        return _order_frame(records)
    optional_present = [
        c for c in schema.OPTIONAL_COLUMNS if any(r.get(c) is not None for r in records)
    ]
    names = [c for c in schema.REQUIRED_COLUMNS if c != schema.ID] + optional_present
    columns = {schema.ID: [r["customer_id"] for r in records]}
    columns.update({name: [r.get(name) for r in records] for name in names})
    frame = pd.DataFrame(columns)
    frame["Dt_Customer"] = pd.to_datetime(frame["Dt_Customer"])
    frame["Income"] = frame["Income"].astype(float)
    return frame
