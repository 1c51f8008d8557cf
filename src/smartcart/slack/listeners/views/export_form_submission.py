"""The export form: opened from `/segment export` and the Home tab, submitted as a modal.

A submission is checked field by field (errors come back on the form with `response_action:
errors`); a valid one closes the form and is answered exactly like the command it stands for
(`export <persona> --min-confidence X --format F`: same access rules, same audit trail). The
answer and the file go to the user's DM, since a modal has no channel to answer in.
"""

from __future__ import annotations

import logging
from urllib.error import URLError

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from smartcart.slack.blockkit import escape, section
from smartcart.slack.dispatch import Request
from smartcart.slack.listeners.export_form import live_personas
from smartcart.slack.listeners.replies import slack_error_text, upload_files
from smartcart.slack.request_path import BotServices, after_ack, answer_request, services_of
from smartcart.slack.subcommands import EXPORT_FORM_CALLBACK_ID, read_submission

logger = logging.getLogger(__name__)


def register(app: App) -> None:
    app.view(EXPORT_FORM_CALLBACK_ID)(handle_export_submission)


def handle_export_submission(
    ack: Ack, body: dict, view: dict, client: WebClient, context: BoltContext
) -> None:
    """Errors on the fields, or close the form and export after the ack."""
    choice = read_submission(view, live_personas(services_of(context)))
    if isinstance(choice, dict):
        ack(response_action="errors", errors=choice)
        return
    ack()
    user = body.get("user") or {}
    request = Request(
        text=choice.command,
        user_id=user.get("id", ""),
        channel_id=choice.channel_id,
        user_name=user.get("username") or user.get("name", ""),
    )
    after_ack(context, export_to_dm, services_of(context), request, client)


def export_to_dm(services: BotServices, request: Request, client: WebClient) -> None:
    """Answer the export command (access check, audit) in the user's DM, with the file."""
    answer = answer_request(services, request)
    try:
        channel = client.conversations_open(users=request.user_id)["channel"]["id"]
        client.chat_postMessage(channel=channel, text=answer.text, blocks=answer.blocks)
    except (SlackClientError, URLError, OSError) as error:
        logger.warning(
            "sending an export to %s failed: %s", request.user_id, slack_error_text(error)
        )
        return
    try:
        upload_files(client, channel, answer)
    except (SlackClientError, URLError, OSError) as error:
        reason = slack_error_text(error)
        logger.warning("uploading an export for %s failed: %s", request.user_id, reason)
        tell_upload_failed(client, channel, reason)


def tell_upload_failed(client: WebClient, channel: str, reason: str) -> None:
    message = f":warning: I couldn't upload the file ({escape(reason)}). Please try again."
    try:
        client.chat_postMessage(channel=channel, text=message, blocks=[section(message)])
    except (SlackClientError, URLError, OSError) as error:
        logger.warning("telling about a failed upload failed too: %s", slack_error_text(error))
