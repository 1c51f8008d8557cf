"""Fixtures the Slack tests share with the engine's tests (imported from there)."""

from tests.engine.conftest import store  # noqa: F401
