"""Buttons of the App Home tab: a persona's playbook (in a modal) and its export form.

A Home tab click carries a trigger id but no response_url: answers open as modals. An export
click is checked again (the button may be older than a change of the allow-lists); a refusal is
shown and audited like the command's.
"""

from __future__ import annotations

import logging
import re

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from smartcart.slack.access import HOME_CHANNEL
from smartcart.slack.dispatch import Request
from smartcart.slack.home_tab import HOME_EXPORT_ACTION, HOME_PLAYBOOK_ACTION
from smartcart.slack.listeners.export_form import form_or_answer, open_export_form
from smartcart.slack.request_path import BotServices, after_ack, answer_request, services_of
from smartcart.slack.subcommands import answer_modal

logger = logging.getLogger(__name__)


def register(app: App) -> None:
    app.action(re.compile(rf"^{HOME_PLAYBOOK_ACTION}(:.*)?$"))(handle_home_playbook)
    app.action(re.compile(rf"^{HOME_EXPORT_ACTION}(:.*)?$"))(handle_home_export)


def handle_home_playbook(
    ack: Ack, body: dict, action: dict, client: WebClient, context: BoltContext
) -> None:
    ack()
    request = home_request(body, f"playbook {action.get('value', '')}")
    after_ack(context, show_playbook, services_of(context), request, body["trigger_id"], client)


def handle_home_export(
    ack: Ack, body: dict, action: dict, client: WebClient, context: BoltContext
) -> None:
    ack()
    request = home_request(body, f"export {action.get('value', '')}")
    persona = action.get("value", "")
    services = services_of(context)
    after_ack(context, offer_export, services, request, persona, body["trigger_id"], client)


def home_request(body: dict, text: str) -> Request:
    user = body.get("user") or {}
    return Request(
        text=text,
        user_id=user.get("id", ""),
        channel_id=HOME_CHANNEL,
        user_name=user.get("username") or user.get("name", ""),
    )


def show_playbook(
    services: BotServices, request: Request, trigger_id: str, client: WebClient
) -> None:
    answer = answer_request(services, request)
    open_modal(client, trigger_id, answer_modal("Playbook", answer))


def offer_export(
    services: BotServices, request: Request, persona: str, trigger_id: str, client: WebClient
) -> None:
    answer = form_or_answer(
        services,
        request,
        lambda personas, lifetime: open_export_form(
            client, trigger_id, HOME_CHANNEL, persona, personas, lifetime
        ),
    )
    if answer is not None:  # refused and audited like the command
        open_modal(client, trigger_id, answer_modal("Export", answer))


def open_modal(client: WebClient, trigger_id: str, view: dict) -> None:
    try:
        client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as error:
        logger.warning("opening a modal failed: %s", error.response.get("error"))
