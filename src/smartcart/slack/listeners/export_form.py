"""Opening the export form (a modal), from `/segment export` and from the Home tab.

Its submission is `listeners/views/export_form_submission.py`.
"""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from smartcart.slack.access import may_see_customers
from smartcart.slack.dispatch import Request
from smartcart.slack.request_path import BotServices
from smartcart.slack.subcommands import export_form

logger = logging.getLogger(__name__)


def may_export(services: BotServices, request: Request) -> bool:
    return may_see_customers(services.settings, request)


def open_export_form(
    client: WebClient, trigger_id: str, channel_id: str, persona: str | None = None
) -> str | None:
    """Open the form; None when it opened, else Slack's error code (e.g. expired_trigger_id)."""
    try:
        client.views_open(trigger_id=trigger_id, view=export_form(channel_id, persona))
    except SlackApiError as error:
        code = str(error.response.get("error", "error"))
        logger.warning("opening the export form failed: %s", code)
        return code
    return None
