"""Requests as Slack sends them: bodies of slash commands, block_actions and events, signed.

Slack signs `v0:{timestamp}:{raw body}` with HMAC-SHA256 under the app's signing secret and
sends `X-Slack-Signature: v0=<hex>` with `X-Slack-Request-Timestamp`.
"""

from __future__ import annotations

import json
import time
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.error import HTTPError
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

TEST_SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TEST_BOT_TOKEN = "xoxb-000000000000-test-bot-token"
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def signed_headers(secret: str, body: str, timestamp: int | None = None) -> dict[str, str]:
    """The two headers Slack adds to every request, for this body and time (now by default)."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature}


def slash_command_body(
    text: str,
    response_url: str,
    *,
    user_id: str = "U0MARKETER",
    user_name: str = "maria",
    channel_id: str = "C0MARKETING",
    channel_name: str = "marketing",
    command: str = "/segment",
) -> str:
    """A form-encoded slash command, as Slack posts it."""
    return urlencode(
        {
            "token": "verification-token-unused",
            "team_id": "T0STANDIN",
            "team_domain": "standin",
            "channel_id": channel_id,
            "channel_name": channel_name,
            "user_id": user_id,
            "user_name": user_name,
            "command": command,
            "text": text,
            "api_app_id": "A0SMARTCART",
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": "1234567890.1234567890.abcdef",
        }
    )


def block_actions_body(
    action_id: str,
    value: str,
    response_url: str,
    *,
    user_id: str = "U0MARKETER",
    channel_id: str = "C0MARKETING",
    block_id: str = "personas",
) -> str:
    """A form-encoded `payload=<json>` of a button click, as Slack posts it."""
    payload = {
        "type": "block_actions",
        "user": {"id": user_id, "username": "maria", "name": "maria", "team_id": "T0STANDIN"},
        "api_app_id": "A0SMARTCART",
        "token": "verification-token-unused",
        "container": {"type": "message", "channel_id": channel_id, "is_ephemeral": True},
        "trigger_id": "1234567890.1234567890.abcdef",
        "team": {"id": "T0STANDIN", "domain": "standin"},
        "channel": {"id": channel_id, "name": "marketing"},
        "response_url": response_url,
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": block_id,
                "value": value,
                "text": {"type": "plain_text", "text": value, "emoji": True},
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)})


def home_block_actions_body(action_id: str, value: str, *, user_id: str = "U0MARKETER") -> str:
    """A button click in the App Home tab: a view container, a trigger id, no response_url."""
    payload = {
        "type": "block_actions",
        "user": {"id": user_id, "username": "maria", "name": "maria", "team_id": "T0STANDIN"},
        "api_app_id": "A0SMARTCART",
        "token": "verification-token-unused",
        "container": {"type": "view", "view_id": "V0HOME"},
        "trigger_id": "1234567890.1234567890.home",
        "team": {"id": "T0STANDIN", "domain": "standin"},
        "view": {"id": "V0HOME", "type": "home", "callback_id": "smartcart_home"},
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "home",
                "value": value,
                "text": {"type": "plain_text", "text": value, "emoji": True},
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)})


def view_submission_body(
    callback_id: str,
    values: dict[str, dict[str, dict[str, Any]]],
    *,
    private_metadata: str = "",
    user_id: str = "U0MARKETER",
) -> str:
    """A modal's submission (`view_submission`) with its state values, as Slack posts it."""
    payload = {
        "type": "view_submission",
        "team": {"id": "T0STANDIN", "domain": "standin"},
        "user": {"id": user_id, "username": "maria", "name": "maria", "team_id": "T0STANDIN"},
        "api_app_id": "A0SMARTCART",
        "token": "verification-token-unused",
        "trigger_id": "1234567890.1234567890.submit",
        "view": {
            "id": "V0MODAL",
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": private_metadata,
            "state": {"values": values},
            "hash": "1700000000.abcdef",
        },
        "response_urls": [],
    }
    return urlencode({"payload": json.dumps(payload)})


def function_executed_event(
    callback_id: str, inputs: dict[str, Any], *, execution_id: str = "Fx0EXECUTION1"
) -> dict[str, Any]:
    """The `function_executed` event Slack sends when a workflow runs the app's custom step."""
    return {
        "type": "function_executed",
        "function": {
            "id": "Fn0SEGMENTLOOKUP",
            "callback_id": callback_id,
            "title": "Look up a customer's segment",
            "type": "app",
            "app_id": "A0SMARTCART",
            "date_created": 1700000000,
            "date_updated": 1700000000,
        },
        "inputs": inputs,
        "function_execution_id": execution_id,
        "workflow_execution_id": "Wx0WORKFLOWRUN1",
        "event_ts": f"{time.time():.6f}",
        "bot_access_token": "xwfp-0000-test-workflow-token",
    }


def event_body(event: dict[str, Any]) -> str:
    """An Events API `event_callback` envelope around `event`, as JSON."""
    return json.dumps(
        {
            "token": "verification-token-unused",
            "team_id": "T0STANDIN",
            "api_app_id": "A0SMARTCART",
            "event": event,
            "type": "event_callback",
            "event_id": "Ev0000000001",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": "T0STANDIN", "user_id": "U0SMARTBOT", "is_bot": True}],
        }
    )


@dataclass
class Reply:
    status: int
    text: str
    headers: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.text)


def post(url: str, body: str, headers: dict[str, str], content_type: str = FORM) -> Reply:
    """POST a body; HTTP errors come back as a Reply too."""
    request = urllib.request.Request(
        url, data=body.encode(), headers={"Content-Type": content_type, **headers}, method="POST"
    )
    return send(request)


def get(url: str) -> Reply:
    return send(urllib.request.Request(url, method="GET"))


def send(request: urllib.request.Request) -> Reply:
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return Reply(response.status, response.read().decode(), dict(response.headers))
    except HTTPError as error:
        return Reply(error.code, error.read().decode(), dict(error.headers))


def post_signed(
    url: str,
    body: str,
    secret: str = TEST_SIGNING_SECRET,
    content_type: str = FORM,
    timestamp: int | None = None,
) -> Reply:
    """POST a body signed as Slack signs it."""
    return post(url, body, signed_headers(secret, body, timestamp), content_type)
