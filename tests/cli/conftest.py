"""Fixtures the CLI tests share with the tests of what each command drives (imported from there)."""

import shutil
from pathlib import Path

import pytest

from smartcart.engine.data.synthetic import generate_customers, write_customers
from smartcart.engine.scoring.scoring import score
from smartcart.engine.store.store import Store
from tests.engine.conftest import generated_file  # noqa: F401
from tests.engine.data.test_mapping import crm_file, mapping_file  # noqa: F401
from tests.slack.digest.conftest import digest_settings  # noqa: F401
from tests.slack.subcommands.test_export import k3_context, trained_k3  # noqa: F401


@pytest.fixture
def live(tmp_path: Path, trained, database_url: str, monkeypatch) -> dict[str, object]:
    """A model folder with the session's trained model live, 300 of its customers stored (one
    looked up in the audit trail), a file of 200 other customers, and the environment of a
    `smartcart` process using them (SQLite and PostgreSQL)."""
    models = tmp_path / "models"
    shutil.copytree(trained.artifact.parent.parent, models)
    store = Store(database_url)
    store.migrate()
    customers = trained.data.customers.head(300)
    store.save_customers(customers, score(trained.model, customers), trained.model.version, True)
    store.audit("U1", "C1", "customer", str(int(customers["ID"].iloc[0])), True, rows=1)
    data = tmp_path / "customers.csv"
    write_customers(generate_customers(200, seed=11), data)
    env = {"SMARTCART_MODEL_DIR": str(models), "SMARTCART_DATABASE_URL": database_url}
    monkeypatch.chdir(tmp_path)
    yield {"store": store, "models": models, "data": data, "env": env, "trained": trained}
    store.engine.dispose()
