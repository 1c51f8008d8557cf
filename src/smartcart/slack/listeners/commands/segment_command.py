"""`/segment <subcommand> ...`: acknowledged at once, answered after the ack."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient

from smartcart.slack.blockkit import unescape_slack
from smartcart.slack.dispatch import SLASH_COMMAND, Request, on_its_way, parse
from smartcart.slack.listeners.export_form import (
    live_has_lifetime,
    live_personas,
    may_export,
    open_export_form,
)
from smartcart.slack.listeners.replies import answer_in_slack
from smartcart.slack.request_path import BotServices, after_ack, services_of


def register(app: App) -> None:
    app.command(SLASH_COMMAND)(handle_segment_command)


def handle_segment_command(
    ack: Ack, command: dict, respond: Respond, client: WebClient, context: BoltContext
) -> None:
    """Acknowledge at once (a slow answer's ack says it is on its way); then answer at the
    response_url, replacing that line, and upload any files."""
    request = request_from_command(command)
    waiting = on_its_way(request.text)
    if waiting:
        ack(text=waiting, response_type="ephemeral")
    else:
        ack()
    services = services_of(context)
    if parse(request.text) == ("export", []):
        trigger_id = command.get("trigger_id", "")
        after_ack(context, offer_export_form, services, request, trigger_id, respond, client)
        return
    replace_original = True if waiting else None
    after_ack(context, answer_in_slack, services, request, respond, client, replace_original)


def offer_export_form(
    services: BotServices, request: Request, trigger_id: str, respond: Respond, client: WebClient
) -> None:
    """`/segment export` alone: the export form; refused (and audited) like the command."""
    if not may_export(services, request) or open_export_form(
        client,
        trigger_id,
        request.channel_id,
        personas=live_personas(services),
        with_lifetime=live_has_lifetime(services),
    ):
        answer_in_slack(services, request, respond, client)


def request_from_command(command: dict) -> Request:
    """The slash command payload as a Request (Slack's escaping of &, <, > undone)."""
    return Request(
        text=unescape_slack(command.get("text") or ""),
        user_id=command.get("user_id", ""),
        channel_id=command.get("channel_id", ""),
        user_name=command.get("user_name", ""),
    )
