"""A button's `block_actions` payload as the `Request` the dispatcher answers."""

from __future__ import annotations

from smartcart.slack.dispatch import Request


def request_from_action(body: dict, action: dict, text: str) -> Request:
    user = body.get("user") or {}
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id", ""
    )
    return Request(
        text=text,
        user_id=user.get("id", ""),
        channel_id=channel,
        user_name=user.get("username") or user.get("name", ""),
    )
