"""Talking to the running bot as Slack does: signed slash commands, button clicks and events."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from slack_bolt import App

from smartcart.slack.settings import Settings
from tests.support.signing import (
    JSON,
    TEST_SIGNING_SECRET,
    Reply,
    block_actions_body,
    event_body,
    get,
    home_block_actions_body,
    post_signed,
    slash_command_body,
    view_submission_body,
)
from tests.support.slack_standin import SlackStandIn


@dataclass
class SlackBot:
    """A bot served over real HTTP, with the stand-in it talks to."""

    app: App
    base_url: str
    standin: SlackStandIn
    settings: Settings
    secret: str = TEST_SIGNING_SECRET
    counter: Any = field(default_factory=lambda: itertools.count(1))

    @property
    def events_url(self) -> str:
        return f"{self.base_url}/slack/events"

    def new_response_url(self) -> str:
        return self.standin.response_url(f"r{next(self.counter)}")

    def command(self, text: str, response_url: str | None = None, **fields: str) -> Reply:
        """Post `/segment <text>` signed; returns the HTTP reply (the ack)."""
        body = slash_command_body(text, response_url or self.new_response_url(), **fields)
        return post_signed(self.events_url, body, self.secret)

    def ask(self, text: str, timeout: float = 5.0, **fields: str) -> dict[str, Any]:
        """Post `/segment <text>`, check the ack, return the message posted to its response_url."""
        response_url = self.new_response_url()
        reply = self.command(text, response_url, **fields)
        assert reply.status == 200, (reply.status, reply.text)
        return self.standin.wait_for_response(response_url, timeout)

    def click(
        self, action_id: str, value: str, response_url: str | None = None, **fields: str
    ) -> Reply:
        """Post a signed block_actions payload for a button."""
        body = block_actions_body(
            action_id, value, response_url or self.new_response_url(), **fields
        )
        return post_signed(self.events_url, body, self.secret)

    def click_in_home(self, action_id: str, value: str, **fields: str) -> Reply:
        """Post a signed block_actions payload for a button of the App Home tab."""
        body = home_block_actions_body(action_id, value, **fields)
        return post_signed(self.events_url, body, self.secret)

    def submit(self, callback_id: str, values: dict, **fields: str) -> Reply:
        """Post a signed view_submission; the reply's JSON (if any) is the modal's answer."""
        body = view_submission_body(callback_id, values, **fields)
        return post_signed(self.events_url, body, self.secret)

    def event(self, event: dict[str, Any]) -> Reply:
        """Post a signed Events API callback."""
        return post_signed(self.events_url, event_body(event), self.secret, content_type=JSON)

    def get(self, path: str) -> Reply:
        return get(f"{self.base_url}{path}")
