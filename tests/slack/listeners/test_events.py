"""Events over real HTTP: a mention gets the usage in a thread; other events are ignored."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.support.slack_client import SlackBot
from tests.support.slack_standin import BOT_USER_ID

pytestmark = pytest.mark.usefixtures("isolated_registry")


@pytest.fixture
def bot(slack_bot: Callable[..., SlackBot]) -> SlackBot:
    return slack_bot()


def mention(text: str, **extra: str) -> dict:
    event = {
        "type": "app_mention",
        "user": "U0MARKETER",
        "text": f"<@{BOT_USER_ID}> {text}",
        "ts": "1700000001.000100",
        "channel": "C0MARKETING",
        "event_ts": "1700000001.000100",
    }
    return {**event, **extra}


def test_a_mention_gets_the_usage_in_its_thread(bot: SlackBot) -> None:
    assert bot.event(mention("what can you do?")).status == 200
    (call,) = bot.standin.wait_for("chat.postMessage")
    assert call.body["channel"] == "C0MARKETING"
    assert call.body["thread_ts"] == "1700000001.000100"
    assert "/segment help" in call.body["text"]
    assert call.token == bot.settings.SLACK_BOT_TOKEN.get_secret_value()


def test_a_mention_inside_a_thread_answers_in_that_thread(bot: SlackBot) -> None:
    bot.event(mention("hi", thread_ts="1700000000.000001"))
    (call,) = bot.standin.wait_for("chat.postMessage")
    assert call.body["thread_ts"] == "1700000000.000001"


def test_a_rate_limited_post_is_retried(bot: SlackBot) -> None:
    bot.standin.fail_next("chat.postMessage", status=429, retry_after=0)
    bot.event(mention("hi"))
    assert len(bot.standin.wait_for("chat.postMessage", 2)) == 2


def test_other_events_are_acknowledged_and_ignored(bot: SlackBot) -> None:
    reaction = {"type": "reaction_added", "user": "U0MARKETER", "reaction": "tada"}
    assert bot.event(reaction).status == 200
    bot.event(mention("hi"))
    bot.standin.wait_for("chat.postMessage")
    kinds = {call.kind for call in bot.standin.calls()}
    assert kinds == {"auth.test", "chat.postMessage"}
