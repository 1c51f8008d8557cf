"""The engine's Alembic environment: env.py and the frozen revisions in versions/.

`ENGINE` is applied by `Store.migrate()` (on first use) and `smartcart db upgrade`. Revisions
spell out their tables literally, never importing smartcart.engine.store.tables, so editing a live table
cannot change a migration already applied somewhere; a change to a table is a new revision
(its `down_revision` the latest one), and tests/engine/store/test_migrations.py checks that the
revisions build exactly the tables of smartcart/engine/store/tables.py.

Before Alembic, databases recorded numbered migrations in `smartcart_schema` (1 to 5; 3 and 5
made only an application's tables). `legacy` says which engine revision each number amounts
to, for adopting such a database (smartcart.engine.store.migrating).
"""

from __future__ import annotations

from smartcart.engine.store.migrating import Migrations

ENGINE = Migrations(
    name="engine",
    location="smartcart.engine.store:migrations",
    version_table="alembic_version",
    legacy={
        1: "0001_customers",
        2: "0002_history",
        3: "0002_history",
        4: "0003_campaigns",
        5: "0003_campaigns",
    },
)

__all__ = ["ENGINE"]
