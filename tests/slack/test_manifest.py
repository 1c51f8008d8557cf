"""manifest.json against Slack's app manifest rules (as written down here) and the bot's code.

Slack validates a manifest when it is pasted at api.slack.com/apps; this test catches what it
would reject before that: unknown keys, the custom step's parameter shapes and types, event
names and the scopes each event and each Web API method the bot calls needs.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from smartcart.slack.dispatch import SLASH_COMMAND
from smartcart.slack.listeners.functions.segment_lookup import CALLBACK_ID, OUTPUT_TYPES

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = json.loads((ROOT / "manifest.json").read_text())

TOP_LEVEL = {
    "_metadata",
    "display_information",
    "features",
    "oauth_config",
    "settings",
    "functions",
    "workflows",
    "datastores",
    "outgoing_domains",
    "types",
    "external_auth_providers",
}
DISPLAY = {"name", "description", "long_description", "background_color"}
FEATURES = {
    "app_home",
    "assistant_view",
    "bot_user",
    "shortcuts",
    "slash_commands",
    "unfurl_domains",
    "workflow_steps",
    "rich_previews",
}
APP_HOME = {"home_tab_enabled", "messages_tab_enabled", "messages_tab_read_only_enabled"}
SETTINGS = {
    "allowed_ip_address_ranges",
    "event_subscriptions",
    "incoming_webhooks",
    "interactivity",
    "org_deploy_enabled",
    "socket_mode_enabled",
    "token_rotation_enabled",
    "is_hosted",
    "function_runtime",
    "siws_links",
}
FUNCTION_KEYS = {"title", "description", "input_parameters", "output_parameters"}
PARAMETER_KEYS = {"type", "title", "description", "is_required", "hint", "name", "default"}
PARAMETER_TYPES = {
    "string",
    "number",
    "integer",
    "boolean",
    "array",
    "object",
    "slack#/types/user_id",
    "slack#/types/channel_id",
    "slack#/types/usergroup_id",
    "slack#/types/timestamp",
    "slack#/types/date",
    "slack#/types/rich_text",
    "slack#/types/interactivity",
    "slack#/types/user_context",
    "slack#/types/message_ts",
    "slack#/types/message_context",
}
# Bot events the bot subscribes to, and the scope each needs (None: no scope).
EVENT_SCOPES: dict[str, str | None] = {
    "app_mention": "app_mentions:read",
    "app_home_opened": None,
    "function_executed": None,
    "message.im": "im:history",
    "message.channels": "channels:history",
}
# Web API methods the bot calls (as slack_sdk method names), and the scopes they need.
METHOD_SCOPES: dict[str, set[str]] = {
    "chat_postMessage": {"chat:write"},
    "chat_postEphemeral": {"chat:write"},
    "conversations_open": {"im:write"},
    "conversations_history": {"channels:history", "groups:history"},
    "files_upload_v2": {"files:write"},
    "files_info": {"files:read"},
    "views_open": set(),
    "views_publish": set(),
    "auth_test": set(),
}
PYTHON_TYPES = {"string": str, "number": (int, float), "integer": int, "boolean": bool}


def test_only_keys_slack_knows() -> None:
    assert set(MANIFEST) <= TOP_LEVEL
    assert set(MANIFEST["display_information"]) <= DISPLAY
    assert set(MANIFEST["features"]) <= FEATURES
    assert set(MANIFEST["features"]["app_home"]) <= APP_HOME
    assert set(MANIFEST["settings"]) <= SETTINGS
    assert set(MANIFEST["settings"]["event_subscriptions"]) <= {
        "request_url",
        "bot_events",
        "user_events",
        "metadata_subscriptions",
    }


def test_display_information_within_slacks_lengths() -> None:
    display = MANIFEST["display_information"]
    assert 1 <= len(display["name"]) <= 35
    assert len(display.get("description", "")) <= 140
    assert 175 <= len(display["long_description"]) <= 4000
    assert re.fullmatch(r"#[0-9a-fA-F]{6}", display["background_color"])
    assert 1 <= len(MANIFEST["features"]["bot_user"]["display_name"]) <= 80


def test_the_slash_command() -> None:
    (command,) = MANIFEST["features"]["slash_commands"]
    assert command["command"] == SLASH_COMMAND and len(command["command"]) <= 32
    assert len(command["description"]) <= 2000 and len(command["usage_hint"]) <= 1000
    assert "commands" in MANIFEST["oauth_config"]["scopes"]["bot"]
    for word in ("export", "digest subscribe"):
        assert word in command["usage_hint"]


def test_home_and_messages_tabs() -> None:
    home = MANIFEST["features"]["app_home"]
    assert home["home_tab_enabled"] is True
    assert home["messages_tab_enabled"] is True  # private answers' files arrive in the DM
    assert isinstance(home["messages_tab_read_only_enabled"], bool)
    assert "app_home_opened" in MANIFEST["settings"]["event_subscriptions"]["bot_events"]


def test_every_event_is_known_and_has_its_scope() -> None:
    scopes = set(MANIFEST["oauth_config"]["scopes"]["bot"])
    events = MANIFEST["settings"]["event_subscriptions"]["bot_events"]
    assert len(events) == len(set(events))
    for event in events:
        assert event in EVENT_SCOPES, f"unknown bot event {event}"
        needed = EVENT_SCOPES[event]
        assert needed is None or needed in scopes, f"{event} needs {needed}"


def test_every_web_api_method_the_bot_calls_has_its_scopes() -> None:
    scopes = set(MANIFEST["oauth_config"]["scopes"]["bot"])
    source = "\n".join(p.read_text() for p in (ROOT / "src" / "smartcart" / "slack").rglob("*.py"))
    called = set(re.findall(r"\.((?:chat|conversations|files|views|auth|users)_\w+)\(", source))
    assert called, "no Web API call found: the pattern is out of date"
    for method in sorted(called):
        assert method in METHOD_SCOPES, f"add {method}'s scopes to METHOD_SCOPES"
        assert METHOD_SCOPES[method] <= scopes, f"{method} needs {METHOD_SCOPES[method]}"


def test_interactivity_is_on_for_buttons_forms_and_the_home_tab() -> None:
    assert MANIFEST["settings"]["interactivity"]["is_enabled"] is True


def test_custom_steps_are_org_ready_and_remote() -> None:
    settings = MANIFEST["settings"]
    assert settings["org_deploy_enabled"] is True  # custom steps need an org-ready app
    assert settings["function_runtime"] == "remote"  # run by this bot, not on Slack's hosting
    assert "function_executed" in settings["event_subscriptions"]["bot_events"]


@pytest.mark.parametrize("callback_id", sorted(MANIFEST.get("functions", {})))
def test_each_function_is_well_formed(callback_id: str) -> None:
    function = MANIFEST["functions"][callback_id]
    assert re.fullmatch(r"[a-z0-9_]{1,100}", callback_id)
    assert set(function) <= FUNCTION_KEYS
    assert 1 <= len(function["title"]) <= 255 and len(function.get("description", "")) <= 4000
    for group in ("input_parameters", "output_parameters"):
        for name, parameter in function[group].items():
            assert set(parameter) <= PARAMETER_KEYS, f"{callback_id}.{group}.{name}"
            assert parameter["name"] == name
            assert parameter["type"] in PARAMETER_TYPES
            assert parameter["title"] and isinstance(parameter.get("is_required", False), bool)


def test_segment_lookup_matches_what_the_bot_handles() -> None:
    function = MANIFEST["functions"][CALLBACK_ID]
    customer_id = function["input_parameters"]["customer_id"]
    assert (customer_id["type"], customer_id["is_required"]) == ("string", True)
    outputs = function["output_parameters"]
    assert {name: p["type"] for name, p in outputs.items()} == OUTPUT_TYPES
    assert all(p["is_required"] for p in outputs.values())


def check_outputs(outputs: dict) -> None:
    """Outputs of a completed step have exactly the manifest's names and types."""
    declared = MANIFEST["functions"][CALLBACK_ID]["output_parameters"]
    assert set(outputs) == set(declared)
    for name, value in outputs.items():
        assert isinstance(value, PYTHON_TYPES[declared[name]["type"]]), name


def test_the_urls_point_at_the_bots_one_endpoint() -> None:
    urls = [
        MANIFEST["features"]["slash_commands"][0]["url"],
        MANIFEST["settings"]["event_subscriptions"]["request_url"],
        MANIFEST["settings"]["interactivity"]["request_url"],
    ]
    assert urls == ["https://YOUR-HOST/slack/events"] * 3
