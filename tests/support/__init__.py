"""Helpers shared by the test packages."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import pytest
import sqlalchemy as sa

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = REPO.parent / "shared" / "data"
REAL_DATA = SHARED_DATA / "marketing_campaign.csv"
STUDY_DATA = SHARED_DATA / "smartcart_customers.csv"
POSTGRES_URL = os.environ.get(
    "SMARTCART_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def postgres_url_or_skip() -> str:
    """The test PostgreSQL URL; skips when unreachable, unless CI requires PostgreSQL."""
    try:
        engine = sa.create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
    except Exception as error:
        if os.environ.get("SMARTCART_REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL required but unreachable at {POSTGRES_URL}: {error}")
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}")
    return POSTGRES_URL


# Each test process works in a schema of its own, so parallel runs on one server don't collide.
TEST_SCHEMA = f"smartcart_test_{os.getpid()}_{secrets.token_hex(3)}"


def schema_url(url: str, schema: str = TEST_SCHEMA) -> str:
    """The URL with the schema as search_path: every table the code makes lands there."""
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{schema}"


def reset_postgres(url: str, schema: str = TEST_SCHEMA) -> None:
    """Drop and recreate this process's test schema, so each test starts empty."""
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()


def drop_test_schema(url: str, schema: str = TEST_SCHEMA) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    """Each test using this runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    url = postgres_url_or_skip()
    reset_postgres(url)
    request.addfinalizer(lambda: drop_test_schema(url))
    return schema_url(url)


def run_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *args: str):
    """`smartcart ARGS` run in tmp_path with its own model folder and SQLite store (and no
    mapping from the environment), as a user in a fresh folder would."""
    from click.testing import CliRunner

    from smartcart.cli import main

    tmp_path.mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("SMARTCART_MODEL_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("SMARTCART_DATABASE_URL", f"sqlite:///{tmp_path / 'store.db'}")
    monkeypatch.delenv("SMARTCART_MAPPING", raising=False)
    monkeypatch.chdir(tmp_path)
    return CliRunner().invoke(main, list(args))


def train_quickly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data: object):
    """`smartcart train` with K-Means and 2 stability refits: a model in seconds."""
    args = ("train", "--data", str(data), "--algorithm", "kmeans", "--refits", "2")
    return run_cli(tmp_path, monkeypatch, *args)


def wait_for(condition, timeout: float = 180.0, every: float = 0.1) -> object:
    """The first true value of condition(), polled every `every` seconds; fails after timeout
    (a deadline generous enough for processes starting on a loaded two-core machine)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(every)
    raise AssertionError(f"not within {timeout} s")
