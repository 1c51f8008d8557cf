"""A Slack request's path through the bot: the services listeners need, the ack, the answer.

Listeners import this module (never `bot.app`, which registers them): `services_of(context)`
gives the `BotServices` a global middleware put in Bolt's context, `after_ack` runs the slow
part on a worker thread, and `answer_request` answers: access check, dispatch, audit.

Customer-level lookups (`customer`, `export`) are allowed only in the channels and for the users
of `SMARTCART_ALLOWED_CHANNELS` / `SMARTCART_ALLOWED_USERS` (an empty list allows everyone).
For each such request, allowed or refused, `ctx.audit(request, answer)` is called when the ctx
has an `audit` attribute: the engine side writes the audit trail there.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from typing import Any

from slack_bolt import BoltContext

from bot.answers import (
    Answer,
    Request,
    UserError,
    dispatch,
    internal_error_answer,
    is_allowed,
    looks_up_customers,
    refusal_answer,
    user_error_answer,
)
from bot.settings import Settings

logger = logging.getLogger(__name__)

REFUSAL = "Customer lookups aren't enabled here. Ask an admin, or try in an allowed channel."


@dataclass
class BotServices:
    """What listeners need besides Bolt's own arguments."""

    settings: Settings
    ctx_factory: Callable[[], Any]
    workers: Executor


def provide_services(services: BotServices) -> Callable[..., None]:
    def put_services_in_context(context: BoltContext, next: Callable[[], None]) -> None:
        context["services"] = services
        next()

    return put_services_in_context


def services_of(context: BoltContext) -> BotServices:
    return context["services"]


def after_ack(context: BoltContext, work: Callable[..., None], *args: Any) -> Future:
    """Run `work(*args)` on a worker thread, after the listener returned (and Slack got its ack).

    A failure is logged with its traceback (a Future would otherwise keep it silently). The work
    runs in a copy of the caller's context, so its log lines carry the request's id.
    """
    carried = contextvars.copy_context()
    return services_of(context).workers.submit(carried.run, run_logged, work, *args)


def run_logged(work: Callable[..., None], *args: Any) -> None:
    try:
        work(*args)
    except Exception:
        logger.exception("work after the ack failed: %s", getattr(work, "__name__", work))


def answer_request(services: BotServices, request: Request) -> Answer:
    """The answer to a Slack request: access check, dispatch, audit. Never raises."""
    ctx, failure = engine_context(services, request)
    if failure is not None:
        return failure
    if not looks_up_customers(request.text):
        return dispatch(ctx, request)
    answer = guarded_lookup(services.settings, ctx, request)
    record_lookup(ctx, request, answer)
    return answer


def engine_context(services: BotServices, request: Request) -> tuple[Any, Answer | None]:
    """`(ctx, None)`, or `(None, friendly answer)` when the engine cannot give one now."""
    try:
        return services.ctx_factory(), None
    except UserError as error:
        return None, user_error_answer(error.message)
    except Exception:
        return None, internal_error_answer(request)


def guarded_lookup(settings: Settings, ctx: Any, request: Request) -> Answer:
    channels = settings.SMARTCART_ALLOWED_CHANNELS
    users = settings.SMARTCART_ALLOWED_USERS
    if not is_allowed(request, channels, users):
        logger.info("refused a customer lookup by %s in %s", request.user_id, request.channel_id)
        return refusal_answer(REFUSAL)
    return dispatch(ctx, request)


def record_lookup(ctx: Any, request: Request, answer: Answer) -> None:
    """Hand a customer lookup to the engine's audit trail, if it keeps one."""
    audit = getattr(ctx, "audit", None)
    if audit is None:
        return
    try:
        audit(request, answer)
    except Exception:
        logger.exception("audit of a customer lookup by %s failed", request.user_id)
