"""The App Home tab over real HTTP: app_home_opened -> views.publish of the user's Home view."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from smartcart.engine.model.personas import PERSONAS
from smartcart.slack.bot_engine import BotContext, context_factory, health_report
from smartcart.slack.home_tab import HOME_EXPORT_ACTION, HOME_PLAYBOOK_ACTION
from smartcart.slack.settings import Settings
from tests.support.slack_client import SlackBot
from tests.support.slack_standin import invalid_view

# Slack behaviour, not storage: SQLite is enough (the store is tested on both elsewhere).
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def home_opened(user: str = "U0MARKETER", tab: str = "home") -> dict:
    return {
        "type": "app_home_opened",
        "user": user,
        "channel": "D0HOME",
        "tab": tab,
        "event_ts": "1700000002.000100",
    }


def open_home(bot: SlackBot, user: str = "U0MARKETER") -> dict:
    assert bot.event(home_opened(user)).status == 200
    view = bot.standin.published_view(user)
    assert view is not None, "views.publish was refused by the stand-in"
    return view


def action_ids(view: dict) -> list[str]:
    return [
        element["action_id"]
        for block in view["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]


@SQLITE_ONLY
def test_the_home_tab_shows_the_model_personas_digest_and_help(
    segment_bot: SlackBot, bot_context: BotContext
) -> None:
    view = open_home(segment_bot)
    assert view["type"] == "home" and invalid_view(view, "home") == []
    text = json.dumps(view)
    version = bot_context.service.live_version()
    assert f"Live model {version}" in text
    figures = bot_context.service.figures()
    for segment in figures.segments:
        assert segment["name"] in text or any(p.name in text for p in PERSONAS)
    premium = figures.persona("premium")
    assert f"{sum(s['size'] for s in premium):,} (" in text
    assert "Share of revenue" in text and "no digest yet" in text
    assert "Not posted anywhere yet" in text  # no digest channel in this environment
    assert "/segment help" in text
    ids = action_ids(view)
    present = {s["persona"] for s in figures.segments}
    assert {f"{HOME_PLAYBOOK_ACTION}:{p}" for p in present} <= set(ids)
    assert {f"{HOME_EXPORT_ACTION}:{p}" for p in present} <= set(ids)


@SQLITE_ONLY
def test_users_outside_the_allowed_lists_see_no_export_buttons(
    slack_bot: Callable[..., SlackBot], bot_context: BotContext, engine_settings: Settings
) -> None:
    restricted = engine_settings.model_copy(update={"SMARTCART_ALLOWED_USERS": ["U0ANALYST"]})
    bot = slack_bot(context_factory(bot_context), health_report(bot_context), settings=restricted)
    intern = open_home(bot, "U0INTERN")
    assert not [a for a in action_ids(intern) if a.startswith(HOME_EXPORT_ACTION)]
    assert "/segment export" not in json.dumps(intern)
    analyst = open_home(bot, "U0ANALYST")
    assert [a for a in action_ids(analyst) if a.startswith(HOME_EXPORT_ACTION)]


@SQLITE_ONLY
def test_a_channel_allow_list_hides_exports_from_the_home_tab(
    slack_bot: Callable[..., SlackBot], bot_context: BotContext, engine_settings: Settings
) -> None:
    restricted = engine_settings.model_copy(update={"SMARTCART_ALLOWED_CHANNELS": ["C0ALLOWED"]})
    bot = slack_bot(context_factory(bot_context), settings=restricted)
    assert not [a for a in action_ids(open_home(bot)) if a.startswith(HOME_EXPORT_ACTION)]


@SQLITE_ONLY
def test_the_messages_tab_publishes_nothing(segment_bot: SlackBot) -> None:
    assert segment_bot.event(home_opened(tab="messages")).status == 200
    segment_bot.event(home_opened(user="U0OTHER"))
    segment_bot.standin.wait_for("views.publish")
    published = [c.body["user_id"] for c in segment_bot.standin.calls("views.publish")]
    assert published == ["U0OTHER"]


def test_without_a_model_the_home_tab_says_so(slack_bot: Callable[..., SlackBot]) -> None:
    from smartcart.slack.dispatch import UserError

    def no_model() -> object:
        raise UserError("No segments yet: an analyst needs to run `smartcart train` first.")

    bot = slack_bot(no_model)
    view = open_home(bot)
    assert "No segments yet" in json.dumps(view)
    assert not action_ids(view)


@SQLITE_ONLY
def test_a_playbook_button_in_the_home_tab_opens_the_playbook_in_a_modal(
    segment_bot: SlackBot,
) -> None:
    assert segment_bot.click_in_home(f"{HOME_PLAYBOOK_ACTION}:premium", "premium").status == 200
    (call,) = segment_bot.standin.wait_for("views.open")
    assert call.body["trigger_id"] == "1234567890.1234567890.home"
    (modal,) = segment_bot.standin.opened_views()
    assert modal["type"] == "modal" and "Premium" in json.dumps(modal)


@SQLITE_ONLY
def test_an_export_button_in_the_home_tab_opens_the_form_with_the_persona(
    segment_bot: SlackBot,
) -> None:
    segment_bot.click_in_home(f"{HOME_EXPORT_ACTION}:family_budget", "family_budget")
    segment_bot.standin.wait_for("views.open")
    (form,) = segment_bot.standin.opened_views()
    persona = next(b for b in form["blocks"] if b.get("block_id") == "persona")
    assert persona["element"]["initial_option"]["value"] == "family_budget"
    assert json.loads(form["private_metadata"]) == {"channel": "app_home"}


@SQLITE_ONLY
def test_an_export_click_by_a_user_no_longer_allowed_is_refused_and_audited(
    slack_bot: Callable[..., SlackBot], bot_context: BotContext, engine_settings: Settings
) -> None:
    restricted = engine_settings.model_copy(update={"SMARTCART_ALLOWED_USERS": ["U0ANALYST"]})
    bot_context.settings = restricted  # the audit trail judges with the bot's settings
    bot = slack_bot(context_factory(bot_context), settings=restricted)
    bot.click_in_home(f"{HOME_EXPORT_ACTION}:premium", "premium", user_id="U0INTERN")
    bot.standin.wait_for("views.open")
    (modal,) = bot.standin.opened_views()
    assert "aren't enabled here" in json.dumps(modal)
    (entry,) = bot_context.service.store.audit_entries("export")
    assert (entry["user_id"], entry["channel_id"], entry["allowed"]) == (
        "U0INTERN",
        "app_home",
        False,
    )
