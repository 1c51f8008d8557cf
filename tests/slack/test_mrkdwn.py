"""Markdown -> Slack mrkdwn (`smartcart/slack/mrkdwn.py`): emphasis, headings, lists, links, escaping."""

from __future__ import annotations

import pytest

from smartcart.slack.mrkdwn import to_mrkdwn


@pytest.mark.parametrize(
    ("markdown", "mrkdwn"),
    [
        ("**bold** and *italic* and _also_", "*bold* and _italic_ and _also_"),
        ("## A heading", "*A heading*"),
        ("### **Bold** heading", "*Bold heading*"),
        ("- one\n* two\n+ three", "• one\n• two\n• three"),
        ("- top\n  - nested", "• top\n    ◦ nested"),
        (
            "See [the brief](https://example.com/a_b?x=1&y=2).",
            "See <https://example.com/a_b?x=1&amp;y=2|the brief>.",
        ),
        ("[not a link](javascript:alert(1))", "[not a link](javascript:alert(1))"),
        ("<!channel> & <@U123> > 3", "&lt;!channel&gt; &amp; &lt;@U123&gt; &gt; 3"),
        ("> a quote\n\n---\n\nafter", "> a quote\n\nafter"),
        ("`**kept**` but **bold**", "`**kept**` but *bold*"),
        ("~~gone~~", "~gone~"),
        ("a wrapped\nparagraph\n\nnext", "a wrapped paragraph\n\nnext"),
        ("- item\n  continued", "• item continued"),
        ("1. first\n2. second", "1. first\n2. second"),
        ("```\n**raw** <x>\n```", "```\n**raw** &lt;x&gt;\n```"),
        ("hard  \nbreak", "hard\nbreak"),
    ],
)
def test_markdown_becomes_slack_mrkdwn(markdown, mrkdwn):
    assert to_mrkdwn(markdown) == mrkdwn + "\n"
