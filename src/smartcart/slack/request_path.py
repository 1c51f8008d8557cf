"""A Slack request's path through the bot: the services listeners need, the ack, the answer.

Listeners import this module (never `smartcart.slack.app`, which registers them): `services_of(context)`
gives the `BotServices` a global middleware put in Bolt's context, `after_ack` runs the slow
part on a worker thread, and `answer_request` answers: access check, dispatch, audit.

Who may look up customers, and the audit trail of each such request (allowed or refused), are
`smartcart.slack.access`'s: this module only applies them, for Slack and the local CLI alike
(a request of origin `cli` is always allowed). One pass per request: the text was parsed once
into `request.command`; the ctx (held to the live model of the moment) is made once, access is
decided once, the audit written once.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from typing import Any

from slack_bolt import BoltContext

from smartcart.slack.access import Decision, reveals_customers
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
    answer = answer_with(services.ctx_factory, request)
    count_request(metric_label(request.command), answer.outcome)
    return answer


def answer_with(ctx_factory: Callable[[], Any], request: Request) -> Answer:
    """Make the ctx, decide access (customer-level requests), dispatch, audit: once each.

    A customer-level request needs a ctx with `decide(request)` and `audit(request, answer,
    decision)` (`BotContext`'s)."""
    ctx, failure = engine_context(ctx_factory, request)
    if failure is not None:
        return failure
    if not reveals_customers(request):
        return dispatch(ctx, request)
    return answer_decided(ctx, request, ctx.decide(request))


def answer_decided(ctx: Any, request: Request, decision: Decision) -> Answer:
    """The answer (or the refusal) of a customer-level request, decided already; audited."""
    answer = dispatch(ctx, request) if decision.allowed else refused(request, decision)
    audit_safely(ctx, request, answer, decision)
    return answer


def refused(request: Request, decision: Decision) -> Answer:
    logger.info(
        "refused %s by %s in %s (%s)",
        request.command.name,
        request.user_id,
        request.channel_id,
        decision.detail,
    )
    count_refused_lookup()
    return refusal_answer(decision.refusal or "Not allowed here.")


def audit_safely(ctx: Any, request: Request, answer: Answer, decision: Decision) -> None:
    """The request's one audit row; a failure is logged (the answer is sent all the same)."""
    try:
        ctx.audit(request, answer, decision)
    except Exception:
        logger.exception("audit of %s by %s failed", request.command.name, request.user_id)


def engine_context(ctx_factory: Callable[[], Any], request: Request) -> tuple[Any, Answer | None]:
    """`(ctx, None)`, or `(None, friendly answer)` when the engine cannot give one now."""
    try:
        return ctx_factory(), None
    except UserError as error:
        return None, user_error_answer(error.message)
    except Exception:
        return None, internal_error_answer(request)
