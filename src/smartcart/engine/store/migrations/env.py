"""Alembic's entry point for the engine's revisions (run by smartcart.engine.store.migrating)."""

from smartcart.engine.store.migrating import run_environment

run_environment()
