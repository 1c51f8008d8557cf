"""Playbook buttons (`open_playbook[:<persona>]`) answered like `/segment playbook`; other
actions (link buttons) only acknowledged. Registered last: its catch-all takes what is left."""

from __future__ import annotations

import re

from slack_bolt import Ack, App, BoltContext
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient

from smartcart.slack.blockkit import OPEN_PLAYBOOK_ACTION
from smartcart.slack.listeners.action_request import request_from_action
from smartcart.slack.listeners.replies import answer_in_slack
from smartcart.slack.request_path import after_ack, services_of

# `open_playbook` or `open_playbook:<persona>` (action_ids must differ within one block).
OPEN_PLAYBOOK = re.compile(rf"^{OPEN_PLAYBOOK_ACTION}(:.*)?$")
ANY_ACTION = re.compile(r".*")


def register(app: App) -> None:
    app.action(OPEN_PLAYBOOK)(handle_open_playbook)
    app.action(ANY_ACTION)(acknowledge_only)


def handle_open_playbook(
    ack: Ack, body: dict, action: dict, respond: Respond, client: WebClient, context: BoltContext
) -> None:
    """A playbook button: answered as if the user typed `/segment playbook <value>`."""
    ack()
    request = request_from_action(body, action, f"playbook {action.get('value', '')}")
    # replace_original=False: the message with the buttons (e.g. the summary) stays.
    services = services_of(context)
    after_ack(context, answer_in_slack, services, request, respond, client, False)


def acknowledge_only(ack: Ack) -> None:
    """Other actions (link buttons, ...) need only an acknowledgement."""
    ack()
