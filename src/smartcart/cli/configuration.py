"""`smartcart settings example`: every setting with its default and meaning (`.env.example`)."""

from __future__ import annotations

import click

from smartcart.cli.main import main


@main.group("settings")
def settings_group() -> None:
    """The bot's settings (environment variables, or a .env file)."""


@settings_group.command("example")
def settings_example() -> None:
    """Print every setting, commented out at its default with one line of meaning.

    This is `.env.example`: `smartcart settings example > .env.example`.
    """
    from smartcart.slack import env_example

    click.echo(env_example(), nl=False)
