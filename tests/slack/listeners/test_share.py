"""Share in channel over real HTTP: every private answer has the button; a click posts it."""

from __future__ import annotations

import json

import pytest

from smartcart.slack.sharing import SHARE_ACTION
from tests.support.slack_client import SlackBot
from tests.support.slack_standin import RESPONSE_URL

# Slack behaviour, not storage: SQLite is enough (the store is tested on both elsewhere).
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


SHAREABLE = ["summary", "playbook premium", "personas", "model"]


def share_button(message: dict) -> dict | None:
    for block in message["blocks"]:
        for element in block.get("elements", []) if block["type"] == "actions" else []:
            if element["action_id"] == SHARE_ACTION:
                return element
    return None


@pytest.mark.parametrize("text", SHAREABLE)
def test_a_private_answer_shares_in_the_channel_saying_who(segment_bot: SlackBot, text) -> None:
    private = segment_bot.ask(text)
    assert private["response_type"] == "ephemeral"
    button = share_button(private)
    assert button is not None and button["value"] == text
    response_url = segment_bot.new_response_url()
    reply = segment_bot.click(SHARE_ACTION, button["value"], response_url, user_id="U0PLANNER")
    assert (reply.status, reply.text) == (200, "")
    shared = segment_bot.standin.wait_for_response(response_url)
    assert shared["response_type"] == "in_channel"
    assert shared["replace_original"] is False  # the private answer stays
    assert shared["blocks"][0]["elements"][0]["text"].endswith("Shared by <@U0PLANNER>")
    assert shared["text"].startswith("Shared by <@U0PLANNER>: ")
    assert share_button(shared) is None
    headers = [b["text"]["text"] for b in private["blocks"] if b["type"] == "header"]
    assert headers == [b["text"]["text"] for b in shared["blocks"] if b["type"] == "header"]


def test_typed_share_still_posts_in_the_channel_with_the_credit(segment_bot: SlackBot) -> None:
    message = segment_bot.ask("playbook premium share", user_id="U0PLANNER")
    assert message["response_type"] == "in_channel"
    assert "Shared by <@U0PLANNER>" in json.dumps(message)
    assert share_button(message) is None


def test_errors_and_lookups_carry_no_share_button(segment_bot: SlackBot) -> None:
    assert share_button(segment_bot.ask("playbook nobody")) is None
    assert share_button(segment_bot.ask("help")) is None
    customer = segment_bot.ask("customer 1")  # customer-level data is never offered for sharing
    assert share_button(customer) is None


@pytest.mark.parametrize("value", ["customer 5524", "export premium", "help", ""])
def test_a_forged_share_of_something_else_is_refused_privately(
    segment_bot: SlackBot, value: str
) -> None:
    response_url = segment_bot.new_response_url()
    segment_bot.click(SHARE_ACTION, value, response_url)
    message = segment_bot.standin.wait_for_response(response_url)
    assert message["response_type"] == "ephemeral"
    assert message["text"] == "That answer can't be shared in the channel."
    assert segment_bot.standin.calls("files.getUploadURLExternal") == []


def test_a_shared_summary_shows_its_chart_in_the_channel_message(segment_bot: SlackBot) -> None:
    response_url = segment_bot.new_response_url()
    segment_bot.click(SHARE_ACTION, "summary", response_url)
    shared = segment_bot.standin.wait_for_response(response_url)
    (image,) = [b for b in shared["blocks"] if b["type"] == "image"]
    assert image["slack_file"]["id"].startswith("F")
    assert segment_bot.standin.calls("conversations.open") == []


def test_when_slack_refuses_the_image_block_the_chart_comes_as_a_file(
    segment_bot: SlackBot,
) -> None:
    segment_bot.standin.fail_next(RESPONSE_URL, status=404, error="invalid_blocks")
    response_url = segment_bot.new_response_url()
    segment_bot.command("summary", response_url)
    refused, sent = segment_bot.standin.wait_for(RESPONSE_URL, 2)
    assert any(b["type"] == "image" for b in json.loads(refused.raw)["blocks"])
    plain = json.loads(sent.raw)
    assert not any(b["type"] == "image" for b in plain["blocks"])
    assert plain["text"].startswith("Customer segments")
    (opened,) = segment_bot.standin.wait_for("conversations.open")
    assert opened.body["users"] == "U0MARKETER"
    completes = segment_bot.standin.wait_for("files.completeUploadExternal", 2)
    assert completes[-1].body["channel_id"] == "D0MARKETER"
