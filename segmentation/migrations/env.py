"""Alembic's entry point for the engine's revisions (run by segmentation.migrating)."""

from segmentation.migrating import run_environment

run_environment()
