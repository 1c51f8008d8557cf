"""Opening the export form (a modal), from `/segment export` and from the Home tab.

Its submission is `listeners/views/export_form_submission.py`.
"""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from smartcart.engine import SegmentationError
from smartcart.engine.model import Persona
from smartcart.slack.access import may_see_customers
from smartcart.slack.dispatch import Request, UserError
from smartcart.slack.request_path import BotServices
from smartcart.slack.subcommands import export_form

logger = logging.getLogger(__name__)


def may_export(services: BotServices, request: Request) -> bool:
    return may_see_customers(services.settings, request)


def live_personas(services: BotServices) -> list[Persona] | None:
    """The live model's personas (None without a model: the form offers the study's)."""
    try:
        return services.ctx_factory().service.model.personas
    except (UserError, SegmentationError):
        return None


def live_has_lifetime(services: BotServices) -> bool:
    """Whether the live model has a lifetime model (the form then offers churn risk and top
    predicted value)."""
    try:
        return services.ctx_factory().service.model.lifetime_model is not None
    except (UserError, SegmentationError):
        return False


def open_export_form(
    client: WebClient,
    trigger_id: str,
    channel_id: str,
    persona: str | None = None,
    personas: list[Persona] | None = None,
    with_lifetime: bool = False,
) -> str | None:
    """Open the form; None when it opened, else Slack's error code (e.g. expired_trigger_id)."""
    try:
        view = export_form(channel_id, persona, personas, with_lifetime)
        client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as error:
        code = str(error.response.get("error", "error"))
        logger.warning("opening the export form failed: %s", code)
        return code
    return None
