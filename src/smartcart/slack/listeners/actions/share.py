"""The "Share in channel" button: the command in its value is answered again and posted in the
channel (same access rules and audit as typing it), with who shared it."""

from __future__ import annotations

from dataclasses import replace

from slack_bolt import Ack, App, BoltContext
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient

from smartcart.slack.blockkit import escape, section
from smartcart.slack.dispatch import Answer, Request
from smartcart.slack.listeners.action_request import request_from_action
from smartcart.slack.listeners.replies import send_in_slack
from smartcart.slack.request_path import BotServices, after_ack, answer_request, services_of
from smartcart.slack.sharing import SHARE_ACTION, can_be_shared, for_slack

NOT_SHAREABLE = "That answer can't be shared in the channel."


def register(app: App) -> None:
    app.action(SHARE_ACTION)(handle_share)


def handle_share(
    ack: Ack, body: dict, action: dict, respond: Respond, client: WebClient, context: BoltContext
) -> None:
    ack()
    request = request_from_action(body, action, action.get("value") or "")
    after_ack(context, share_in_channel, services_of(context), request, respond, client)


def share_in_channel(
    services: BotServices, request: Request, respond: Respond, client: WebClient
) -> None:
    """Post the command's answer in the channel; a failure stays private to the clicker."""
    if not can_be_shared(request.command):
        answer = private_notice(NOT_SHAREABLE)
    else:
        answer = answer_request(services, request)
        if answer.shareable:
            answer = replace(answer, response_type="in_channel")
    send_in_slack(for_slack(answer, request), request, respond, client, replace_original=False)


def private_notice(message: str) -> Answer:
    text = escape(message)
    return Answer(text=text, blocks=[section(text)])
