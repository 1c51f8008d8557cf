"""Schema migrations with Alembic: one environment per owner of tables, upgraded under a lock.

An environment is a folder shipped inside a package (`env.py` and frozen revision scripts in
`versions/`), named as a package resource such as "smartcart.engine.store:migrations", so an installed
wheel needs no alembic.ini. Each has its own version table; the engine's is
`smartcart.engine.store.migrations.ENGINE` and an application can add its own for its own tables.

`Migrations.upgrade(engine)` is what a process calls when it opens the database:
- up to date (the usual case): one read of the version table, no lock;
- otherwise, under a lock (PostgreSQL: `pg_advisory_xact_lock` in the migration transaction;
  SQLite: a file lock next to the database file, then BEGIN IMMEDIATE so the DDL is
  transactional too), it reads the version again (another process may have just done it),
  adopts a database made before Alembic (below) and applies what is missing, all in one
  transaction: other processes wait for it, then find the schema up to date.

Adoption: databases made before Alembic recorded numbered migrations in `smartcart_schema`
(version, name, applied_at). When the version table is absent, the highest number found there
is looked up in the environment's `legacy` map and that revision is stamped (no DDL: the tables
exist), then later revisions are applied. `smartcart_schema` itself is left as it was.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from functools import cached_property

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext, MigrationInfo
from alembic.script import ScriptDirectory
from filelock import FileLock, Timeout
from sqlalchemy.engine import Connection, Engine

from smartcart.engine.errors import SegmentationError
from smartcart.engine.faults import kill_point

logger = logging.getLogger(__name__)

LEGACY_TABLE = "smartcart_schema"


class SchemaError(SegmentationError):
    """The database's schema cannot be brought up to date by this code."""


@dataclass(frozen=True)
class Revision:
    id: str
    doc: str


@dataclass(frozen=True)
class Status:
    """Where one environment's tables are in a database."""

    name: str
    version_table: str
    current: tuple[str, ...]
    heads: tuple[str, ...]
    # The `smartcart_schema` version of a database made before Alembic, not adopted yet.
    legacy_version: int | None = None
    # Revisions recorded in the database that this code does not have.
    unknown: tuple[str, ...] = ()

    @property
    def up_to_date(self) -> bool:
        return set(self.current) == set(self.heads)


@dataclass(frozen=True)
class Upgrade:
    """What `Migrations.upgrade` did: the revision stamped on adoption and those applied."""

    name: str
    current: tuple[str, ...]
    adopted: tuple[int, str | None] | None = None  # (smartcart_schema version, revision stamped)
    applied: list[Revision] = field(default_factory=list)


@dataclass(frozen=True)
class Migrations:
    """An Alembic environment: its script folder (a package resource), its version table, and
    the revision each `smartcart_schema` version of a pre-Alembic database corresponds to
    (None: none of this environment's tables existed yet)."""

    name: str
    location: str
    version_table: str
    legacy: Mapping[int, str | None]

    def config(self, connection: Connection | None = None) -> Config:
        config = Config()
        config.set_main_option("script_location", self.location)
        config.attributes["version_table"] = self.version_table
        config.attributes["connection"] = connection
        return config

    @cached_property
    def scripts(self) -> ScriptDirectory:
        """The revision scripts (read once per process)."""
        return ScriptDirectory.from_config(self.config())

    def heads(self) -> tuple[str, ...]:
        return tuple(self.scripts.get_heads())

    def unknown(self, current: tuple[str, ...]) -> list[str]:
        """Revisions recorded in the database that this code does not have (a newer version
        of smartcart upgraded it)."""
        known = {script.revision for script in self.scripts.walk_revisions()}
        return [revision for revision in current if revision not in known]

    def revision(self, revision_id: str) -> Revision:
        script = self.scripts.get_revision(revision_id)
        return Revision(script.revision, script.doc)

    def current(self, connection: Connection) -> tuple[str, ...]:
        context = MigrationContext.configure(connection, opts={"version_table": self.version_table})
        return tuple(context.get_current_heads())

    def status(self, engine: Engine) -> Status:
        with engine.connect() as connection:
            current = self.current(connection)
            legacy = None if current else legacy_version(connection)
        unknown = tuple(self.unknown(current))
        return Status(self.name, self.version_table, current, self.heads(), legacy, unknown)

    def upgrade(self, engine: Engine) -> Upgrade:
        """Bring this environment's tables up to date (see the module's docstring)."""
        heads = set(self.heads())
        with engine.connect() as connection:
            current = self._checked(self.current(connection))
        if set(current) == heads:
            return Upgrade(self.name, current)
        with locked_transaction(engine, self.version_table) as connection:
            current = self._checked(self.current(connection))
            if set(current) == heads:  # another process did it while we waited
                return Upgrade(self.name, current)
            adopted = None if current else self._adopt(connection)
            applied: list[str] = []
            config = self.config(connection)
            config.attributes["on_version_apply"] = _recorder(applied)
            command.upgrade(config, "heads")
            current = self.current(connection)
            kill_point(f"db-upgrade:{self.name}:before-commit")
        revisions = [self.revision(r) for r in applied]
        for revision in revisions:
            logger.info("schema %s: applied %s (%s)", self.name, revision.id, revision.doc)
        return Upgrade(self.name, current, adopted, revisions)

    def _checked(self, current: tuple[str, ...]) -> tuple[str, ...]:
        if unknown := self.unknown(current):
            raise SchemaError(
                f"the database's {self.name} tables are at revision {', '.join(unknown)}, newer "
                f"than this version of smartcart knows (up to {', '.join(self.heads())}): "
                "upgrade smartcart"
            )
        return current

    def _adopt(self, connection: Connection) -> tuple[int, str | None] | None:
        version = legacy_version(connection)
        if version is None:
            return None
        if version not in self.legacy:
            raise SchemaError(
                f"the database's {LEGACY_TABLE} is at version {version}, which this version of "
                f"smartcart does not know (it knows {min(self.legacy)} to {max(self.legacy)}): "
                "upgrade smartcart"
            )
        revision = self.legacy[version]
        if revision is not None:
            command.stamp(self.config(connection), revision)
        logger.info(
            "schema %s: %s version %s adopted as %s", self.name, LEGACY_TABLE, version, revision
        )
        return version, revision


