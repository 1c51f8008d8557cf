"""What a database holds, read by reflection: its rows, its tables' make-up, and how far its
tables are from the tables the code declares (Alembic's comparison)."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine

# The engine's revisions, oldest first (smartcart/engine/store/migrations/versions/): the one
# list the migration tests expect, so a new revision is added here once.
ENGINE_REVISIONS = [
    "0001_customers",
    "0002_history",
    "0003_campaigns",
    "0004_customer_keys",
    "0005_customer_lifetime",
    "0006_forgotten_customers",
    "0007_history_churn_risk",
]


def engine_revisions_from(first: str) -> list[str]:
    """The engine's revisions from `first` to the head: what upgrading a store at the one
    before `first` applies."""
    return ENGINE_REVISIONS[ENGINE_REVISIONS.index(first) :]


def contents(engine: Engine) -> dict[str, list[dict]]:
    """Every row of every table but the version tables, read by reflection, in key order."""
    reflected = sa.MetaData()
    reflected.reflect(engine)
    out = {}
    with engine.connect() as connection:
        for name, table in reflected.tables.items():
            if name.startswith("alembic_version"):
                continue
            query = sa.select(table).order_by(*table.primary_key.columns)
            out[name] = [dict(row) for row in connection.execute(query).mappings()]
    return out


def schema_of(engine: Engine) -> dict[str, dict]:
    """What a table is made of, as the database reports it: columns, keys, indexes."""
    inspector = sa.inspect(engine)
    out = {}
    for name in inspector.get_table_names():
        out[name] = {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"], c.get("autoincrement"))
                for c in inspector.get_columns(name)
            ],
            "primary key": inspector.get_pk_constraint(name)["constrained_columns"],
            "foreign keys": sorted(
                (f["constrained_columns"], f["referred_table"], f["referred_columns"], f["options"])
                for f in inspector.get_foreign_keys(name)
            ),
            "unique": sorted(
                (u["name"], u["column_names"]) for u in inspector.get_unique_constraints(name)
            ),
            "indexes": sorted(
                (i["name"], i["column_names"], i["unique"]) for i in inspector.get_indexes(name)
            ),
        }
    return out


def differences(engine: Engine, metadatas: Iterable[sa.MetaData]) -> list:
    """What Alembic finds different between the database and these tables (types included),
    looking only at these tables."""
    metadatas = list(metadatas)
    names = {name for metadata in metadatas for name in metadata.tables}

    def ours(name, kind, _parent) -> bool:
        return kind != "table" or name in names

    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": ours}
        )
        return compare_metadata(context, metadatas)


def drop_everything(engine: Engine) -> None:
    reflected = sa.MetaData()
    reflected.reflect(engine)
    reflected.drop_all(engine)
