"""Opening the export form (a modal), from `/segment export` and from the Home tab.

Its submission is `listeners/views/export_form_submission.py`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from smartcart.engine import SegmentationError
from smartcart.engine.model import Persona
from smartcart.slack.access import decide
from smartcart.slack.dispatch import Answer, Request, UserError, metric_label
from smartcart.slack.metrics import count_request
from smartcart.slack.request_path import BotServices, answer_decided, engine_context
from smartcart.slack.subcommands import export_form

logger = logging.getLogger(__name__)

# Opens the form with the live model's personas and whether it has a lifetime model.
OpenForm = Callable[[list[Persona] | None, bool], str | None]


def form_or_answer(services: BotServices, request: Request, open_form: OpenForm) -> Answer | None:
    """An export request without its options: the form when allowed (None once it opened),
    else the refusal (audited), or the command's answer when the form could not open. Access
    is decided once; the live model is read once (the form offers its personas, and churn risk
    and top value fields with a lifetime model)."""
    decision = decide(services.settings, request)
    ctx, failure = engine_context(services.ctx_factory, request)
    if decision.allowed and open_form(personas_of(ctx), has_lifetime(ctx)) is None:
        return None
    answer = failure or answer_decided(ctx, request, decision)
    count_request(metric_label(request.command), answer.outcome)
    return answer


def live_personas(services: BotServices) -> list[Persona] | None:
    """The live model's personas, for a submitted form (None without a model)."""
    try:
        return personas_of(services.ctx_factory())
    except (UserError, SegmentationError):
        return None


def personas_of(ctx: Any) -> list[Persona] | None:
    """The live model's personas (None without a model: the form offers the study's)."""
    try:
        return None if ctx is None else ctx.service.model.personas
    except SegmentationError:
        return None


def has_lifetime(ctx: Any) -> bool:
    """Whether the live model has a lifetime model (False without a model)."""
    try:
        return ctx is not None and ctx.service.model.lifetime_model is not None
    except SegmentationError:
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
