"""The digest reports who moved into high churn risk, against the Slack stand-in: a model
trained on 600 customers' order lines (with a lifetime model), a first digest (the bands kept
in its snapshot; "from the next digest"), some customers slipping into high risk, and the next
week's digest naming how many moved and what they were worth at the last one."""

from __future__ import annotations

import json
from datetime import timedelta

import sqlalchemy as sa

from smartcart.engine.reports import money
from smartcart.engine.store.tables import customers as customer_table
from smartcart.slack.bot_engine import build_context
from smartcart.slack.digest.runner import DigestRunner
from smartcart.slack.settings import load_settings
from tests.support.digest_runs import CHANNEL, MONDAY, Clock, posts
from tests.support.lifetime_bot import train_on_orders

SLIPPING = 7


def digest_text(standin) -> str:
    return json.dumps(json.loads(posts(standin)[-1].raw)["blocks"], ensure_ascii=False)


def test_the_digest_reports_customers_who_moved_into_high_risk(
    tmp_path, settings_env, database_url, monkeypatch, slack_standin
):
    train_on_orders(600, tmp_path, database_url, monkeypatch)
    monkeypatch.setenv("SMARTCART_DIGEST_CHANNEL", CHANNEL)
    monkeypatch.setenv("SMARTCART_TIMEZONE", "Europe/Berlin")
    settings = load_settings()
    context = build_context(settings)
    service, clock = context.service, Clock(MONDAY)
    runner = DigestRunner(settings, service, None, clock=clock, reconcile_delay=0)

    stored = service.store.all_customers()
    high = stored[stored["churn_risk"] == "high"]
    assert runner.run().posted
    first = digest_text(slack_standin)
    assert f"*Churn risk:* {len(high):,} customers at high risk" in first
    assert money(high["predicted_clv_365d"].sum()) in first
    assert "show from the next digest" in first

    slipping = stored[stored["churn_risk"].isin(["low", "medium"])].head(SLIPPING)
    with service.store.engine.begin() as connection:
        connection.execute(
            customer_table.update()
            .where(customer_table.c.customer_id.in_([int(i) for i in slipping["ID"]]))
            .values(churn_risk="high", predicted_clv_365d=1.0)
        )
    clock.advance(timedelta(days=7))
    assert runner.run().posted
    second = digest_text(slack_standin)
    worth = money(slipping["predicted_clv_365d"].sum())
    assert (
        f"{SLIPPING} moved into high risk since 2024-W14: they were worth {worth} then, "
        f"{money(SLIPPING * 1.0)} now"
    ) in second
    assert f"{len(high) + SLIPPING:,} customers at high risk" in second
    with service.store.engine.connect() as connection:
        kept = connection.execute(sa.text("SELECT count(churn_risk) FROM history_members")).one()
    assert kept[0] == 2 * len(stored)
    service.store.engine.dispose()
