"""Customer data only for those allowed: the default refusal, the allow-lists, the lookup limit,
the formats Slack never carries, and an audit row for every refusal."""

from __future__ import annotations

import logging

import pytest

from smartcart.engine.store.store import Store
from smartcart.slack.access import (
    ALLOWED,
    customer_policy,
    decide,
    warn_when_open,
)
from smartcart.slack.bot_engine import BotContext, context_factory, health_report
from smartcart.slack.dispatch import Request
from smartcart.slack.settings import Settings


def with_access(settings: Settings, **update: object) -> Settings:
    return settings.model_copy(update=update)


def asked(text: str, user: str = "U1", channel: str = "C1", origin: str = "slack") -> Request:
    return Request(text=text, user_id=user, channel_id=channel, origin=origin)


def test_customer_data_is_refused_until_an_admin_says_who_may_see_it(
    settings_env: Settings,
) -> None:
    closed = with_access(settings_env, SMARTCART_CUSTOMER_ACCESS="allow-list")
    decision = decide(closed, asked("customer 5524"))
    assert not decision.allowed
    assert "SMARTCART_ALLOWED_USERS" in decision.refusal
    assert "SMARTCART_CUSTOMER_ACCESS=everyone" in decision.refusal
    assert decision.detail == "access not set up"
    assert decide(closed, asked("customer 5524", origin="cli")) == ALLOWED
    assert decide(settings_env, asked("customer 5524")) == ALLOWED  # everyone


@pytest.mark.parametrize("access", ["allow-list", "everyone"])
def test_where_an_allow_list_is_set_it_decides(settings_env: Settings, access: str) -> None:
    users = with_access(
        settings_env, SMARTCART_CUSTOMER_ACCESS=access, SMARTCART_ALLOWED_USERS=["U0ANALYST"]
    )
    assert customer_policy(users, "U0ANALYST", "C1").allowed
    refused = customer_policy(users, "U0INTERN", "C1")
    assert not refused.allowed and "SMARTCART_ALLOWED_USERS" in refused.refusal
    channels = with_access(
        settings_env, SMARTCART_CUSTOMER_ACCESS=access, SMARTCART_ALLOWED_CHANNELS=["C0OK"]
    )
    assert customer_policy(channels, "anyone", "C0OK").allowed
    assert not customer_policy(channels, "anyone", "C0OTHER").allowed


@pytest.mark.parametrize(
    ("text", "allowed"),
    [
        ("export premium", True),
        ("export premium format=csv", True),
        ("export premium format=meta", True),
        ("export premium --format google", True),
        ("export premium format=klaviyo", False),
        ("export premium --format=KLAVIYO", False),
        ("export premium format=tiktok", True),  # unknown: the handler says which exist
    ],
)
def test_slack_never_gets_a_file_of_plain_contacts(
    settings_env: Settings, text: str, allowed: bool
) -> None:
    decision = decide(settings_env, asked(text))
    assert decision.allowed is allowed
    if not allowed:
        assert "never posted in Slack" in decision.refusal
        assert decide(settings_env, asked(text, origin="cli")) == ALLOWED


def test_serve_warns_once_when_access_is_open_to_everyone(
    settings_env: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="smartcart.slack.access"):
        assert warn_when_open(settings_env)
        assert not warn_when_open(with_access(settings_env, SMARTCART_ALLOWED_USERS=["U1"]))
        assert not warn_when_open(with_access(settings_env, SMARTCART_CUSTOMER_ACCESS="allow-list"))
    assert len(caplog.records) == 1
    assert "open to everyone" in caplog.records[0].getMessage()


def test_the_lookup_limit_is_counted_in_the_store_every_process_shares(
    bot_context: BotContext, database_url: str
) -> None:
    settings = with_access(bot_context.settings, SMARTCART_LOOKUP_LIMIT=2)
    other_process = Store(database_url)  # another worker: its own engine, the same database
    try:
        for _ in range(2):
            assert decide(settings, asked("customer 5524"), other_process).allowed
            bot_context.service.store.audit("U1", "C1", "customer", "5524", True, rows=1)
        over = decide(settings, asked("customer 5524"), other_process)
        assert not over.allowed and "wait a minute" in over.refusal
        assert over.detail == "lookup limit"
        assert decide(settings, asked("customer 5524", user="U2"), other_process).allowed
        assert decide(settings, asked("summary"), other_process).allowed
    finally:
        other_process.engine.dispose()


def test_refusals_over_http_are_answered_and_audited(
    slack_bot, bot_context: BotContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed = with_access(bot_context.settings, SMARTCART_CUSTOMER_ACCESS="allow-list")
    context = BotContext(bot_context.service, closed)
    bot = slack_bot(context_factory(context), health_report(context), settings=closed)
    refused = bot.ask("customer 5524")
    assert "SMARTCART_ALLOWED_USERS" in refused["text"]
    assert bot.ask("summary")["text"]  # aggregates stay open
    assert "lookups are off" not in bot.ask("personas")["text"]
    (entry,) = bot_context.service.store.audit_entries("customer")
    assert (entry["allowed"], entry["detail"], entry["rows"]) == (
        False,
        "access not set up",
        None,
    )


def test_past_the_limit_the_answer_says_to_wait_and_the_audit_records_it(
    slack_bot, bot_context: BotContext
) -> None:
    limited = with_access(bot_context.settings, SMARTCART_LOOKUP_LIMIT=2)
    context = BotContext(bot_context.service, limited)
    bot = slack_bot(context_factory(context), health_report(context), settings=limited)
    answers = [bot.ask("customer 5524", user_id="U0BUSY")["text"] for _ in range(3)]
    assert all("wait a minute" not in text for text in answers[:2])
    assert "wait a minute" in answers[2]
    entries = bot_context.service.store.audit_entries("customer")
    assert [(e["allowed"], e["detail"]) for e in entries][-1] == (False, "lookup limit")
    assert "wait a minute" not in bot.ask("customer 5524", user_id="U0OTHER")["text"]
