"""The `segment_lookup` step: a customer id in; persona, its name, confidence, next action out.

Bolt acknowledges the `function_executed` event; the lookup runs after the ack and ends the step
with `complete(outputs=...)`, or `fail(error)` with a message a workflow builder can act on
(malformed or unknown id, no model yet, customer access not allowed). Each run is decided and
audited like a `/segment customer` lookup, with the workflow as the caller (`workflow:<workflow
execution id>`, channel `workflow`): allowed when SMARTCART_CUSTOMER_ACCESS=everyone and no
allow-list is set, or when `workflow` is in SMARTCART_ALLOWED_CHANNELS and no user list is set.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltContext
from slack_bolt.context.complete import Complete
from slack_bolt.context.fail import Fail
from slack_sdk.errors import SlackApiError

from smartcart.engine.model import ALL_PERSONAS_BY_ID
from smartcart.slack.access import ALLOWED
from smartcart.slack.dispatch import Answer, Request, UserError
from smartcart.slack.request_path import BotServices, after_ack, audit_safely, services_of
from smartcart.slack.subcommands import parse_customer_id

logger = logging.getLogger(__name__)

CALLBACK_ID = "segment_lookup"
# The step's outputs and their types, as manifest.json declares them.
OUTPUT_TYPES = {
    "persona": "string",
    "persona_name": "string",
    "confidence": "number",
    "next_action": "string",
}
WORKFLOW_CHANNEL = "workflow"
INTERNAL_ERROR = "The segment lookup failed on the SmartCart side; try again in a moment."


def register(app: App) -> None:
    app.function(CALLBACK_ID)(handle_segment_lookup)


def handle_segment_lookup(
    inputs: dict, event: dict, complete: Complete, fail: Fail, context: BoltContext
) -> None:
    caller = f"workflow:{event.get('workflow_execution_id') or 'unknown'}"
    after_ack(context, run_lookup, services_of(context), inputs or {}, caller, complete, fail)


def run_lookup(
    services: BotServices, inputs: dict, caller: str, complete: Complete, fail: Fail
) -> None:
    """Complete the step with the customer's segment, or fail it with a clear error."""
    raw = str(inputs.get("customer_id") or "").strip()
    request = Request(text=f"customer {raw}", user_id=caller, channel_id=WORKFLOW_CHANNEL)
    try:
        outputs = lookup(services, request, raw)
    except UserError as error:
        finish(fail, error.message)
        return
    except Exception:
        logger.exception("segment_lookup failed for %s", caller)
        finish(fail, INTERNAL_ERROR)
        return
    finish(complete, outputs=outputs)


def lookup(services: BotServices, request: Request, raw: str) -> dict[str, Any]:
    ctx = services.ctx_factory()  # UserError when there is no model yet
    decision = ctx.decide(request)
    if not decision.allowed:
        audit_safely(ctx, request, Answer(text="refused", audit={"rows": 0}), decision)
        raise UserError(decision.refusal or "Customer lookups are not allowed here.")
    try:
        if not raw:
            raise UserError("customer_id is empty: pass a customer id such as 5524.")
        orders = ctx.service.model.contract == "orders"
        customer_id = parse_customer_id(raw.split(), text_ids=orders)
    except UserError as error:
        audit_safely(
            ctx, request, Answer(text=error.message, audit={"rows": 0, "detail": "bad id"}), ALLOWED
        )
        raise
    explanation = ctx.service.explain(customer_id)
    if explanation is None:
        audit_safely(
            ctx,
            request,
            Answer(text="not found", audit={"rows": 0, "detail": "not found"}),
            ALLOWED,
        )
        version = ctx.service.live_version()
        raise UserError(f"No customer {customer_id} in the current data (model {version}).")
    persona = ALL_PERSONAS_BY_ID[explanation.persona]
    found = Answer(text="found", audit={"rows": 1, "detail": persona.id})
    audit_safely(ctx, request, found, ALLOWED)
    return {
        "persona": persona.id,
        "persona_name": persona.name,
        "confidence": round(float(explanation.confidence), 4),
        "next_action": persona.next_action,
    }


def finish(signal: Complete | Fail, *args: Any, **kwargs: Any) -> None:
    try:
        signal(*args, **kwargs)
    except SlackApiError as error:
        logger.warning("ending the workflow step failed: %s", error.response.get("error"))
