"""Erasure on request (smartcart/engine/store/erasure.py) on SQLite and PostgreSQL: a forgotten
customer is gone from every table that held them, the audit trail keeps a keyed hash instead of
them, the erasure is recorded by that hash only, and later data leaves them out until undone."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest
import sqlalchemy as sa

from smartcart.engine.data import load_order_customers
from smartcart.engine.data.loading import load_customers
from smartcart.engine.data.validation import validate
from smartcart.engine.orders import write_orders
from smartcart.engine.store import ErasureError
from smartcart.engine.store.store import Store
from smartcart.engine.store.tables import (
    campaign_members,
    campaign_responses,
    campaigns,
    forgotten_customers,
    metadata,
)
from tests.support.digest import store_snapshot

KEY = "test-erasure-key-0123456789"
OTHER_KEY = "another-erasure-key-9876543210"


def scores_for(customers: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {"customer_id": customers["ID"], "cluster": 0, "persona": "premium", "confidence": 0.5}
    )


@pytest.fixture
def customers(generated_file) -> pd.DataFrame:
    return validate(load_customers(generated_file)).customers.head(40)


def fill(store: Store, customers: pd.DataFrame) -> None:
    """Every table that holds customers gets all of them: digest members, campaign groups and
    responses, and lookups in the audit trail."""
    store.save_customers(customers, scores_for(customers), "v1", replace=True)
    ids = [int(i) for i in customers["ID"]]
    at = datetime(2026, 1, 5, tzinfo=UTC)
    store_snapshot(store, "2026-W02", at, ids)
    with store.engine.begin() as connection:
        campaign = connection.execute(
            campaigns.insert().values(
                name="spring",
                persona="premium",
                filters={},
                holdout=0.1,
                target_size=len(ids),
                control_size=0,
                model_version="v1",
                created_at=at,
                created_by="U1",
                channel_id="C1",
                exports=1,
                updated_at=at,
            )
        ).inserted_primary_key[0]
        connection.execute(
            campaign_members.insert(),
            [{"campaign_id": campaign, "customer_id": i, "holdout_group": "target"} for i in ids],
        )
        connection.execute(
            campaign_responses.insert(),
            [{"campaign_id": campaign, "customer_id": i, "revenue": 5.0} for i in ids],
        )


def rows_of(store: Store, customer_id: int) -> dict[str, int]:
    """Rows per table holding this customer id."""
    with store.engine.connect() as connection:
        return {
            table.name: connection.execute(
                sa.select(sa.func.count())
                .select_from(table)
                .where(table.c.customer_id == customer_id)
            ).scalar_one()
            for table in metadata.sorted_tables
            if "customer_id" in table.c
        }


def everything_stored(store: Store) -> str:
    """Every value of every engine table, as one text (to look for a customer in it)."""
    with store.engine.connect() as connection:
        return repr(
            [connection.execute(sa.select(table)).all() for table in metadata.sorted_tables]
        )


def test_a_forgotten_customer_is_gone_from_every_table_and_the_audit_keeps_a_hash(
    store: Store, customers
):
    fill(store, customers)
    gone, kept = int(customers["ID"].iloc[3]), int(customers["ID"].iloc[4])
    store.audit("U1", "C1", "customer", str(gone), True, rows=1, detail="premium")
    store.audit("U1", "C1", "customer", str(kept), True, rows=1, detail="premium")
    store.audit("U1", "C1", "export", "premium --top 10", True, rows=10)

    erasure = store.forget(KEY, str(gone), "cli:ops", reason="ticket 42")

    assert set(rows_of(store, gone).values()) == {0}
    assert set(rows_of(store, kept).values()) == {1}
    assert erasure.stored and not erasure.already
    assert erasure.removed == {
        "assignments": 1,
        "history_members": 1,
        "campaign_members": 1,
        "campaign_responses": 1,
        "customers": 1,
        "audit_log": 1,
    }
    entries = store.audit_entries()
    assert [e["target"] for e in entries] == [
        erasure.label,
        str(kept),
        "premium --top 10",
        erasure.label,
    ]
    assert entries[-1]["action"] == "forget" and entries[-1]["user_id"] == "cli:ops"
    with store.engine.connect() as connection:
        recorded = connection.execute(sa.select(forgotten_customers)).mappings().one()
    assert recorded["customer_hash"] == erasure.customer_hash and len(erasure.customer_hash) == 64
    assert recorded["reason"] == "ticket 42" and recorded["removed"] == erasure.removed


def test_a_customer_from_orders_is_forgotten_by_email_in_any_case(store: Store, tmp_path):
    orders = write_orders(tmp_path / "orders.csv", 20, seed=3, layout="shopify")
    customers = load_order_customers(orders).customers
    store.save_customers(customers, scores_for(customers), "v1", replace=True)
    email = next(k for k in customers["customer_key"] if "@" in k)
    store.audit("U1", "C1", "customer", email.upper(), True, rows=1)
    store.audit("U1", "C1", "export", f"premium note {email}", True, detail=f"asked {email}")

    erasure = store.forget(KEY, f"  {email.upper()} ", "cli:ops")

    assert erasure.stored and store.customer(email) is None
    assert email not in everything_stored(store).lower()
    targets = [(e["target"], e["detail"]) for e in store.audit_entries()]
    assert targets[:2] == [
        (erasure.label, None),
        (f"premium note {erasure.label}", f"asked {erasure.label}"),
    ]
    left = store.forgotten(KEY).split(customers)
    assert left[1] == 1 and email not in set(left[0]["customer_key"])


def test_forgotten_customers_are_left_out_until_undone(store: Store, customers):
    fill(store, customers)
    gone = str(int(customers["ID"].iloc[0]))
    assert not store.forgotten(None)  # nothing forgotten: no key needed
    store.forget(KEY, gone, "cli:ops")
    store.forget(KEY, "999999999", "cli:ops")  # never stored: recorded all the same

    kept, left_out = store.forgotten(KEY).split(customers)
    assert left_out == 1 and gone not in set(kept["ID"].astype(str))
    with pytest.raises(ErasureError, match="^2 customers are forgotten and cannot be left out"):
        store.forgotten(None)
    with pytest.raises(ErasureError, match="not the key the erasures were recorded with"):
        store.forgotten(OTHER_KEY)

    assert store.unforget(KEY, gone, "cli:ops").label.startswith("forgotten:")
    assert store.forgotten(KEY).split(customers)[1] == 0
    assert [e["action"] for e in store.audit_entries()][-1] == "forget --undo"
    with pytest.raises(ErasureError, match=f"^{gone} is not forgotten"):
        store.unforget(KEY, gone, "cli:ops")
    assert store.count_forgotten() == 1


@pytest.mark.parametrize(("key", "problem"), [(None, "is not set"), ("short", "is too short")])
def test_forget_refuses_without_a_proper_key_and_changes_nothing(store, customers, key, problem):
    fill(store, customers)
    before = everything_stored(store)
    with pytest.raises(ErasureError, match=f"^SMARTCART_ERASURE_KEY {problem}") as raised:
        store.forget(key, str(int(customers["ID"].iloc[0])), "cli:ops")
    assert "\n" not in str(raised.value)
    assert everything_stored(store) == before


def test_the_key_is_not_in_its_repr():
    from smartcart.engine.store.erasure import ErasureKey

    assert KEY not in repr(ErasureKey(KEY))
