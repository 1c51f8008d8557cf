"""Slash command listeners: `/segment <subcommand> ...`."""

from slack_bolt import App

from smartcart.slack.listeners.commands import segment_command


def register(app: App) -> None:
    segment_command.register(app)
