"""Interactivity listeners: `block_actions` from buttons in the bot's messages."""

from slack_bolt import App

from smartcart.slack.listeners.actions import export_button, home_buttons, playbook_button, share


def register(app: App) -> None:
    share.register(app)
    home_buttons.register(app)
    export_button.register(app)
    playbook_button.register(app)
