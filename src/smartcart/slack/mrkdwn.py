"""Markdown -> Slack mrkdwn: bold `*x*`, headings as bold lines, `<url|text>`, • bullets.

The playbooks render to Markdown (`smartcart.engine.reports.playbooks`); this is how the bot shows them.
"""

from __future__ import annotations

import re

HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
BULLET = re.compile(r"^(\s*)[-*+]\s+(.*)$")
QUOTE = re.compile(r"^\s{0,3}>\s?(.*)$")
RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
FENCE = re.compile(r"^\s{0,3}```")
ORDERED = re.compile(r"^\s*\d+[.)]\s+")
TABLE_ROW = re.compile(r"^\s*\|")
CODE_SPAN = re.compile(r"(`[^`\n]+`)")
BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*|__(?=\S)(.+?)(?<=\S)__")
ITALIC = re.compile(r"(?<![*\w])\*(?=\S)([^*]+?)(?<=\S)\*(?![*\w])")
STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
LINK = re.compile(r"\[([^\]\n]+)\]\(((?:https?://|mailto:)[^)\s|<>]+)\)")
BOLD_MARK = "\x00"


def to_mrkdwn(markdown: str) -> str:
    """Markdown as Slack mrkdwn: bold `*x*`, headings as bold lines, `<url|text>`, • bullets.

    Text is escaped for Slack (`&`, `<`, `>`), so a template cannot mention @channel or users;
    only http(s) and mailto links become links. Code fences are kept as they are.
    """
    out: list[str] = []
    in_fence = False
    for line in unwrap(markdown.splitlines()):
        if FENCE.match(line):
            in_fence = not in_fence
            out.append("```")
        elif in_fence:
            out.append(slack_escape(line))
        else:
            out.append(convert_line(line))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip() + "\n"


def convert_line(line: str) -> str:
    if RULE.match(line):
        return ""
    if heading := HEADING.match(line):
        text = inline(heading.group(1)).replace("*", "")
        return f"*{text}*" if text else ""
    if bullet := BULLET.match(line):
        mark = "    ◦" if len(bullet.group(1).expandtabs(4)) >= 2 else "•"
        return f"{mark} {inline(bullet.group(2))}"
    if quote := QUOTE.match(line):
        return f"> {inline(quote.group(1))}"
    return inline(line.rstrip())


def inline(text: str) -> str:
    """Inline Markdown of one line as mrkdwn; code spans are left as they are."""
    parts = CODE_SPAN.split(text)
    return "".join(
        slack_escape(part) if part.startswith("`") else inline_markup(part) for part in parts
    )


def inline_markup(text: str) -> str:
    text = slack_escape(text)
    text = BOLD.sub(lambda m: BOLD_MARK + (m.group(1) or m.group(2)) + BOLD_MARK, text)
    text = ITALIC.sub(r"_\1_", text)
    text = STRIKE.sub(r"~\1~", text).replace(BOLD_MARK, "*")
    return LINK.sub(lambda m: f"<{m.group(2)}|{m.group(1)}>", text)


def slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unwrap(lines: list[str]) -> list[str]:
    """Join a paragraph's wrapped lines into one, as Markdown shows them (Slack keeps breaks)."""
    out: list[str] = []
    in_fence = False
    for line in lines:
        if FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence and out and continues(out[-1], line):
            out[-1] = out[-1].rstrip() + " " + line.strip()
            continue
        out.append(line)
    return out


def continues(previous: str, line: str) -> bool:
    """Whether `line` is a wrapped continuation of the paragraph (or item) above it."""
    if not previous.strip() or not line.strip() or previous.endswith("  "):
        return False
    starts_block = (HEADING, BULLET, QUOTE, RULE, FENCE, ORDERED, TABLE_ROW)
    if any(pattern.match(line) for pattern in starts_block):
        return False
    ends_block = (HEADING, RULE, FENCE, TABLE_ROW)
    return not any(pattern.match(previous) for pattern in ends_block)
