"""Alembic's entry point for the bot's revisions (run by segmentation.migrating)."""

from segmentation.migrating import run_environment

run_environment()
