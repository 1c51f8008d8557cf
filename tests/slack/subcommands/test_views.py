"""The engine-backed answers through the real server, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest

from tests.slack.listeners.test_commands import texts_of
from tests.support.slack_client import SlackBot
from tests.support.slack_standin import UPLOAD

PNG = b"\x89PNG\r\n\x1a\n"


def all_text(message: dict) -> str:
    return "\n".join(texts_of(message))


def known_customer(trained) -> int:
    return int(trained.data.customers["ID"].iloc[0])


def test_customer_answer_has_persona_reasons_confidence_and_action(
    segment_bot: SlackBot, trained, bot_context
):
    customer_id = known_customer(trained)
    message = segment_bot.ask(f"customer {customer_id}")
    text = all_text(message)
    assert message["response_type"] == "ephemeral"
    segment = next(s for s in trained.model.segments if s["cluster"] == int(trained.labels[0]))
    assert segment["name"] in text
    assert "Confidence:" in text and "Why this persona" in text
    # reasons by contrast: the customer's value, the segment's typical one, everyone's
    assert text.count("this segment typically") >= 1 and "all customers" in text
    assert "Next best action:" in text
    assert any(b["type"] == "actions" for b in message["blocks"])
    entries = bot_context.service.store.audit_entries("customer")
    assert entries[-1]["target"] == str(customer_id)
    assert entries[-1]["allowed"] and entries[-1]["rows"] == 1


def test_unknown_customer_names_the_id_and_model(segment_bot: SlackBot, trained):
    message = segment_bot.ask("customer 99999999")
    assert (
        f"No customer 99999999 in the current data (model {trained.model.version})"
        in message["text"]
    )


@pytest.mark.parametrize(
    "text",
    [
        "customer abc",
        "customer 1e5",
        "customer -4",
        "customer " + "9" * 40,
        "customer " + "x" * 3000,
        "customer \x00\x07\x1b[31m",
        "customer <!channel> & <@U123>",
        "customer ５５２４",
        "customer",
    ],
)
def test_hostile_customer_texts_get_a_friendly_answer(segment_bot: SlackBot, text):
    message = segment_bot.ask(text)
    body = all_text(message)
    assert "customer" in body.lower()
    assert "Traceback" not in body and "Something went wrong" not in body
    assert "<!channel>" not in body and "<@U123>" not in body
    assert segment_bot.get("/healthz").status == 200


def test_lookups_outside_allowed_channels_are_refused_and_audited(
    slack_bot, bot_context, trained, monkeypatch
):
    from smartcart.slack.bot_engine import context_factory, health_report

    bot_context.settings.SMARTCART_ALLOWED_CHANNELS = ["C0ALLOWED"]
    bot = slack_bot(
        context_factory(bot_context), health_report(bot_context), settings=bot_context.settings
    )
    refused = bot.ask(f"customer {known_customer(trained)}", channel_id="C0OTHER")
    assert "aren't enabled here" in refused["text"]
    allowed = bot.ask(f"customer {known_customer(trained)}", channel_id="C0ALLOWED")
    assert "Next best action" in all_text(allowed)
    entries = bot_context.service.store.audit_entries("customer")
    assert [(e["channel_id"], e["allowed"]) for e in entries[-2:]] == [
        ("C0OTHER", False),
        ("C0ALLOWED", True),
    ]


def test_summary_lists_every_segment_and_shows_its_chart_inside(segment_bot: SlackBot, trained):
    message = segment_bot.ask("summary")
    text = all_text(message)
    assert message["response_type"] == "ephemeral"
    for segment in trained.model.segments:
        assert segment["name"] in text
    assert "of revenue" in text and "the base" in text
    buttons = [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
    playbooks = [b for b in buttons if b["action_id"].startswith("open_playbook")]
    assert {b["value"] for b in playbooks} == {s["persona"] for s in trained.model.segments}
    upload = segment_bot.standin.wait_for(UPLOAD, 1)[0]
    assert PNG in upload.raw
    (complete,) = segment_bot.standin.calls("files.completeUploadExternal")
    assert "channel_id" not in complete.body  # uploaded to no channel: no separate file message
    file_id = json.loads(complete.body["files"])[0]["id"]
    (image,) = [b for b in message["blocks"] if b["type"] == "image"]
    assert image["slack_file"] == {"id": file_id}
    assert segment_bot.standin.calls("conversations.open") == []


def test_the_summary_says_at_once_it_is_on_its_way_then_replaces_that(segment_bot: SlackBot):
    response_url = segment_bot.new_response_url()
    reply = segment_bot.command("summary", response_url)
    assert reply.status == 200
    waiting = json.loads(reply.text)
    assert waiting["response_type"] == "ephemeral" and "Putting the summary" in waiting["text"]
    message = segment_bot.standin.wait_for_response(response_url)
    assert message["replace_original"] is True
    assert "of revenue" in all_text(message)
    shared = segment_bot.command("summary share", segment_bot.new_response_url())
    assert shared.status == 200 and not shared.text  # a shared answer: a plain ack
    assert segment_bot.command("personas", segment_bot.new_response_url()).text == ""


def test_summary_share_posts_in_channel(segment_bot: SlackBot):
    message = segment_bot.ask("summary share")
    assert message["response_type"] == "in_channel"


def test_summary_rejects_unknown_options(segment_bot: SlackBot):
    message = segment_bot.ask("summary <everything>")
    assert "`summary` takes nothing or `share`" in message["text"]


def test_personas_and_model_card(segment_bot: SlackBot, trained):
    personas = all_text(segment_bot.ask("personas"))
    for name in (
        "High-Value Premium Customers",
        "Family Budget Shoppers",
        "Digitally Active Individuals",
        "Moderate Loyal Customers",
    ):
        assert name in personas
    card = all_text(segment_bot.ask("model"))
    assert trained.model.version in card and "kmeans" in card and "Stability" in card
    assert "end up together again" in card  # the figures in plain words, for marketers


def test_healthz_names_the_live_model(segment_bot: SlackBot, trained):
    reply = segment_bot.get("/healthz")
    assert reply.status == 200
    assert json.loads(reply.text)["model_version"] == trained.model.version


def test_no_model_yet_is_a_friendly_answer(slack_bot, engine_settings, tmp_path):
    from smartcart.slack.bot_engine import build_context, context_factory, health_report

    engine_settings.SMARTCART_MODEL_DIR = tmp_path / "empty-models"
    context = build_context(engine_settings)
    bot = slack_bot(context_factory(context), health_report(context), settings=engine_settings)
    assert "smartcart train" in bot.ask("summary")["text"]
