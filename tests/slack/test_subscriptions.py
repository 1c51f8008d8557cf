"""Digest subscriptions from Slack: admins only, stored, audited, one digest per channel and period."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import timedelta

import pytest

from smartcart.slack.bot_engine import BotContext, context_factory
from smartcart.slack.digest.scheduler import run_subscribed_digests
from smartcart.slack.digest.subscriptions import stored_subscriptions
from smartcart.slack.settings import Settings, load_settings
from tests.support.digest_runs import BERLIN, MONDAY, Clock
from tests.support.slack_client import SlackBot

ADMIN = "U0ADMIN"


@pytest.fixture
def admin_settings(engine_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("SMARTCART_ADMIN_USERS", f"{ADMIN}, U0OTHERADMIN")
    monkeypatch.setenv("SMARTCART_TIMEZONE", "Europe/Berlin")
    monkeypatch.setenv("SMARTCART_DIGEST_CHANNEL", "C0DIGEST")
    return load_settings()


@pytest.fixture
def admin_bot(
    slack_bot: Callable[..., SlackBot], bot_context: BotContext, admin_settings: Settings
) -> SlackBot:
    bot_context.settings = admin_settings
    return slack_bot(context_factory(bot_context), settings=admin_settings)


def test_admin_users_is_a_comma_separated_setting(admin_settings: Settings) -> None:
    assert admin_settings.SMARTCART_ADMIN_USERS == [ADMIN, "U0OTHERADMIN"]


def test_only_admins_change_subscriptions_and_every_attempt_is_audited(
    admin_bot: SlackBot, bot_context: BotContext
) -> None:
    refused = admin_bot.ask("digest subscribe", user_id="U0INTERN", channel_id="C0CAMPAIGNS")
    assert refused["response_type"] == "ephemeral"
    assert "Only the bot's admins can change where the digest is posted" in refused["text"]
    assert stored_subscriptions(bot_context.service.store) == []

    done = admin_bot.ask("digest subscribe mon 08:30", user_id=ADMIN, channel_id="C0CAMPAIGNS")
    assert done["response_type"] == "in_channel"
    assert done["text"].startswith(f"<@{ADMIN}> subscribed this channel to the weekly")
    assert "Mondays 08:30, Europe/Berlin" in done["text"]
    (stored,) = stored_subscriptions(bot_context.service.store)
    assert (stored.channel, stored.cron, stored.timezone, stored.created_by) == (
        "C0CAMPAIGNS",
        "30 8 * * mon",
        "Europe/Berlin",
        ADMIN,
    )

    changed = admin_bot.ask("digest subscribe fri 7:05", user_id=ADMIN, channel_id="C0CAMPAIGNS")
    assert "changed this channel's schedule" in changed["text"]
    assert stored_subscriptions(bot_context.service.store)[0].cron == "5 7 * * fri"

    gone = admin_bot.ask("digest unsubscribe", user_id=ADMIN, channel_id="C0CAMPAIGNS")
    assert "unsubscribed this channel" in gone["text"]
    assert stored_subscriptions(bot_context.service.store) == []

    entries = bot_context.service.store.audit_entries("digest")
    assert [(e["user_id"], e["target"], e["allowed"], e["detail"]) for e in entries] == [
        ("U0INTERN", "subscribe", False, "not admin"),
        (ADMIN, "subscribe mon 08:30", True, "30 8 * * mon Europe/Berlin"),
        (ADMIN, "subscribe fri 7:05", True, "5 7 * * fri Europe/Berlin"),
        (ADMIN, "unsubscribe", True, "unsubscribed"),
    ]


def test_without_admin_users_nobody_may_subscribe(
    segment_bot: SlackBot, bot_context: BotContext
) -> None:
    assert segment_bot.settings.SMARTCART_ADMIN_USERS == []
    answer = segment_bot.ask("digest subscribe", user_id=ADMIN)
    assert "Only the bot's admins" in answer["text"]
    assert stored_subscriptions(bot_context.service.store) == []


@pytest.mark.parametrize(
    ("text", "channel", "expected"),
    [
        ("digest subscribe", "D0ADMIN", "Subscribe in the channel that should get the digest"),
        ("digest subscribe", "C0DIGEST", "SMARTCART_DIGEST_CHANNEL"),
        ("digest subscribe someday 25:00", "C0CAMPAIGNS", "is neither a day"),
        ("digest sometimes", "C0CAMPAIGNS", "`digest` takes"),
        ("digest unsubscribe", "C0CAMPAIGNS", "isn't subscribed"),
    ],
)
def test_wrong_subscription_requests_get_one_clear_message(
    admin_bot: SlackBot, bot_context: BotContext, text: str, channel: str, expected: str
) -> None:
    answer = admin_bot.ask(text, user_id=ADMIN, channel_id=channel)
    assert expected in answer["text"]
    assert stored_subscriptions(bot_context.service.store) == []


def test_status_lists_every_subscribed_channel_for_anyone(admin_bot: SlackBot) -> None:
    admin_bot.ask("digest subscribe tue 10:00", user_id=ADMIN, channel_id="C0CAMPAIGNS")
    status = admin_bot.ask("digest status", user_id="U0INTERN", channel_id="C0CAMPAIGNS")
    text = json.dumps(status, ensure_ascii=False)
    assert "<#C0DIGEST> (from the bot's settings): next " in text
    assert "<#C0CAMPAIGNS>: next Tue " in text and "← this channel" in text
    assert "not posted yet" in text


def test_the_home_tab_shows_each_subscribed_channels_next_digest(admin_bot: SlackBot) -> None:
    admin_bot.ask("digest subscribe wed 16:45", user_id=ADMIN, channel_id="C0CAMPAIGNS")
    admin_bot.event({"type": "app_home_opened", "user": "U0MARKETER", "tab": "home"})
    view = admin_bot.standin.published_view("U0MARKETER")
    text = json.dumps(view, ensure_ascii=False)
    assert "<#C0DIGEST>: next Mon " in text and "<#C0CAMPAIGNS>: next Wed " in text
    assert "16:45 CE" in text and "(Europe/Berlin)" in text


def test_each_subscribed_channel_gets_exactly_one_digest_per_period(
    admin_bot: SlackBot, bot_context: BotContext, admin_settings: Settings
) -> None:
    for channel, schedule in (("C0CAMPAIGNS", "mon 08:30"), ("C0LEADS", "")):
        admin_bot.ask(f"digest subscribe {schedule}".strip(), user_id=ADMIN, channel_id=channel)
    clock = Clock(MONDAY)  # Monday 09:00:30 in Berlin: both schedules have fired
    service = bot_context.service

    def tick() -> None:
        run_subscribed_digests(admin_settings, service, clock=clock)

    threads = [threading.Thread(target=tick) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    tick()
    posts = admin_bot.standin.calls("chat.postMessage")
    assert sorted(call.body["channel"] for call in posts) == ["C0CAMPAIGNS", "C0LEADS"]
    assert {c.body["metadata"]["event_payload"]["period"] for c in posts} == {"2024-W14"}

    status = json.dumps(admin_bot.ask("digest status", channel_id="C0LEADS"), ensure_ascii=False)
    assert "· last posted Mon 01 Apr 09:00 CEST (Europe/Berlin) ← this channel" in status

    clock.advance(timedelta(days=7))  # next week's period
    tick()
    tick()
    later = admin_bot.standin.calls("chat.postMessage")[len(posts) :]
    assert sorted(call.body["channel"] for call in later) == ["C0CAMPAIGNS", "C0LEADS"]
    assert MONDAY.tzinfo == BERLIN
