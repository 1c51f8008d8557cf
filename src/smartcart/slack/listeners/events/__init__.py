"""Events API listeners: the Home tab, an @-mention; other events are acknowledged and ignored."""

from slack_bolt import App

from smartcart.slack.listeners.events import app_home_opened, app_mention


def register(app: App) -> None:
    app_home_opened.register(app)
    app_mention.register(app)
