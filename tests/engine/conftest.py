"""Fixtures for the engine's tests: real data when it is there, generated data always."""

from __future__ import annotations

from pathlib import Path

import pytest

from smartcart.engine.data.synthetic import generate_customers, write_customers
from smartcart.engine.store.store import Store
from tests.support import REAL_DATA


@pytest.fixture(scope="session")
def generated_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("data") / "customers.csv"
    write_customers(generate_customers(2240, seed=7), path)
    return path


@pytest.fixture
def real_file() -> Path:
    if not REAL_DATA.exists():
        pytest.skip(f"reference data not found at {REAL_DATA}")
    return REAL_DATA


@pytest.fixture
def store(database_url) -> Store:
    """A migrated store on the test's database (SQLite or PostgreSQL)."""
    store = Store(database_url)
    store.migrate()
    yield store
    store.engine.dispose()
