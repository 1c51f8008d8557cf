"""Alembic's entry point for the bot's revisions (run by smartcart.engine.store.migrating)."""

from smartcart.engine.store import run_environment

run_environment()
