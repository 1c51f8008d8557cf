"""`smartcart db upgrade` and `db current` (smartcart/cli/db.py) on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from click.testing import CliRunner

from smartcart.cli import main
from tests.support import legacy_schema

APPLIED_ON_A_NEW_DATABASE = """\
engine: applied 0001_customers (customers, assignments and audit log)
engine: applied 0002_history (digest history: snapshots, per-persona figures and members)
engine: applied 0003_campaigns (campaigns: holdout groups and responses)
engine: applied 0004_customer_keys (customer keys: text ids and the figures of customers from orders)
engine: applied 0005_customer_lifetime (customer lifetime: each customer's lifetime value and churn risk)
engine: applied 0006_forgotten_customers (forgotten customers: erasures on request, recorded by a keyed hash)
engine: applied 0007_history_churn_risk (history churn risk: each digest member's churn risk band and predicted value)
bot: applied 0001_digest_runs (digest runs and their events)
bot: applied 0002_digest_subscriptions (digest subscriptions of channels)
bot: applied 0003_leases (leases: the one scheduler across workers and replicas)
Schema up to date: engine at 0007_history_churn_risk, bot at 0003_leases.
"""
UP_TO_DATE = """\
engine: 0007_history_churn_risk (head), up to date
bot: 0003_leases (head), up to date
"""


def db(*args: str):
    return CliRunner().invoke(main, ["db", *args])


def body(output: str) -> str:
    """The output after its first line (the database, password hidden)."""
    first, _, rest = output.partition("\n")
    assert first.startswith("Database: ") and "***" not in first, first
    return rest


def test_db_upgrade_creates_every_table_once_and_current_reports_it(
    settings_env, database_url, monkeypatch
):
    monkeypatch.setenv("SMARTCART_DATABASE_URL", database_url)
    before = db("current")
    assert before.exit_code == 1
    assert body(before.output) == (
        "engine: no tables yet, out of date (head: 0007_history_churn_risk)\n"
        "bot: no tables yet, out of date (head: 0003_leases)\n"
        "Out of date: run `smartcart db upgrade`.\n"
    )
    upgraded = db("upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    assert body(upgraded.output) == APPLIED_ON_A_NEW_DATABASE
    again = db("upgrade")
    assert body(again.output) == (
        "Nothing to apply. Schema up to date: engine at 0007_history_churn_risk, bot at 0003_leases.\n"
    )
    after = db("current")
    assert after.exit_code == 0 and body(after.output) == UP_TO_DATE


def test_db_upgrade_adopts_a_database_made_before_alembic(settings_env, database_url, monkeypatch):
    monkeypatch.setenv("SMARTCART_DATABASE_URL", database_url)
    old = sa.create_engine(database_url)
    legacy_schema.make_database(old, 3)
    legacy_schema.fill(old, 3)
    old.dispose()
    before = db("current")
    assert before.exit_code == 1
    assert body(before.output).splitlines()[:2] == [
        "engine: made before Alembic (smartcart_schema version 3), out of date "
        "(head: 0007_history_churn_risk)",
        "bot: made before Alembic (smartcart_schema version 3), out of date (head: 0003_leases)",
    ]
    upgraded = db("upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    assert body(upgraded.output) == (
        "engine: adopted the database made before Alembic (smartcart_schema version 3) "
        "as 0002_history\n"
        "engine: applied 0003_campaigns (campaigns: holdout groups and responses)\n"
        "engine: applied 0004_customer_keys (customer keys: text ids and the figures of "
        "customers from orders)\n"
        "engine: applied 0005_customer_lifetime (customer lifetime: each customer's lifetime "
        "value and churn risk)\n"
        "engine: applied 0006_forgotten_customers (forgotten customers: erasures on request, "
        "recorded by a keyed hash)\n"
        "engine: applied 0007_history_churn_risk (history churn risk: each digest member's "
        "churn risk band and predicted value)\n"
        "bot: adopted the database made before Alembic (smartcart_schema version 3) "
        "as 0002_digest_subscriptions\n"
        "bot: applied 0003_leases (leases: the one scheduler across workers and replicas)\n"
        "Schema up to date: engine at 0007_history_churn_risk, bot at 0003_leases.\n"
    )
    assert body(db("current").output) == UP_TO_DATE


def test_db_upgrade_of_a_newer_numbered_schema_is_one_line(settings_env, database_url, monkeypatch):
    monkeypatch.setenv("SMARTCART_DATABASE_URL", database_url)
    old = sa.create_engine(database_url)
    legacy_schema.make_database(old, 5)
    with old.begin() as connection:
        row = {"version": 6, "name": "from a newer branch", "applied_at": datetime.now(UTC)}
        connection.execute(legacy_schema.schema_versions.insert().values(row))
    upgraded = db("upgrade")
    assert upgraded.exit_code == 1
    assert body(upgraded.output) == (
        "Error: the database's smartcart_schema is at version 6, which this version of "
        "smartcart does not know (it knows 1 to 5): upgrade smartcart\n"
    )
    assert "alembic_version" not in sa.inspect(old).get_table_names()  # nothing half-written
    old.dispose()


def test_a_schema_newer_than_the_code_is_reported_and_refused_in_one_line(
    settings_env, database_url, monkeypatch
):
    """As after rolling the code back past a release that added a revision."""
    monkeypatch.setenv("SMARTCART_DATABASE_URL", database_url)
    assert db("upgrade").exit_code == 0
    engine = sa.create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '0099_future'"))
    current = db("current")
    assert current.exit_code == 1
    assert body(current.output) == (
        "engine: 0099_future, newer than this version of smartcart (its head: 0007_history_churn_risk): "
        "upgrade smartcart\n" + UP_TO_DATE.splitlines(keepends=True)[1]
    )
    upgraded = db("upgrade")
    assert upgraded.exit_code == 1
    assert body(upgraded.output) == (
        "Error: the database's engine tables are at revision 0099_future, newer than this "
        "version of smartcart knows (up to 0007_history_churn_risk): upgrade smartcart\n"
    )
    engine.dispose()
