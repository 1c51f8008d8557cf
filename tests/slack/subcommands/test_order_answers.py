"""Order histories end to end: a Shopify export (79 and 75 columns; several line items per
order; cancelled, refunded and partly refunded orders) and a generic order-lines Parquet folder
each train, score, and answer `/segment customer <email>` and `/segment summary` through the
real server with signed requests, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from smartcart.engine import SegmentService, TrainingOptions
from smartcart.engine.model import ORDER_PERSONAS
from smartcart.engine.orders import generate_orders
from smartcart.engine.store import Store
from smartcart.slack.bot_engine import build_context, context_factory, health_report
from smartcart.slack.settings import load_settings
from tests.slack.subcommands.test_views import all_text
from tests.support.orders import ORDERS, write_shopify

GENERATED_CUSTOMERS = 240


@dataclass
class OrderBot:
    bot: object
    service: SegmentService
    email: str  # a customer to ask for, as stored (lower case)
    expected: dict  # that customer's figures, computed independently


def shopify_data(folder: Path, columns: int) -> tuple[Path, str, dict]:
    """Generated Shopify orders with the hand-computed export after them: Ann's figures are
    worked out in tests/engine/orders/test_shopify.py (two orders counted of 45 and 35; the
    second partly refunded, 15 of 95 merchandise)."""
    generated = generate_orders(
        GENERATED_CUSTOMERS, layout="shopify", columns=columns, seed=5, first_order=9001
    )
    path = write_shopify(folder / "orders_export.csv", ORDERS, columns, before=generated)
    return path, "ann@example.com", {"orders": 2, "revenue": 80.0, "refund_share": 15 / 95}


def generic_data(folder: Path) -> tuple[Path, str, dict]:
    """Generic order lines keyed by email (in mixed case), as a folder of Parquet parts."""
    lines = generate_orders(GENERATED_CUSTOMERS, seed=6)
    emails = lines.pop("customer_id").str.replace("C", "Shopper.", regex=False) + "@Shop.example"
    lines.insert(0, "email", emails)
    parts = folder / "order_lines"
    parts.mkdir()
    for number, start in enumerate(range(0, len(lines), 1000)):
        lines.iloc[start : start + 1000].to_parquet(parts / f"part-{number:03d}.parquet")
    email = emails.iloc[0]
    return parts, email.lower(), by_hand(lines[lines["email"] == email])


def by_hand(lines: pd.DataFrame) -> dict:
    """Orders and revenue of one customer's generic lines, counted as the contract says: a
    cancelled line is no sale, a refunded one is refunded in full, and an order counts while
    its refunds are less than its merchandise."""
    sold = lines[lines["status"] != "cancelled"]
    per_order = sold.groupby("order_id").apply(
        lambda o: pd.Series(
            {
                "merchandise": o["amount"].sum(),
                "refunded": o.loc[o["status"] == "refunded", "amount"].sum(),
            }
        ),
        include_groups=False,
    )
    counted = per_order[per_order["refunded"] < per_order["merchandise"]]
    return {
        "orders": len(counted),
        "revenue": float((counted["merchandise"] - counted["refunded"]).sum()),
        "refund_share": float(per_order["refunded"].sum() / per_order["merchandise"].sum()),
    }


@pytest.fixture(params=["shopify-79", "shopify-75", "generic-parquet"])
def order_bot(request, tmp_path, settings_env, database_url, monkeypatch, slack_bot) -> OrderBot:
    if request.param == "generic-parquet":
        data, email, expected = generic_data(tmp_path)
    else:
        data, email, expected = shopify_data(tmp_path, int(request.param.split("-")[1]))
    models = tmp_path / "models"
    store = Store(database_url)
    store.migrate()
    service = SegmentService(models, store)
    service.train(str(data), TrainingOptions(algorithm="kmeans", refits=2))
    run = service.score_file(str(data))
    assert run.rows["used"] == service.store.count_customers()
    store.engine.dispose()
    monkeypatch.setenv("SMARTCART_MODEL_DIR", str(models))
    monkeypatch.setenv("SMARTCART_DATABASE_URL", database_url)
    context = build_context(load_settings())
    bot = slack_bot(context_factory(context), health_report(context))
    yield OrderBot(bot, context.service, email, expected)
    context.service.store.engine.dispose()


def test_the_model_is_named_with_the_order_personas(order_bot: OrderBot):
    model = order_bot.service.model
    assert model.card.contract == "orders" and model.card.persona_set == "orders"
    assert model.card.k == 6
    order_ids = {p.id for p in ORDER_PERSONAS}
    assert {s["persona"] for s in model.segments} <= order_ids
    assert set(model.card.missing_personas) <= order_ids


def test_stored_figures_match_the_hand_computation(order_bot: OrderBot):
    row, assignment = order_bot.service.store.customer(order_bot.email)
    figures = row.iloc[0]
    assert figures["customer_key"] == order_bot.email
    assert figures["orders"] == order_bot.expected["orders"]
    assert figures["revenue"] == pytest.approx(order_bot.expected["revenue"])
    assert figures["refund_share"] == pytest.approx(order_bot.expected["refund_share"])
    assert assignment["persona"] in {p.id for p in ORDER_PERSONAS}


def test_customer_by_email_in_any_form(order_bot: OrderBot):
    email = order_bot.email
    explanation = order_bot.service.explain(email)
    assert explanation is not None
    forms = [email, f"  {email.upper()}  ", f"<mailto:{email.upper()}|{email.upper()}>"]
    for typed in forms:
        text = all_text(order_bot.bot.ask(f"customer {typed}"))
        assert explanation.segment_name in text
        assert "Confidence:" in text and "Why this persona" in text
        assert "Revenue, all orders" in text and "Next best action:" in text
        assert "income" not in text.lower()
    entries = order_bot.service.store.audit_entries("customer")
    assert [(e["allowed"], e["rows"], e["detail"]) for e in entries] == [
        (True, 1, explanation.persona)
    ] * len(forms)


def test_an_unknown_email_is_named_escaped_and_audited(order_bot: OrderBot):
    message = order_bot.bot.ask("customer <mailto:nobody@shop.example|nobody@shop.example>")
    assert "No customer nobody@shop.example in the current data" in message["text"]
    (entry,) = order_bot.service.store.audit_entries("customer")
    assert entry["allowed"] and entry["rows"] == 0
    hostile = order_bot.bot.ask("customer <!channel> & <@U123>")
    assert "<!channel>" not in all_text(hostile) and "<@U123>" not in all_text(hostile)


def test_summary_shows_order_segments(order_bot: OrderBot):
    message = order_bot.bot.ask("summary")
    text = all_text(message)
    for segment in order_bot.service.model.segments:
        assert segment["name"] in text
    assert "orders · last order" in text and "on discount" in text
    assert "income" not in text.lower() and "response rate" not in text.lower()


def test_playbook_and_personas_answer_with_the_order_set(order_bot: OrderBot):
    present = order_bot.service.model.segments[0]["persona"]
    playbook = all_text(order_bot.bot.ask(f"playbook {present}"))
    assert "campaign playbook" in playbook and "Average revenue per customer" in playbook
    personas = all_text(order_bot.bot.ask("personas"))
    assert all(p.name in personas for p in ORDER_PERSONAS)
    assert "Premium" not in personas
