"""The SQL store (SQLAlchemy): customers as loaded, their current segment, and an audit trail.

SQLite by default, PostgreSQL in production; the schema is created and upgraded by versioned
migrations (`MIGRATIONS`), each applied once, in order, in its own transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from segmentation import schema
from segmentation.tables import (  # noqa: F401  (re-exported: the store's tables)
    MIGRATIONS,
    assignments,
    audit_log,
    customers,
    digest_events,
    digest_runs,
    digest_subscriptions,
    history_members,
    history_segments,
    history_snapshots,
    metadata,
    schema_versions,
)

INSERT_CHUNK = 5000
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

    def migrate(self) -> list[int]:
        """Apply every migration not yet applied; returns the versions applied now."""
        applied_now = []
        with self.engine.begin() as connection:
            metadata.create_all(connection, tables=[schema_versions])
        for version, name, migration in MIGRATIONS:
            with self.engine.begin() as connection:
                done = connection.execute(
                    sa.select(schema_versions.c.version).where(schema_versions.c.version == version)
                ).first()
                if done:
                    continue
                migration(connection)
                connection.execute(
                    schema_versions.insert().values(version=version, name=name, applied_at=now())
                )
                applied_now.append(version)
        return applied_now

    def schema_version(self) -> int:
        with self.engine.connect() as connection:
            return (
                connection.execute(sa.select(sa.func.max(schema_versions.c.version))).scalar() or 0
            )

    def save_customers(
        self, rows: pd.DataFrame, scores: pd.DataFrame, model_version: str, replace: bool
    ) -> None:
        """Customers and their segments in one transaction: all of it is written or none."""
        stamp = now()
        customer_rows = _customer_records(rows, stamp)
        assignment_rows = _assignment_records(scores, model_version, stamp)
        ids = [r["customer_id"] for r in customer_rows]
        with self.engine.begin() as connection:
            if replace:
                connection.execute(assignments.delete())
                connection.execute(customers.delete())
            else:
                for chunk in _chunks(ids, INSERT_CHUNK):
                    connection.execute(
                        assignments.delete().where(assignments.c.customer_id.in_(chunk))
                    )
                    connection.execute(customers.delete().where(customers.c.customer_id.in_(chunk)))
            for chunk in _chunks(customer_rows, INSERT_CHUNK):
                connection.execute(customers.insert(), chunk)
            for chunk in _chunks(assignment_rows, INSERT_CHUNK):
                connection.execute(assignments.insert(), chunk)

    def customer(self, customer_id: int) -> tuple[pd.DataFrame, dict] | None:
        """The customer's row (validated columns, as a one-row frame) and current assignment."""
        with self.engine.connect() as connection:
            row = (
                connection.execute(
                    sa.select(customers).where(customers.c.customer_id == customer_id)
                )
                .mappings()
                .first()
            )
            if row is None:
                return None
            assignment = (
                connection.execute(
                    sa.select(assignments).where(assignments.c.customer_id == customer_id)
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
    cursor.close()


def _chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _customer_records(rows: pd.DataFrame, stamp: datetime) -> list[dict]:
    present = [c for c in schema.ALL_COLUMNS if c in rows.columns and c != schema.ID]
    frame = rows[[schema.ID, *present]].rename(columns={schema.ID: "customer_id"})
    frame = frame.astype(object).where(frame.notna(), None)
    records = frame.to_dict("records")
    for record in records:
        record["customer_id"] = int(record["customer_id"])
        record["Dt_Customer"] = pd.Timestamp(record["Dt_Customer"]).date()
        record["loaded_at"] = stamp
    return records


def _assignment_records(scores: pd.DataFrame, model_version: str, stamp: datetime) -> list[dict]:
    return [
        {
            "customer_id": int(s.customer_id),
            "model_version": model_version,
            "cluster": int(s.cluster),
            "persona": str(s.persona),
            "confidence": float(s.confidence),
            "scored_at": stamp,
        }
        for s in scores.itertuples(index=False)
    ]


def _as_frame(rows: Iterable) -> pd.DataFrame:
    """Stored rows back into the validated-customer shape the model expects.

    Optional columns that are empty for every row (a 22-column export) are left out, as the
    validator would have left them out of the file.
    """
    records = [dict(r) for r in rows]
    if not records:
        return pd.DataFrame()
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
