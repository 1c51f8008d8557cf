"""`/segment <subcommand> ...`: acknowledged at once, answered after the ack."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient

from smartcart.slack.blockkit import unescape_slack
from smartcart.slack.dispatch import SLASH_COMMAND, Request, on_its_way
from smartcart.slack.listeners.export_form import form_or_answer, open_export_form
from smartcart.slack.listeners.replies import answer_in_slack, send_in_slack
from smartcart.slack.request_path import BotServices, after_ack, services_of
from smartcart.slack.sharing import for_slack


def register(app: App) -> None:
    app.command(SLASH_COMMAND)(handle_segment_command)


def handle_segment_command(
    ack: Ack, command: dict, respond: Respond, client: WebClient, context: BoltContext
) -> None:
    """Acknowledge at once (a slow answer's ack says it is on its way); then answer at the
    response_url, replacing that line, and upload any files."""
    request = request_from_command(command)
    waiting = on_its_way(request.command)
    if waiting:
        ack(text=waiting, response_type="ephemeral")
    else:
        ack()
    services = services_of(context)
    if request.command.name == "export" and not request.command.args:
        trigger_id = command.get("trigger_id", "")
        after_ack(context, offer_export_form, services, request, trigger_id, respond, client)
        return
    replace_original = True if waiting else None
    after_ack(context, answer_in_slack, services, request, respond, client, replace_original)


def offer_export_form(
    services: BotServices, request: Request, trigger_id: str, respond: Respond, client: WebClient
) -> None:
    """`/segment export` alone: the export form; refused (and audited) like the command."""
    answer = form_or_answer(
        services,
        request,
        lambda personas, lifetime: open_export_form(
            client, trigger_id, request.channel_id, personas=personas, with_lifetime=lifetime
        ),
    )
    if answer is not None:
        send_in_slack(for_slack(answer, request), request, respond, client)


def request_from_command(command: dict) -> Request:
    """The slash command payload as a Request (Slack's escaping of &, <, > undone)."""
    return Request(
        text=unescape_slack(command.get("text") or ""),
        user_id=command.get("user_id", ""),
        channel_id=command.get("channel_id", ""),
        user_name=command.get("user_name", ""),
    )
