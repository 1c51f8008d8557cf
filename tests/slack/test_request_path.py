"""One pass per request: a `/segment` text through the real signed HTTP path is parsed once,
its access decided once, the LIVE model pointer read once and its audit row written once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

import smartcart.engine.service as service_module
import smartcart.slack.bot_engine as bot_engine
import smartcart.slack.dispatch as dispatch_module
from smartcart.engine.store.store import Store
from tests.support.slack_client import SlackBot


def counted(calls: Counter, name: str, real: Callable[..., Any]) -> Callable[..., Any]:
    def spy(*args: Any, **kwargs: Any) -> Any:
        calls[name] += 1
        return real(*args, **kwargs)

    return spy


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Counter:
    seen: Counter = Counter()
    for module, name in [
        (dispatch_module, "parse_command"),
        (bot_engine, "decide"),
        (service_module, "live_version"),
    ]:
        monkeypatch.setattr(module, name, counted(seen, name, getattr(module, name)))
    monkeypatch.setattr(Store, "audit", counted(seen, "audit", Store.audit))
    return seen


@pytest.mark.parametrize("text", ["customer 5524", "export premium format=meta"])
def test_a_customer_request_takes_one_pass(segment_bot: SlackBot, calls: Counter, text: str):
    segment_bot.ask(text)
    assert calls == {"parse_command": 1, "decide": 1, "live_version": 1, "audit": 1}


def test_an_aggregate_takes_one_pass_and_no_audit(segment_bot: SlackBot, calls: Counter):
    segment_bot.ask("personas")
    assert calls == {"parse_command": 1, "live_version": 1}
