"""The export form over real HTTP: `/segment export` opens it, a submission is checked field by
field (`response_action: errors`), a valid one sends the file to the user's DM and is audited."""

from __future__ import annotations

import io
import json
from collections.abc import Callable

import pandas as pd
import pytest

from smartcart.engine.scoring.scoring import score
from smartcart.engine.training import TrainingResult
from smartcart.slack.bot_engine import BotContext, context_factory
from smartcart.slack.settings import Settings
from smartcart.slack.subcommands.export_modal import EXPORT_FORM_CALLBACK_ID
from tests.support.slack_client import SlackBot

# Slack behaviour, not storage: SQLite is enough (the store is tested on both elsewhere).
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


COMMAND_TRIGGER = "1234567890.1234567890.abcdef"


def values(persona: str | None, confidence: str = "", file_format: str | None = "csv") -> dict:
    """The form's state values as Slack sends them in a view_submission."""
    chosen = (
        None
        if persona is None
        else {"text": {"type": "plain_text", "text": persona}, "value": persona}
    )
    fmt = (
        None
        if file_format is None
        else {"text": {"type": "plain_text", "text": file_format}, "value": file_format}
    )
    return {
        "persona": {"persona": {"type": "static_select", "selected_option": chosen}},
        "min_confidence": {
            "min_confidence": {"type": "plain_text_input", "value": confidence or None}
        },
        "format": {"format": {"type": "radio_buttons", "selected_option": fmt}},
    }


def submit(bot: SlackBot, form_values: dict, channel: str = "C0MARKETING", **fields: str):
    metadata = json.dumps({"channel": channel})
    return bot.submit(EXPORT_FORM_CALLBACK_ID, form_values, private_metadata=metadata, **fields)


def test_export_without_a_persona_opens_the_form(segment_bot: SlackBot) -> None:
    assert segment_bot.command("export").status == 200
    (call,) = segment_bot.standin.wait_for("views.open")
    assert call.body["trigger_id"] == COMMAND_TRIGGER
    (form,) = segment_bot.standin.opened_views()
    assert form["callback_id"] == EXPORT_FORM_CALLBACK_ID
    assert [b.get("block_id") for b in form["blocks"] if b["type"] == "input"] == [
        "persona",
        "min_confidence",
        "format",
    ]
    assert json.loads(form["private_metadata"]) == {"channel": "C0MARKETING"}
    assert segment_bot.standin.calls("response_url") == []


def test_an_expired_trigger_falls_back_to_the_command_answer(segment_bot: SlackBot) -> None:
    segment_bot.standin.fail_next("views.open", status=200, error="expired_trigger_id")
    message = segment_bot.ask("export")
    assert "Which persona? Choose one of:" in message["text"]


@pytest.mark.parametrize(
    ("form_values", "errors"),
    [
        (values(None), {"persona": "Choose one of the personas."}),
        (values("nobody"), {"persona": "Choose one of the personas."}),
        (
            values("premium", "lots"),
            {"min_confidence": "The minimum confidence is a number like 0.6 or 60%."},
        ),
        (
            values("premium", "150%"),
            {"min_confidence": "The minimum confidence is between 0 and 1 (or 0% and 100%)."},
        ),
        (
            values("premium", file_format="xlsx"),
            {"format": "The format is one of csv, meta, google, klaviyo."},
        ),
        (
            values(None, "-1"),
            {
                "persona": "Choose one of the personas.",
                "min_confidence": "The minimum confidence is between 0 and 1 (or 0% and 100%).",
            },
        ),
    ],
)
def test_a_wrong_submission_gets_errors_on_its_fields(
    segment_bot: SlackBot, form_values: dict, errors: dict
) -> None:
    reply = submit(segment_bot, form_values)
    assert reply.status == 200
    assert reply.json() == {"response_action": "errors", "errors": errors}
    assert segment_bot.standin.calls("files.getUploadURLExternal") == []


