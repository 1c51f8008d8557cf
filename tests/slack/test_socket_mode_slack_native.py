"""Socket Mode handles the Home tab, the workflow step and the export form like HTTP does."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from slack_bolt.adapter.socket_mode import SocketModeHandler

from smartcart.slack.app import create_app
from smartcart.slack.bot_engine import BotContext, context_factory
from smartcart.slack.server import socket_mode_handler
from smartcart.slack.settings import Settings, load_settings
from smartcart.slack.subcommands.export_modal import EXPORT_FORM_CALLBACK_ID
from tests.slack.listeners.test_export_form import values
from tests.slack.listeners.test_home import home_opened
from tests.slack.test_socket_mode import APP_TOKEN
from tests.support.signing import function_executed_event
from tests.support.slack_standin import SOCKET_MODE, SlackStandIn

# Slack behaviour, not storage: SQLite is enough (the store is tested on both elsewhere).
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def socket_bot(
    engine_settings: Settings,
    bot_context: BotContext,
    slack_standin: SlackStandIn,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[SocketModeHandler]:
    monkeypatch.setenv("SLACK_APP_TOKEN", APP_TOKEN)
    settings = load_settings()
    handler = socket_mode_handler(settings, create_app(settings, context_factory(bot_context)))
    handler.connect()
    slack_standin.wait_for("apps.connections.open")
    try:
        yield handler
    finally:
        handler.client.auto_reconnect_enabled = False
        slack_standin.disconnect_websockets()
        handler.close()


def envelope(kind: str, payload: dict, number: int) -> dict:
    return {
        "envelope_id": f"00000000-0000-0000-0000-{number:012d}",
        "payload": payload,
        "type": kind,
        "accepts_response_payload": kind != "events_api",
    }


def event_payload(event: dict) -> dict:
    return {
        "token": "unused",
        "team_id": "T0STANDIN",
        "api_app_id": "A0SMARTCART",
        "event": event,
        "type": "event_callback",
        "event_id": "Ev0SOCKET",
        "event_time": 1700000000,
    }


def test_home_tab_workflow_step_and_form_over_socket_mode(
    socket_bot: SocketModeHandler, slack_standin: SlackStandIn
) -> None:
    slack_standin.send_envelope(envelope("events_api", event_payload(home_opened()), 1))
    assert slack_standin.published_view("U0MARKETER") is not None

    step = function_executed_event("segment_lookup", {"customer_id": "abc"})
    slack_standin.send_envelope(envelope("events_api", event_payload(step), 2))
    (failed,) = slack_standin.wait_for("functions.completeError")
    assert "Customer ids are whole numbers" in failed.body["error"]

    submission = {
        "type": "view_submission",
        "team": {"id": "T0STANDIN"},
        "user": {"id": "U0MARKETER", "username": "maria"},
        "api_app_id": "A0SMARTCART",
        "view": {
            "id": "V0MODAL",
            "type": "modal",
            "callback_id": EXPORT_FORM_CALLBACK_ID,
            "private_metadata": json.dumps({"channel": "C0MARKETING"}),
            "state": {"values": values(None)},
        },
    }
    slack_standin.send_envelope(envelope("interactive", submission, 3))
    acks = slack_standin.wait_for(
        SOCKET_MODE, where=lambda call: call.body["envelope_id"].endswith("3")
    )
    assert acks[0].body["payload"] == {
        "response_action": "errors",
        "errors": {"persona": "Choose one of the personas."},
    }
