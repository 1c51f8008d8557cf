"""Modal listeners: `view_submission` of the bot's forms."""

from slack_bolt import App

from smartcart.slack.listeners.views import export_form_submission


def register(app: App) -> None:
    export_form_submission.register(app)
