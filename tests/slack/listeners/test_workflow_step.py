"""The `segment_lookup` Workflow Builder step over real HTTP: function_executed -> outputs."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from smartcart.engine.model.personas import PERSONAS_BY_ID
from smartcart.engine.scoring.scoring import score
from smartcart.engine.training import TrainingResult
from smartcart.slack.bot_engine import BotContext
from smartcart.slack.dispatch import UserError
from tests.slack.test_manifest import check_outputs
from tests.support.signing import function_executed_event
from tests.support.slack_client import SlackBot

# Slack behaviour, not storage: SQLite is enough (the store is tested on both elsewhere).
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


WORKFLOW_TOKEN = "xwfp-0000-test-workflow-token"


def run_step(bot: SlackBot, inputs: dict, kind: str) -> dict:
    reply = bot.event(function_executed_event("segment_lookup", inputs))
    assert (reply.status, reply.text) == (200, "")
    (call,) = bot.standin.wait_for(kind)
    assert call.token == WORKFLOW_TOKEN  # the step is ended with the workflow's own token
    assert call.body["function_execution_id"] == "Fx0EXECUTION1"
    return call.body


@SQLITE_ONLY
def test_a_known_customer_completes_with_the_persona(
    segment_bot: SlackBot, bot_context: BotContext, trained: TrainingResult
) -> None:
    scores = score(trained.model, trained.data.customers)
    row = scores.iloc[7]
    body = run_step(
        segment_bot, {"customer_id": f" {int(row['customer_id'])} "}, "functions.completeSuccess"
    )
    outputs = json.loads(body["outputs"])
    check_outputs(outputs)
    persona = PERSONAS_BY_ID[row["persona"]]
    assert outputs == {
        "persona": persona.id,
        "persona_name": persona.name,
        "confidence": pytest.approx(float(row["confidence"]), abs=1e-4),
        "next_action": persona.next_action,
    }
    (entry,) = bot_context.service.store.audit_entries("customer")
    assert entry["user_id"] == "workflow:Wx0WORKFLOWRUN1"
    assert (entry["channel_id"], entry["allowed"], entry["rows"]) == ("workflow", True, 1)
    assert segment_bot.standin.calls("functions.completeError") == []


@pytest.mark.parametrize(
    ("customer_id", "error"),
    [
        ("99999999", "No customer 99999999 in the current data"),
        ("abc", "Customer ids are whole numbers"),
        ("", "customer_id is empty"),
        ("1" * 40, "ids are at most 19 digits"),
    ],
)
@SQLITE_ONLY
def test_an_unknown_or_malformed_id_fails_the_step_clearly(
    segment_bot: SlackBot, bot_context: BotContext, customer_id: str, error: str
) -> None:
    body = run_step(segment_bot, {"customer_id": customer_id}, "functions.completeError")
    assert error in body["error"]
    assert segment_bot.standin.calls("functions.completeSuccess") == []
    (entry,) = bot_context.service.store.audit_entries("customer")
    assert (entry["user_id"], entry["rows"]) == ("workflow:Wx0WORKFLOWRUN1", 0)


def test_without_a_model_the_step_fails_with_the_reason(
    slack_bot: Callable[..., SlackBot],
) -> None:
    def no_model() -> object:
        raise UserError("No segments yet: an analyst needs to run `smartcart train` first.")

    bot = slack_bot(no_model)
    body = run_step(bot, {"customer_id": "5524"}, "functions.completeError")
    assert body["error"].startswith("No segments yet")


@SQLITE_ONLY
def test_other_functions_are_not_answered_as_a_lookup(segment_bot: SlackBot) -> None:
    reply = segment_bot.event(function_executed_event("something_else", {"customer_id": "1"}))
    assert reply.status == 200
    segment_bot.event(
        {"type": "app_mention", "user": "U1", "text": "hi", "ts": "1.1", "channel": "C1"}
    )
    segment_bot.standin.wait_for("chat.postMessage")
    assert not [c for c in segment_bot.standin.calls() if c.kind.startswith("functions.")]
