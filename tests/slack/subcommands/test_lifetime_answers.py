"""Lifetime value and churn risk in Slack, end to end: generic order lines of 600 customers (a
history rich enough for the lifetime model) train and score, and `/segment customer <key>`
answers through the real server with signed requests with the customer's predicted value,
churn risk and expected next order, on SQLite and PostgreSQL; an order model without a
lifetime model (a thin history) answers without them."""

from __future__ import annotations

import pytest

from smartcart.engine.reports import money
from tests.slack.subcommands.test_views import all_text
from tests.support.lifetime_bot import start_bot


@pytest.fixture
def lifetime_bot(tmp_path, settings_env, database_url, monkeypatch, slack_bot):
    started = start_bot(600, tmp_path, database_url, monkeypatch, slack_bot)
    yield started
    started.service.store.engine.dispose()


def test_the_customer_answer_shows_predicted_value_churn_risk_and_next_order(lifetime_bot):
    stored = lifetime_bot.service.store.all_customers()
    assert lifetime_bot.service.model.lifetime is not None
    for risk in ("low", "high"):
        row = stored[stored["churn_risk"] == risk].iloc[0]
        text = all_text(lifetime_bot.bot.ask(f"customer {row['customer_key']}"))
        assert "Predicted value, next 12 months" in text
        assert money(row["predicted_clv_365d"]) in text
        assert f"*Churn risk*\n{risk} (" in text and "likely still a customer" in text
        assert row["expected_next_order_at"].strftime("%d %b %Y") in text


def test_without_a_lifetime_model_the_answer_has_no_lifetime_figures(
    tmp_path, settings_env, monkeypatch, slack_bot
):
    started = start_bot(120, tmp_path, f"sqlite:///{tmp_path / 's.db'}", monkeypatch, slack_bot)
    assert started.service.model.lifetime is None
    key = started.service.store.all_customers()["customer_key"].iloc[0]
    text = all_text(started.bot.ask(f"customer {key}"))
    assert "Revenue, all orders" in text and "Churn risk" not in text
    started.service.store.engine.dispose()
