"""The SQL store on SQLite and PostgreSQL: migrations, atomic writes, lookups, audit."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

from smartcart.engine.data.loading import load_customers
from smartcart.engine.data.validation import validate
from smartcart.engine.store.store import Store
from tests.support.schemas import ENGINE_REVISIONS


@pytest.fixture
def customers(generated_file) -> pd.DataFrame:
    return validate(load_customers(generated_file)).customers.head(300)


def scores_for(customers: pd.DataFrame, persona: str = "premium") -> pd.DataFrame:
    return pd.DataFrame(
        {"customer_id": customers["ID"], "cluster": 0, "persona": persona, "confidence": 0.5}
    )


def test_a_new_store_makes_its_tables_once(database_url):
    store = Store(database_url)
    assert store.migrate() == ENGINE_REVISIONS
    assert store.migrate() == []
    assert store.schema_status().up_to_date
    tables = set(sa.inspect(store.engine).get_table_names())
    assert {"customers", "assignments", "audit_log", "alembic_version"} <= tables


def test_customers_round_trip(database_url, customers):
    store = Store(database_url)
    store.migrate()
    store.save_customers(customers, scores_for(customers), "v1", replace=True)
    assert store.count_customers() == len(customers)
    first = customers.iloc[0]
    row, assignment = store.customer(int(first["ID"]))
    assert assignment["model_version"] == "v1" and assignment["persona"] == "premium"
    stored = row.iloc[0]
    for column in ("Year_Birth", "Education", "Kidhome", "MntWines", "Response"):
        assert stored[column] == first[column]
    assert pd.Timestamp(stored["Dt_Customer"]) == pd.Timestamp(first["Dt_Customer"])
    assert store.customer(999_999_999) is None
    everyone = store.all_customers()
    assert sorted(everyone["ID"]) == sorted(customers["ID"])
    assert len(store.members("premium")) == len(customers)


def test_a_failed_write_leaves_the_previous_data(database_url, customers):
    store = Store(database_url)
    store.migrate()
    store.save_customers(customers, scores_for(customers), "v1", replace=True)
    broken = pd.concat([customers, customers.head(1)])  # a repeated id violates the key
    with pytest.raises(sa.exc.IntegrityError):
        store.save_customers(broken, scores_for(broken, "family_budget"), "v2", replace=True)
    assert store.count_customers() == len(customers)
    assert set(store.members("premium")["customer_id"]) == set(customers["ID"])


def test_upsert_adds_and_updates(database_url, customers):
    store = Store(database_url)
    store.migrate()
    store.save_customers(customers.head(100), scores_for(customers.head(100)), "v1", replace=True)
    store.save_customers(
        customers.iloc[50:200],
        scores_for(customers.iloc[50:200], "digital_active"),
        "v2",
        replace=False,
    )
    assert store.count_customers() == 200
    assert len(store.members("premium")) == 50
    assert len(store.members("digital_active")) == 150


def test_audit_trail(database_url):
    store = Store(database_url)
    store.migrate()
    store.audit("U1", "C1", "customer", "5524", True, rows=1)
    store.audit("U2", "C9", "export", "premium", False)
    entries = store.audit_entries()
    assert [(e["user_id"], e["action"], e["allowed"]) for e in entries] == [
        ("U1", "customer", True),
        ("U2", "export", False),
    ]
    assert entries[0]["at"] is not None
