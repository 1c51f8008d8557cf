"""Listeners registered per kind, as in slack-samples/bolt-python-starter-template."""

from slack_bolt import App

from smartcart.slack.listeners import actions, commands, events, functions, views


def register_listeners(app: App) -> None:
    """Register every listener of the bot on `app` (catch-alls of a kind come last)."""
    commands.register(app)
    actions.register(app)
    views.register(app)
    functions.register(app)
    events.register(app)


__all__ = ["register_listeners"]
