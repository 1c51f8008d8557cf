"""Sharing private answers in the channel: the "Share in channel" button and its credit line.

Slack sends no message content with a click on an ephemeral message, so the button carries the
command to answer again (`summary`, `playbook premium`, ...) in its value. Clicked, the command is
answered afresh (same access rules) and posted in the channel with who shared it; `share` typed
after a command (`/segment summary share`) gets the same credit line.
"""

from __future__ import annotations

import re
from dataclasses import replace

from smartcart.slack.blockkit import MAX_BLOCKS, actions, button, context_block, truncate
from smartcart.slack.command import Command
from smartcart.slack.dispatch import Answer, Request

SHARE_ACTION = "share_answer"
SHARE_WORD = "share"
SHAREABLE = frozenset({"summary", "playbook", "personas", "model"})
MAX_BUTTON_VALUE = 2000
SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,20}$")


def shared_command(command: Command) -> str:
    """The command a button should answer again: `playbook premium share` -> `playbook premium`."""
    args = list(command.args)
    if args and args[-1].lower() == SHARE_WORD:
        args = args[:-1]
    return truncate(" ".join([command.name, *args]), MAX_BUTTON_VALUE)


def can_be_shared(command: Command) -> bool:
    return command.name in SHAREABLE


def for_slack(answer: Answer, request: Request) -> Answer:
    """A shareable answer with its button (private) or who shared it (in the channel)."""
    if not answer.shareable:
        return answer
    if answer.response_type == "in_channel":
        return with_sharer(answer, request.user_id)
    return with_share_button(answer, shared_command(request.command))


def with_share_button(answer: Answer, command: str) -> Answer:
    share = actions([button("Share in channel", SHARE_ACTION, command, style="primary")])
    return replace(answer, blocks=[*answer.blocks[: MAX_BLOCKS - 1], share])


def with_sharer(answer: Answer, user_id: str) -> Answer:
    who = f"<@{user_id}>" if SLACK_USER_ID.match(user_id or "") else "someone"
    credit = context_block(f":busts_in_silhouette: Shared by {who}")
    return replace(
        answer,
        text=f"Shared by {who}: {answer.text}",
        blocks=[credit, *answer.blocks][:MAX_BLOCKS],
    )
