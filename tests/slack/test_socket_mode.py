"""Socket Mode end to end: the app connects with its app token and answers an envelope."""

from __future__ import annotations

import pytest

from smartcart.slack.app import create_app
from smartcart.slack.server import socket_mode_handler
from smartcart.slack.settings import Settings, SettingsError, load_settings
from tests.support.slack_standin import SOCKET_MODE, SlackStandIn

pytestmark = pytest.mark.usefixtures("isolated_registry")

APP_TOKEN = "xapp-1-A0SMARTCART-0000-test-app-token"


@pytest.fixture
def socket_settings(settings_env: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("SLACK_APP_TOKEN", APP_TOKEN)
    monkeypatch.delenv("SLACK_SIGNING_SECRET")  # not needed in Socket Mode
    return load_settings()


def slash_command_envelope(text: str, response_url: str) -> dict:
    payload = {
        "token": "verification-token-unused",
        "team_id": "T0STANDIN",
        "channel_id": "C0MARKETING",
        "user_id": "U0MARKETER",
        "user_name": "maria",
        "command": "/segment",
        "text": text,
        "api_app_id": "A0SMARTCART",
        "response_url": response_url,
        "trigger_id": "1234567890.1234567890.abcdef",
    }
    return {
        "envelope_id": "57d6a792-4d35-4d0b-b6aa-3361493e1caf",
        "payload": payload,
        "type": "slash_commands",
        "accepts_response_payload": True,
    }


def test_a_slash_command_over_socket_mode_is_acked_and_answered(
    socket_settings: Settings, slack_standin: SlackStandIn
) -> None:
    handler = socket_mode_handler(socket_settings, create_app(socket_settings, lambda: None))
    handler.connect()
    try:
        (opened,) = slack_standin.wait_for("apps.connections.open")
        assert opened.token == APP_TOKEN
        response_url = slack_standin.response_url("socket")
        slack_standin.send_envelope(slash_command_envelope("<!channel> help", response_url))
        (ack,) = slack_standin.wait_for(SOCKET_MODE)
        assert ack.body["envelope_id"] == "57d6a792-4d35-4d0b-b6aa-3361493e1caf"
        message = slack_standin.wait_for_response(response_url)
        assert "`/segment &lt;!channel&gt; help`" in message["text"]
    finally:
        handler.client.auto_reconnect_enabled = False
        slack_standin.disconnect_websockets()  # else close() waits for a 3 s receive timeout
        handler.close()


def test_socket_mode_needs_the_app_token(settings_env: Settings) -> None:
    app = create_app(settings_env, lambda: None)
    with pytest.raises(SettingsError, match="^SLACK_APP_TOKEN is not set"):
        socket_mode_handler(settings_env, app)
