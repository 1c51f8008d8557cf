"""Sending an `Answer` back to Slack: the message through `respond`, then its files.

Files go where the answer went: an `in_channel` answer's files to the request's channel, an
ephemeral answer's files to a direct message with the user (conversations.open), since a file
uploaded to a channel is visible to everyone there and an ephemeral answer is private.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from urllib.error import URLError

from slack_bolt.context.respond import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from smartcart.slack.blockkit import escape, section
from smartcart.slack.dispatch import Answer, Request, metric_label
from smartcart.slack.listeners.inline_images import send_with_images
from smartcart.slack.metrics import observe_answer
from smartcart.slack.request_path import BotServices, answer_request
from smartcart.slack.sharing import for_slack

logger = logging.getLogger(__name__)


def answer_in_slack(
    services: BotServices,
    request: Request,
    respond: Respond,
    client: WebClient,
    replace_original: bool | None = None,
) -> None:
    """Answer a request (after its ack): the message at the response_url, then the files."""
    started = time.perf_counter()
    send_in_slack(
        for_slack(answer_request(services, request), request),
        request,
        respond,
        client,
        replace_original,
    )
    observe_answer(metric_label(request.command), time.perf_counter() - started)


def send_in_slack(
    answer: Answer,
    request: Request,
    respond: Respond,
    client: WebClient,
    replace_original: bool | None = None,
) -> None:
    """The answer at the response_url (charts inside it where Slack allows), then its files."""
    files = send_with_images(client, respond, answer, replace_original)
    deliver_uploads(client, respond, request, replace(answer, uploads=files))


def deliver_uploads(client: WebClient, respond: Respond, request: Request, answer: Answer) -> None:
    """Upload the answer's files (files_upload_v2); a failure is told to the user, not hidden."""
    if not answer.uploads:
        return
    try:
        upload_files(client, upload_channel(client, request, answer), answer)
    except (SlackClientError, URLError, OSError) as error:
        logger.warning(
            "uploading files for %s failed: %s", request.user_id, slack_error_text(error)
        )
        tell_upload_failed(respond, slack_error_text(error))


def upload_files(client: WebClient, channel: str, answer: Answer) -> None:
    """Each of the answer's files to the channel (files_upload_v2); Slack's errors propagate."""
    for upload in answer.uploads:
        client.files_upload_v2(
            channel=channel,
            filename=upload.filename,
            content=upload.content,
            title=upload.title,
            initial_comment=upload.initial_comment,
        )


def upload_channel(client: WebClient, request: Request, answer: Answer) -> str:
    """The request's channel for an in-channel answer, else a DM with the user."""
    if answer.response_type == "in_channel":
        return request.channel_id
    opened = client.conversations_open(users=request.user_id)
    return opened["channel"]["id"]


def slack_error_text(error: Exception) -> str:
    if isinstance(error, SlackApiError):
        return str(error.response.get("error", "error"))
    return type(error).__name__


def tell_upload_failed(respond: Respond, reason: str) -> None:
    hint = " Invite me to this channel and try again." if reason == "not_in_channel" else ""
    message = f":warning: I couldn't upload the file ({escape(reason)}).{hint}"
    respond(
        response_type="ephemeral", replace_original=False, text=message, blocks=[section(message)]
    )
