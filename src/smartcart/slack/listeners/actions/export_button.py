"""Export buttons in answers (`export_at_risk:<persona>`, from `/segment at-risk`): answered as
if the user typed `/segment export <persona> churn-risk=high`, so the export's access check,
audit trail and file in the user's DM are exactly the command's."""

from __future__ import annotations

import re

from slack_bolt import Ack, App, BoltContext
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient

from smartcart.slack.listeners.action_request import request_from_action
from smartcart.slack.listeners.replies import answer_in_slack
from smartcart.slack.request_path import after_ack, services_of
from smartcart.slack.subcommands import EXPORT_AT_RISK_ACTION

EXPORT_AT_RISK = re.compile(rf"^{EXPORT_AT_RISK_ACTION}(:.*)?$")


def register(app: App) -> None:
    app.action(EXPORT_AT_RISK)(handle_export_at_risk)


def handle_export_at_risk(
    ack: Ack, body: dict, action: dict, respond: Respond, client: WebClient, context: BoltContext
) -> None:
    ack()
    persona = action.get("value", "")
    request = request_from_action(body, action, f"export {persona} churn-risk=high")
    # replace_original=False: the at-risk answer with its buttons stays.
    services = services_of(context)
    after_ack(context, answer_in_slack, services, request, respond, client, False)
