"""Workflow Builder custom steps (functions declared in the manifest), handled by Bolt's
function listener: `function_executed` events, completed with functions.completeSuccess/Error."""

from slack_bolt import App


def register(app: App) -> None:
    from smartcart.slack.listeners.functions import segment_lookup

    segment_lookup.register(app)
