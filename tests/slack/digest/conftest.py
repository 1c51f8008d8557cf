"""Fixtures of the digest delivery tests: settings with a digest channel, a clock, runners."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from smartcart.slack.bot_engine import build_context
from smartcart.slack.digest.runner import DigestRunner
from smartcart.slack.settings import Settings, load_settings
from tests.support.digest_runs import CHANNEL, MONDAY, Clock


@pytest.fixture
def digest_settings(engine_settings: Settings, monkeypatch) -> Settings:
    monkeypatch.setenv("SMARTCART_DIGEST_CHANNEL", CHANNEL)
    monkeypatch.setenv("SMARTCART_TIMEZONE", "Europe/Berlin")
    return load_settings()


@pytest.fixture
def clock() -> Clock:
    return Clock(MONDAY)


@pytest.fixture
def make_runner(digest_settings: Settings, clock: Clock) -> Iterator:
    """`make_runner(client=None)`: a runner with its own store connection, like another process."""
    contexts = []

    def make(client: WebClient | None = None, settings: Settings | None = None) -> DigestRunner:
        context = build_context(settings or digest_settings)
        contexts.append(context)
        service = context.service
        return DigestRunner(
            settings or digest_settings, service, client, clock=clock, reconcile_delay=0
        )

    yield make
    for context in contexts:
        context.service.store.engine.dispose()
