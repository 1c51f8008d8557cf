"""`/segment playbook` through the real HTTP server and the Slack stand-in; `smartcart playbook`."""

from __future__ import annotations

import functools
import logging
from datetime import UTC, datetime

import pytest

from smartcart.engine.history import snapshots
from smartcart.engine.history.periods import period_at
from smartcart.engine.model.personas import PERSONAS, PERSONAS_BY_ID, Persona, resolve_persona
from smartcart.engine.reports.figures import persona_numbers
from smartcart.engine.reports.templating import money, percent, times
from smartcart.engine.scoring.scoring import score
from smartcart.slack.blockkit import MAX_SECTION_TEXT
from smartcart.slack.subcommands import playbook as playbook_view
from smartcart.slack.subcommands.playbook import check_templates_at_start
from tests.engine.reports.test_playbooks import write_playbook
from tests.slack.subcommands.test_views import all_text
from tests.support.slack_client import SlackBot

PREMIUM_TITLE = "High-Value Premium Customers: campaign playbook"


def header_of(message: dict) -> str:
    return next(b["text"]["text"] for b in message["blocks"] if b["type"] == "header")


def sections_of(message: dict) -> list[str]:
    return [b["text"]["text"] for b in message["blocks"] if b["type"] == "section"]


@pytest.mark.parametrize(
    "text",
    [
        "playbook premium",
        "playbook High-Value Premium Customers",
        "playbook high-value premium customers",
        "playbook Premium",
        "playbook prem",
        "playbook C0",
        "playbook c0",
        "/segment playbook premium",
    ],
)
def test_a_persona_by_id_name_prefix_or_study_label(segment_bot: SlackBot, text):
    message = segment_bot.ask(text)
    assert message["response_type"] == "ephemeral"
    assert header_of(message) == PREMIUM_TITLE


def test_every_playbook_shows_the_models_own_figures(segment_bot: SlackBot, bot_context):
    figures = bot_context.service.figures()
    for persona in PERSONAS:
        message = segment_bot.ask(f"playbook {persona.study_label}")
        text = "\n".join(sections_of(message))
        (segment,) = figures.persona(persona.id)
        assert persona_numbers(figures, persona.id)["size"] == segment["size"]
        assert header_of(message) == f"{persona.name}: campaign playbook"
        assert f"• *Customers:* {segment['size']:,} ({percent(segment['share'])} of all" in text
        assert f"• *Share of revenue:* {percent(segment['revenue_share'])}" in text
        assert f"*Average spend (2 years):* {money(segment['avg_spend'])}" in text
        assert f"*average income:* {money(segment['avg_income'])}" in text
        assert f"{percent(segment['response_rate'])} ({times(segment['lift'])} the average" in text
        top = segment["top_categories"][0]
        assert f"*Top categories:* {top['category']} ({percent(top['share'], 0)} of" in text
        assert f"• *Preferred channel:* {segment['preferred_channel']}" in text
        assert f"*Next best action*\n*{persona.next_action}*" in text
        assert "**" not in text and "\n## " not in text
        assert bot_context.service.live_version() in all_text(message)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("playbook nobody", "No persona 'nobody'; choose one of: premium, family_budget"),
        ("playbook C9", "No persona 'C9'; choose one of: premium, family_budget"),
        ("playbook", "Which persona? Choose one of: premium, family_budget"),
        ("playbook share", "Which persona? Choose one of: premium"),
        ("playbook " + "x" * 500, "That is not a persona; choose one of: premium"),
        ("playbook <!channel>", "No persona '&lt;!channel&gt;'"),
    ],
)
def test_an_unknown_persona_lists_the_choices(segment_bot: SlackBot, text, expected):
    message = segment_bot.ask(text)
    body = all_text(message)
    assert expected in body
    assert "digital_active, moderate_loyal" in body and "Try `/segment playbook premium`" in body
    assert "Something went wrong" not in body and "<!channel>" not in body


def test_an_ambiguous_prefix_lists_what_it_could_mean(segment_bot: SlackBot, monkeypatch):
    plus = Persona("premium_plus", "Premium Plus Members", "Premium Plus", "C4", "New.", "Call.")
    personas = [*PERSONAS, plus]
    monkeypatch.setattr(
        playbook_view, "resolve_persona", functools.partial(resolve_persona, personas=personas)
    )
    body = all_text(segment_bot.ask("playbook prem"))
    assert "'prem' could mean premium, premium_plus; choose one of:" in body


def test_share_posts_the_playbook_in_the_channel(segment_bot: SlackBot):
    message = segment_bot.ask("playbook family budget share")
    assert message["response_type"] == "in_channel"
    assert header_of(message) == "Family Budget Shoppers: campaign playbook"


def test_a_summary_button_opens_the_playbook(segment_bot: SlackBot):
    response_url = segment_bot.new_response_url()
    reply = segment_bot.click("open_playbook:premium", "premium", response_url)
    assert (reply.status, reply.text) == (200, "")
    message = segment_bot.standin.wait_for_response(response_url)
    assert header_of(message) == PREMIUM_TITLE
    assert message["replace_original"] is False