def run_environment() -> None:
    """The body of each environment's env.py: run the migrations Alembic computed on the
    connection `Migrations` handed over (in its transaction, under its lock)."""
    from alembic import context

    config = context.config
    connection = config.attributes.get("connection")
    if connection is None or context.is_offline_mode():
        raise SchemaError("these migrations run through `smartcart db upgrade`, not alone")
    recorder = config.attributes.get("on_version_apply")
    context.configure(
        connection=connection,
        version_table=config.attributes["version_table"],
        on_version_apply=[recorder] if recorder else [],
    )
    with context.begin_transaction():
        context.run_migrations()


def legacy_version(connection: Connection) -> int | None:
    """The highest numbered migration of a database made before Alembic (None: not one)."""
    if not sa.inspect(connection).has_table(LEGACY_TABLE):
        return None
    table = sa.table(LEGACY_TABLE, sa.column("version"))
    return connection.execute(sa.select(sa.func.max(table.c.version))).scalar()


def _recorder(applied: list[str]):
    def record(*, step: MigrationInfo, **_) -> None:
        if step.is_migration and step.up_revision_id:
            applied.append(step.up_revision_id)

    return record


@contextmanager
def locked_transaction(engine: Engine, name: str) -> Iterator[Connection]:
    """A connection in one transaction, held by at most one process per database at a time."""
    if engine.dialect.name == "sqlite":
        with (
            _file_lock(engine.url.database),
            engine.connect() as connection,
            _sqlite_transaction(connection),
        ):
            yield connection
        return
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            _advisory_lock(connection, name)
        yield connection


def _advisory_lock(connection: Connection, name: str) -> None:
    """PostgreSQL: an advisory lock per schema and version table, released at commit."""
    schema = connection.execute(sa.text("SELECT current_schema()")).scalar()
    key = zlib.crc32(f"smartcart:{schema}:{name}".encode())
    taken = connection.execute(sa.text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": key})
    if not taken.scalar():
        logger.warning("waiting for another process to finish upgrading the schema (%s)", name)
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def _file_lock(database: str | None):
    """SQLite: a lock file beside the database file (nothing to lock for an in-memory one)."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return nullcontext()
    return _waiting(FileLock(f"{database}.migrations.lock"))


@contextmanager
def _waiting(lock: FileLock) -> Iterator[None]:
    try:
        lock.acquire(timeout=0)
    except Timeout:
        logger.warning(
            "waiting for another process to finish upgrading the schema (%s)", lock.lock_file
        )
        lock.acquire()
    try:
        yield
    finally:
        lock.release()


@contextmanager
def _sqlite_transaction(connection: Connection) -> Iterator[None]:
    """SQLite's driver commits DDL as it goes unless a transaction is begun explicitly
    (SQLAlchemy's documented recipe): BEGIN IMMEDIATE makes the whole upgrade one transaction."""
    driver = connection.connection.driver_connection
    level = driver.isolation_level
    driver.isolation_level = None
    try:
        with connection.begin():
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            yield
    finally:
        driver.isolation_level = level