def test_a_valid_submission_sends_the_file_to_the_dm_and_is_audited(
    segment_bot: SlackBot, bot_context: BotContext, trained: TrainingResult
) -> None:
    reply = submit(segment_bot, values("premium", "60%", "csv"), user_id="U0PLANNER")
    assert (reply.status, reply.text) == (200, "")  # the form closes
    (complete,) = segment_bot.standin.wait_for("files.completeUploadExternal")
    assert complete.body["channel_id"] == "D0PLANNER"
    file_id = json.loads(complete.body["files"])[0]["id"]
    upload = segment_bot.standin.uploaded(file_id)
    assert upload["filename"].endswith(".csv")
    table = pd.read_csv(io.BytesIO(upload["content"]))
    scores = score(trained.model, trained.data.customers)
    sure = scores[(scores["persona"] == "premium") & (scores["confidence"] >= 0.6)]
    assert set(table["customer_id"]) == set(sure["customer_id"].astype(int))
    assert (table["confidence"] >= 0.6).all()
    (posted,) = segment_bot.standin.wait_for("chat.postMessage")
    assert posted.body["channel"] == "D0PLANNER"
    assert f"{len(table):,} customers" in json.dumps(posted.body["blocks"], ensure_ascii=False)
    entry = bot_context.service.store.audit_entries("export")[-1]
    assert (entry["user_id"], entry["channel_id"], entry["allowed"]) == (
        "U0PLANNER",
        "C0MARKETING",
        True,
    )
    assert entry["rows"] == len(table)
    assert entry["detail"].startswith("premium format=csv min-confidence=0.6")


def test_a_submission_from_a_channel_not_allowed_is_refused_and_audited(
    slack_bot: Callable[..., SlackBot], bot_context: BotContext, engine_settings: Settings
) -> None:
    restricted = engine_settings.model_copy(update={"SMARTCART_ALLOWED_CHANNELS": ["C0ALLOWED"]})
    bot_context.settings = restricted
    bot = slack_bot(context_factory(bot_context), settings=restricted)
    reply = submit(bot, values("premium"), channel="app_home", user_id="U0PLANNER")
    assert reply.status == 200
    (posted,) = bot.standin.wait_for("chat.postMessage")
    assert "aren't enabled here" in posted.body["text"]
    assert bot.standin.calls("files.getUploadURLExternal") == []
    entry = bot_context.service.store.audit_entries("export")[-1]
    assert (entry["channel_id"], entry["allowed"]) == ("app_home", False)


def test_export_alone_by_a_user_not_allowed_is_refused_without_a_form(
    slack_bot: Callable[..., SlackBot], bot_context: BotContext, engine_settings: Settings
) -> None:
    restricted = engine_settings.model_copy(update={"SMARTCART_ALLOWED_USERS": ["U0ANALYST"]})
    bot_context.settings = restricted
    bot = slack_bot(context_factory(bot_context), settings=restricted)
    message = bot.ask("export", user_id="U0INTERN")
    assert "aren't enabled here" in message["text"]
    assert bot.standin.calls("views.open") == []
    assert bot_context.service.store.audit_entries("export")[-1]["allowed"] is False


def test_the_command_takes_the_same_options(segment_bot: SlackBot, trained: TrainingResult) -> None:
    scores = score(trained.model, trained.data.customers)
    family = scores[scores["persona"] == "family_budget"]
    sure = int((family["confidence"] >= 0.5).sum())
    message = segment_bot.ask("export family budget min-confidence=50%")
    assert message["text"].startswith(f"Family Budget Shoppers: {sure:,} customers exported as ")
    assert message["text"].endswith(".csv")
    wrong = segment_bot.ask("export premium min-confidence=abc")
    assert wrong["text"].startswith("`min-confidence` takes a number from 0 to 1")
    unknown = segment_bot.ask("export premium budget=5")
    assert unknown["text"].startswith("Unknown option `budget=5`.")


def test_a_failed_upload_is_told_in_the_dm(segment_bot: SlackBot) -> None:
    segment_bot.standin.fail_next("files.completeUploadExternal", status=200, error="not_allowed")
    submit(segment_bot, values("premium"), user_id="U0PLANNER")
    answer, notice = segment_bot.standin.wait_for("chat.postMessage", 2)
    assert answer.body["channel"] == notice.body["channel"] == "D0PLANNER"
    assert notice.body["text"].startswith(":warning: I couldn't upload the file (not_allowed).")
