"""The HTTP server end to end: Slack's request signing, url_verification, ssl_check, /healthz."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import pytest

from smartcart.slack.app import create_app
from smartcart.slack.settings import Settings, SettingsError
from tests.support.signing import JSON, post, post_signed, signed_headers, slash_command_body
from tests.support.slack_client import SlackBot
from tests.support.slack_standin import RESPONSE_URL, SlackStandIn

pytestmark = pytest.mark.usefixtures("isolated_registry")

StartBot = Callable[..., SlackBot]


@pytest.fixture
def bot(slack_bot: StartBot) -> SlackBot:
    return slack_bot(health=lambda: {"status": "ok", "model_version": "v7"})


def test_the_app_checks_its_token_with_auth_test_at_the_stand_in(bot: SlackBot) -> None:
    (call,) = bot.standin.calls("auth.test")
    assert call.token == bot.settings.SLACK_BOT_TOKEN.get_secret_value()


def test_healthz_answers_the_health_report(bot: SlackBot) -> None:
    reply = bot.get("/healthz")
    assert reply.status == 200
    assert reply.headers["content-type"] == "application/json"
    assert reply.json() == {"status": "ok", "model_version": "v7"}


def test_a_failing_health_check_is_503(slack_bot: StartBot) -> None:
    def broken() -> dict:
        raise RuntimeError("no model")

    reply = slack_bot(health=broken).get("/healthz")
    assert reply.status == 503
    assert reply.json() == {"status": "error", "error": "RuntimeError"}


@pytest.mark.parametrize("path", ["/", "/slack/events", "/healthz/x", "/admin"])
def test_other_paths_are_404(bot: SlackBot, path: str) -> None:
    assert bot.get(path).status == 404


def test_forged_signature_is_401_and_runs_nothing(bot: SlackBot) -> None:
    forged = slash_command_body("help", bot.standin.response_url("forged"))
    reply = post_signed(bot.events_url, forged, secret="not-the-signing-secret")
    assert reply.status == 401
    unsigned = post(bot.events_url, forged, headers={})
    assert unsigned.status == 401
    bot.ask("help")  # a genuine request afterwards is answered, and only it
    assert [call.path for call in bot.standin.calls(RESPONSE_URL)] == ["/response/r1"]


def test_tampered_body_is_401(bot: SlackBot) -> None:
    body = slash_command_body("help", bot.standin.response_url("tampered"))
    headers = signed_headers(bot.secret, body)
    assert post(bot.events_url, body.replace("help", "hell"), headers).status == 401


def test_timestamp_over_five_minutes_old_is_401(bot: SlackBot) -> None:
    body = slash_command_body("help", bot.standin.response_url("old"))
    six_minutes_ago = int(time.time()) - 6 * 60
    assert post_signed(bot.events_url, body, timestamp=six_minutes_ago).status == 401
    bot.ask("help")
    assert len(bot.standin.calls(RESPONSE_URL)) == 1


def test_url_verification_returns_the_challenge(bot: SlackBot) -> None:
    body = json.dumps(
        {
            "token": "t",
            "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
            "type": "url_verification",
        }
    )
    reply = post_signed(bot.events_url, body, content_type=JSON)
    assert reply.status == 200
    assert reply.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}


def test_ssl_check_is_200(bot: SlackBot) -> None:
    reply = post_signed(bot.events_url, "ssl_check=1&token=verification-token-unused")
    assert reply.status == 200
    assert bot.standin.calls(RESPONSE_URL) == []


def test_missing_signing_secret_fails_at_start_with_one_line(
    settings_env: Settings, slack_standin: SlackStandIn
) -> None:
    settings = settings_env.model_copy(update={"SLACK_SIGNING_SECRET": None})
    with pytest.raises(SettingsError, match="^SLACK_SIGNING_SECRET is not set"):
        create_app(settings, lambda: None)


def test_a_rejected_token_fails_at_start_with_one_line(
    settings_env: Settings, slack_standin: SlackStandIn
) -> None:
    slack_standin.expected_token = "xoxb-another-token"
    with pytest.raises(SettingsError) as raised:
        create_app(settings_env, lambda: None)
    assert str(raised.value) == "SLACK_BOT_TOKEN: Slack rejected the token (invalid_auth)"


def test_an_unreachable_slack_fails_at_start_with_one_line(settings_env: Settings) -> None:
    settings = settings_env.model_copy(update={"SLACK_API_URL": "http://127.0.0.1:9/api/"})
    with pytest.raises(
        SettingsError, match=r"^SLACK_API_URL: cannot reach http://127.0.0.1:9/api/"
    ):
        create_app(settings, lambda: None)
