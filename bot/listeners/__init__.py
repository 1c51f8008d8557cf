"""Listeners registered per kind, as in slack-samples/bolt-python-starter-template."""

from slack_bolt import App

from bot.listeners import actions, commands, events


def register_listeners(app: App) -> None:
    """Register every listener of the bot on `app`."""
    commands.register(app)
    actions.register(app)
    events.register(app)
