"""Answers shown in a modal (the Home tab has no channel to answer in)."""

from __future__ import annotations

from smartcart.slack.dispatch import Answer
from smartcart.slack.subcommands.export_modal import plain, validated_modal

MAX_MODAL_BLOCKS = 100
MAX_MODAL_TITLE = 24


def answer_modal(title: str, answer: Answer) -> dict:
    """A modal (title, Close button) showing the answer's blocks, validated by slack_sdk."""
    view = {
        "type": "modal",
        "title": plain(title[:MAX_MODAL_TITLE]),
        "close": plain("Close"),
        "blocks": answer.blocks[:MAX_MODAL_BLOCKS],
    }
    return validated_modal(view)
