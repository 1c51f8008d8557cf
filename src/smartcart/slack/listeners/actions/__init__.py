"""Interactivity listeners: `block_actions` from buttons in the bot's messages."""

from slack_bolt import App

from smartcart.slack.listeners.actions import home_buttons, playbook_button, share


def register(app: App) -> None:
    share.register(app)
    home_buttons.register(app)
    playbook_button.register(app)