def test_the_summary_buttons_name_each_persona_with_a_playbook(segment_bot: SlackBot):
    summary = segment_bot.ask("summary")
    buttons = [e for b in summary["blocks"] if b["type"] == "actions" for e in b["elements"]]
    buttons = [b for b in buttons if b["action_id"].startswith("open_playbook")]
    assert buttons
    for button in buttons:
        response_url = segment_bot.new_response_url()
        segment_bot.click(button["action_id"], button["value"], response_url)
        message = segment_bot.standin.wait_for_response(response_url)
        assert header_of(message) == f"{PERSONAS_BY_ID[button['value']].name}: campaign playbook"


def test_a_very_long_playbook_is_split_within_slacks_limits(
    segment_bot: SlackBot, bot_context, tmp_path
):
    paragraphs = [f"Paragraph {i}: " + "words to read " * 60 for i in range(40)]
    one_long_line = "A line without breaks " * 400  # ~8,800 characters
    text = "# Long\n\n" + "\n\n".join(paragraphs) + "\n\n" + one_long_line + "\n\nTHE END\n"
    write_playbook(tmp_path, "premium", text)
    bot_context.settings.SMARTCART_TEMPLATES = tmp_path
    message = segment_bot.ask("playbook premium")
    sections = sections_of(message)
    assert len(sections) > 10 and len(message["blocks"]) <= 50
    assert all(len(s) <= MAX_SECTION_TEXT for s in sections)
    joined = "\n".join(sections)
    assert joined.startswith("Paragraph 0: ") and "THE END" in joined
    assert all(f"Paragraph {i}: " in joined for i in range(40))
    assert joined.replace("\n", " ").count("A line without breaks") == 400


def test_a_deployment_template_is_used_and_others_fall_back(
    segment_bot: SlackBot, bot_context, tmp_path
):
    write_playbook(tmp_path, "premium", "# Our VIPs\n\n**{{ numbers.size }}** of them\n")
    bot_context.settings.SMARTCART_TEMPLATES = tmp_path
    (segment,) = bot_context.service.figures().persona("premium")
    message = segment_bot.ask("playbook premium")
    assert header_of(message) == "Our VIPs"
    assert sections_of(message) == [f"*{segment['size']}* of them"]
    fallback = segment_bot.ask("playbook family_budget")
    assert header_of(fallback) == "Family Budget Shoppers: campaign playbook"


def test_a_broken_template_is_a_clear_answer_and_logged(
    segment_bot: SlackBot, bot_context, tmp_path, caplog
):
    path = write_playbook(tmp_path, "premium", "# P\n\n{{ numbers.sizee }}\n")
    bot_context.settings.SMARTCART_TEMPLATES = tmp_path
    with caplog.at_level(logging.ERROR, logger="smartcart.slack.subcommands.playbook"):
        body = all_text(segment_bot.ask("playbook premium"))
    assert "The Premium playbook template has a problem" in body
    assert "smartcart templates check" in body and "Something went wrong" not in body
    assert str(tmp_path) not in body
    assert f"{path}:3: UndefinedError" in caplog.text


def test_the_good_version_checked_at_start_is_served_after_a_break(
    segment_bot: SlackBot, bot_context, tmp_path, caplog
):
    write_playbook(tmp_path, "premium", "# Good plan\n\n{{ persona.name }}\n")
    bot_context.settings.SMARTCART_TEMPLATES = tmp_path
    assert check_templates_at_start(tmp_path) == []  # what `smartcart serve` does
    path = write_playbook(tmp_path, "premium", "# Broken plan\n\n{{ persona.name }\n")
    with caplog.at_level(logging.WARNING):
        message = segment_bot.ask("playbook premium")
    assert header_of(message) == "Good plan"
    assert f"{path}:3" in caplog.text and "serving the last good version" in caplog.text


def test_problems_found_at_start_are_logged(tmp_path, caplog):
    path = write_playbook(tmp_path, "digital_active", "# D\n{% if numbers %}\n")
    with caplog.at_level(logging.WARNING, logger="smartcart.slack.subcommands.playbook"):
        problems = check_templates_at_start(tmp_path)
    assert len(problems) == 1 and problems[0].startswith(f"{path}:2: ")
    assert problems[0] in caplog.text


# ----------------------------------------------------------------------------------------------
# smartcart playbook, smartcart templates check


def test_playbook_shows_the_change_since_the_last_digest(segment_bot, bot_context, trained):
    assert "Since the last digest" not in all_text(segment_bot.ask("playbook premium"))
    customers = trained.data.customers
    fewer = customers[customers["ID"] % 10 != 0]  # the last digest saw 10% fewer customers
    period = period_at("0 9 * * mon", "UTC", datetime(2024, 4, 2, tzinfo=UTC))
    snapshots.save_snapshot(
        bot_context.service.store, snapshots.take_snapshot(trained.model, fewer, period, "test")
    )
    figures = bot_context.service.figures()
    now = sum(s["size"] for s in figures.persona("premium"))
    before = int((score(trained.model, fewer)["persona"] == "premium").sum())
    text = all_text(segment_bot.ask("playbook premium"))
    assert "Since the last digest" in text
    assert f"{now - before:+,}" in text
