"""A bot whose live model was trained on generic order lines, with or without a lifetime model
(600 customers give one; 120 are too thin), served over real HTTP."""

from __future__ import annotations

from dataclasses import dataclass

from smartcart.engine import SegmentService, TrainingOptions
from smartcart.engine.orders import write_orders
from smartcart.engine.store import Store
from smartcart.slack.bot_engine import build_context, context_factory, health_report
from smartcart.slack.settings import load_settings


@dataclass
class LifetimeBot:
    bot: object
    service: SegmentService


def train_on_orders(customers, tmp_path, database_url, monkeypatch, personas=None) -> None:
    """Train on the order lines of `customers` customers (named with the `personas` file, else
    the built-in order personas), store them, and point the settings' environment
    (SMARTCART_MODEL_DIR, SMARTCART_DATABASE_URL) at the model and the store."""
    data = write_orders(tmp_path / "lines", customers, seed=11)
    models = tmp_path / "models"
    store = Store(database_url)
    store.migrate()
    service = SegmentService(models, store)
    service.train(str(data), TrainingOptions(algorithm="kmeans", refits=2, personas=personas))
    store.engine.dispose()
    monkeypatch.setenv("SMARTCART_MODEL_DIR", str(models))
    monkeypatch.setenv("SMARTCART_DATABASE_URL", database_url)


def start_bot(
    customers, tmp_path, database_url, monkeypatch, slack_bot, personas=None
) -> LifetimeBot:
    train_on_orders(customers, tmp_path, database_url, monkeypatch, personas)
    context = build_context(load_settings())
    return LifetimeBot(slack_bot(context_factory(context), health_report(context)), context.service)
