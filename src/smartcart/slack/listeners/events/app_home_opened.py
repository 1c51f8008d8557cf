"""`app_home_opened`: publish the user's Home tab (views.publish) after Bolt's ack."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from smartcart.slack.access import may_export_from_home
from smartcart.slack.digest import digest_schedules
from smartcart.slack.dispatch import UserError
from smartcart.slack.home_tab import ModelFacts, home_view, message_view
from smartcart.slack.request_path import BotServices, after_ack, services_of

logger = logging.getLogger(__name__)


def register(app: App) -> None:
    app.event("app_home_opened")(publish_home_after_ack)


def publish_home_after_ack(event: dict, client: WebClient, context: BoltContext) -> None:
    """Only the Home tab gets a view (the event also fires for the Messages tab)."""
    if event.get("tab", "home") != "home" or not event.get("user"):
        return
    after_ack(context, publish_home, services_of(context), event["user"], client)


def publish_home(services: BotServices, user_id: str, client: WebClient) -> None:
    view = home_for(services, user_id)
    try:
        client.views_publish(user_id=user_id, view=view)
    except SlackApiError as error:
        logger.warning("publishing the Home tab failed: %s", error.response.get("error"))


def home_for(services: BotServices, user_id: str) -> dict:
    """The user's Home view; a friendly one when the engine has no model or fails."""
    try:
        ctx = services.ctx_factory()
        return engine_home(services, ctx, user_id)
    except UserError as error:
        return message_view("SmartCart Segments", error.message)
    except Exception:
        logger.exception("building the Home tab for %s failed", user_id)
        return message_view(
            "SmartCart Segments", "The segments can't be shown right now; try again in a moment."
        )


def engine_home(services: BotServices, ctx: Any, user_id: str) -> dict:
    service = ctx.service
    figures = service.figures()
    card = service.model.card
    model = ModelFacts(card.model_version, trained_when(card.trained_at), figures.customers)
    present = {s["persona"] for s in figures.segments}
    changes = {p: service.change_since_last_digest(p) for p in present}
    schedules = digest_schedules(services.settings, service.store)
    return home_view(model, figures, changes, schedules, can_export(services, user_id))


def trained_when(value: object) -> str:
    """`2026-11-27T17:39:47+00:00` -> `27 Nov 2026 17:39 UTC` (as given when not a timestamp)."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%d %b %Y %H:%M UTC")


def can_export(services: BotServices, user_id: str) -> bool:
    return may_export_from_home(services.settings, user_id)
