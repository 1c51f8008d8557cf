"""The engine's Alembic revisions on SQLite and PostgreSQL: a new database gets each once, they
build exactly the tables of smartcart/engine/store/tables.py, and a failing one leaves nothing behind.

Adoption of databases made before Alembic, with the bot's tables, and processes starting at
once: tests/slack/test_migrations.py."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from smartcart.engine.store.migrating import Migrations
from smartcart.engine.store.migrations import ENGINE
from smartcart.engine.store.store import Store
from smartcart.engine.store.tables import metadata
from tests.support.schemas import ENGINE_REVISIONS, differences

ENGINE_TABLES = {
    "customers",
    "assignments",
    "audit_log",
    "history_snapshots",
    "history_segments",
    "history_members",
    "campaigns",
    "campaign_members",
    "campaign_responses",
    "forgotten_customers",
}


def table_names(store: Store) -> set[str]:
    return set(sa.inspect(store.engine).get_table_names())


def test_a_new_database_gets_every_revision_once(database_url):
    store = Store(database_url)
    assert not store.schema_status().up_to_date
    assert store.migrate() == ENGINE_REVISIONS
    assert store.migrate() == []
    assert Store(database_url).migrate() == []
    status = store.schema_status()
    assert status.current == status.heads == (ENGINE_REVISIONS[-1],) and status.up_to_date
    # the engine's tables and its version table: no delivery ledger, no numbered migrations
    assert table_names(store) == ENGINE_TABLES | {"alembic_version"}
    store.engine.dispose()


def test_the_revisions_build_exactly_the_live_tables(store):
    assert set(metadata.tables) == ENGINE_TABLES
    assert differences(store.engine, [metadata]) == []


def test_a_table_edited_without_a_revision_is_caught(store):
    edited = sa.MetaData()
    for table in metadata.tables.values():
        table.to_metadata(edited)
    edited.tables["customers"].append_column(sa.Column("Loyalty", sa.Integer))
    edited.tables["campaigns"].c.name.type = sa.String(80)
    found = differences(store.engine, [edited])
    added = [d for d in found if isinstance(d, tuple)]
    assert [(kind, table, column.name) for kind, _, table, column in added] == [
        ("add_column", "customers", "Loyalty")
    ]
    changed = [d[0] for d in found if isinstance(d, list)]
    assert [(kind, table, column) for kind, _, table, column, *_ in changed] == [
        ("modify_type", "campaigns", "name")
    ]


def test_downgrade_to_base_and_back(store):
    with store.engine.begin() as connection:
        command.downgrade(ENGINE.config(connection), "base")
    assert table_names(store) == {"alembic_version"}
    assert store.migrate() == ENGINE_REVISIONS
    assert differences(store.engine, [metadata]) == []


FAILING_ENVIRONMENT = {
    "env.py": "from smartcart.engine.store.migrating import run_environment\n\nrun_environment()\n",
    "versions/a.py": (
        '"""kept"""\nimport sqlalchemy as sa\nfrom alembic import op\n\n'
        'revision = "a"\ndown_revision = None\n\n\n'
        "def upgrade():\n"
        '    op.create_table("kept", sa.Column("id", sa.Integer, primary_key=True))\n'
    ),
    "versions/b.py": (
        '"""fails halfway"""\nimport sqlalchemy as sa\nfrom alembic import op\n\n'
        'revision = "b"\ndown_revision = "a"\n\n\n'
        "def upgrade():\n"
        '    op.create_table("half", sa.Column("id", sa.Integer, primary_key=True))\n'
        '    raise RuntimeError("revision b fails")\n'
    ),
}


def test_a_failing_revision_leaves_the_database_as_it_was(database_url, tmp_path: Path):
    """The whole upgrade is one transaction, on SQLite too (its driver would commit each
    CREATE TABLE on its own)."""
    for name, text in FAILING_ENVIRONMENT.items():
        (tmp_path / "env" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "env" / name).write_text(text)
    failing = Migrations("test", str(tmp_path / "env"), "alembic_version_test", legacy={})
    store = Store(database_url)
    store.migrate()
    before = table_names(store)
    with pytest.raises(RuntimeError, match="revision b fails"):
        failing.upgrade(store.engine)
    assert table_names(store) == before
    assert failing.status(store.engine).current == ()
    store.engine.dispose()
