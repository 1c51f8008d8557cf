"""Modal listeners: `view_submission` of the bot's forms."""

from slack_bolt import App


def register(app: App) -> None:
    from bot.listeners.views import export_form

    export_form.register(app)
