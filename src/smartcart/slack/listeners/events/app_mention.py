"""An @-mention of the bot gets the usage in its thread; other events are acknowledged and ignored."""

from __future__ import annotations

import logging
import re

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from smartcart.slack.dispatch import usage_answer
from smartcart.slack.request_path import after_ack

logger = logging.getLogger(__name__)

ANY_EVENT = re.compile(r".*")


def register(app: App) -> None:
    app.event("app_mention")(answer_mention)
    app.event(ANY_EVENT)(ignore_event)


def answer_mention(event: dict, client: WebClient, context: BoltContext) -> None:
    """Bolt acknowledges the event; the reply is posted after."""
    after_ack(context, reply_with_usage, event, client)


def reply_with_usage(event: dict, client: WebClient) -> None:
    """Reply in the mention's thread with the list of `/segment` commands."""
    answer = usage_answer()
    try:
        client.chat_postMessage(
            channel=event["channel"],
            thread_ts=event.get("thread_ts") or event.get("ts"),
            text=answer.text,
            blocks=answer.blocks,
        )
    except SlackApiError as error:
        logger.warning("answering a mention failed: %s", error.response.get("error"))


def ignore_event() -> None:
    """Events the bot does not act on (Bolt acknowledges them)."""
