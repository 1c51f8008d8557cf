"""Buttons over real HTTP: `open_playbook` clicks are answered like `/segment playbook <value>`."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from smartcart.slack.blockkit import actions, playbook_button, section
from smartcart.slack.dispatch import Answer, Request, handles
from tests.support.slack_client import SlackBot
from tests.support.slack_standin import RESPONSE_URL

pytestmark = pytest.mark.usefixtures("isolated_registry")


@pytest.fixture
def bot(slack_bot: Callable[..., SlackBot]) -> SlackBot:
    return slack_bot()


def register_playbook(seen: list[Request]) -> None:
    @handles("playbook", "playbook <persona>", "A persona's playbook")
    def playbook(ctx: object, args: list[str], request: Request) -> Answer:
        seen.append(request)
        text = f"Playbook of {args[0]}"
        return Answer(text=text, blocks=[section(text)])


@pytest.mark.parametrize("action_id", ["open_playbook", "open_playbook:premium"])
def test_a_playbook_button_is_answered_as_the_playbook_command(
    bot: SlackBot, action_id: str
) -> None:
    seen: list[Request] = []
    register_playbook(seen)
    response_url = bot.new_response_url()
    reply = bot.click(action_id, "premium", response_url, user_id="U0PLANNER")
    assert (reply.status, reply.text) == (200, "")
    message = bot.standin.wait_for_response(response_url)
    assert message["text"] == "Playbook of premium"
    assert message["replace_original"] is False  # the summary with its buttons stays
    assert [(r.text, r.user_id, r.channel_id) for r in seen] == [
        ("playbook premium", "U0PLANNER", "C0MARKETING")
    ]


def test_a_button_before_playbooks_exist_gets_the_usage_error(bot: SlackBot) -> None:
    response_url = bot.new_response_url()
    assert bot.click("open_playbook:premium", "premium", response_url).status == 200
    message = bot.standin.wait_for_response(response_url)
    assert message["text"].startswith("Sorry, I don't know `/segment playbook premium`.")


def test_a_hostile_button_value_is_escaped(bot: SlackBot) -> None:
    response_url = bot.new_response_url()
    bot.click("open_playbook", "<!channel> & co", response_url)
    message = bot.standin.wait_for_response(response_url)
    assert "&lt;!channel&gt; &amp; co" in message["text"]
    assert "<!channel>" not in json.dumps(message)


def test_other_buttons_are_only_acknowledged(bot: SlackBot) -> None:
    assert bot.click("open_dashboard_link", "x").status == 200
    bot.ask("help")
    assert len(bot.standin.calls(RESPONSE_URL)) == 1


def test_playbook_buttons_fit_together_in_one_valid_block() -> None:
    block = actions([playbook_button(p, p.title()) for p in ("premium", "family_budget")])
    action_ids = [element["action_id"] for element in block["elements"]]
    assert len(set(action_ids)) == 2
