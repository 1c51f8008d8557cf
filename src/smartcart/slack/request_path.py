"""A Slack request's path through the bot: the services listeners need, the ack, the answer.

Listeners import this module (never `smartcart.slack.app`, which registers them): `services_of(context)`
gives the `BotServices` a global middleware put in Bolt's context, `after_ack` runs the slow
part on a worker thread, and `answer_request` answers: access check, dispatch, audit.

Who may look up customers, and the audit trail of each such request (allowed or refused), are
`smartcart.slack.access`'s: this module only applies them, for Slack and the local CLI alike
(`answer_with(..., apply_allow_lists=False)` is the CLI's path).
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from typing import Any

from slack_bolt import BoltContext

from smartcart.slack.access import REFUSAL, looks_up_customers, may_see_customers, record
from smartcart.slack.dispatch import (
    Answer,
    Request,
    UserError,
    dispatch,
    internal_error_answer,
    metric_label,
    refusal_answer,
    user_error_answer,
)
from smartcart.slack.metrics import count_refused_lookup, count_request
from smartcart.slack.settings import Settings

logger = logging.getLogger(__name__)


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
    """The answer to a Slack request: access check, dispatch, audit (and counted). Never raises."""
    answer = answer_with(services.ctx_factory, services.settings, request)
    count_request(metric_label(request.text), answer.outcome)
    return answer


def answer_with(
    ctx_factory: Callable[[], Any],
    settings: Settings,
    request: Request,
    apply_allow_lists: bool = True,
) -> Answer:
    """Access check (unless `apply_allow_lists` is False: the local CLI), dispatch, audit."""
    ctx, failure = engine_context(ctx_factory, request)
    if failure is not None:
        return failure
    if not looks_up_customers(request.text):
        return dispatch(ctx, request)
    allowed = not apply_allow_lists or may_see_customers(settings, request)
    if allowed:
        answer = dispatch(ctx, request)
    else:
        logger.info("refused a customer lookup by %s in %s", request.user_id, request.channel_id)
        count_refused_lookup()
        answer = refusal_answer(REFUSAL)
    record(ctx, request, answer, None if apply_allow_lists else True)
    return answer


def engine_context(ctx_factory: Callable[[], Any], request: Request) -> tuple[Any, Answer | None]:
    """`(ctx, None)`, or `(None, friendly answer)` when the engine cannot give one now."""
    try:
        return ctx_factory(), None
    except UserError as error:
        return None, user_error_answer(error.message)
    except Exception:
        return None, internal_error_answer(request)
