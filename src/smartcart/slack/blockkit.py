"""Slack text and Block Kit: escaping user text, blocks within Slack's limits, terminal text.

Any user text put in mrkdwn goes through `escape` (or `quote_user_text`). The block helpers cut
their text to Slack's limits; `validate_block` checks one with slack_sdk's own block models.
`smartcart.slack.dispatch` re-exports the helpers, which handlers import from there.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from slack_sdk.models.blocks import Block

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_BUTTON_TEXT = 75
MAX_ACTION_ELEMENTS = 25
MAX_MESSAGE_TEXT = 40000
ECHO_LIMIT = 100

# Unicode bidirectional overrides and isolates: invisible, and able to disguise an echo.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

# ----------------------------------------------------------------------------------------------
# Text: escaping, cleaning, echoing user input


def escape(text: str) -> str:
    """Text made safe for Slack mrkdwn: control characters dropped, `&`, `<`, `>` escaped."""
    cleaned = strip_control_characters(text)
    return cleaned.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape_slack(text: str) -> str:
    """Slack's escaped message text back to plain text (`&gt;`, `&lt;` first, `&amp;` last)."""
    return text.replace("&gt;", ">").replace("&lt;", "<").replace("&amp;", "&")


def strip_control_characters(text: str) -> str:
    """Text without control characters (newlines and tabs kept) nor bidi overrides."""
    return "".join(
        char
        for char in text
        if char in "\n\t" or (unicodedata.category(char) != "Cc" and char not in BIDI_CONTROLS)
    )


def truncate(text: str, limit: int) -> str:
    """Text cut to at most `limit` characters, ending with `…` when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def quote_user_text(text: str, limit: int = ECHO_LIMIT) -> str:
    """User text to echo back in mrkdwn: one line, at most `limit` characters, escaped."""
    one_line = " ".join(strip_control_characters(text).split())
    return escape(truncate(one_line, limit)).replace("`", "'")


# ----------------------------------------------------------------------------------------------
# Block Kit helpers


def section(mrkdwn: str) -> dict:
    """A section block of mrkdwn text (cut to Slack's 3,000 characters)."""
    text = truncate(mrkdwn, MAX_SECTION_TEXT) or " "
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def header(text: str) -> dict:
    """A header block (plain text, cut to Slack's 150 characters)."""
    plain = truncate(" ".join(strip_control_characters(text).split()), MAX_HEADER_TEXT) or " "
    return {"type": "header", "text": {"type": "plain_text", "text": plain, "emoji": True}}


def fields_section(fields: list[str]) -> dict:
    """A section of two-column mrkdwn fields; Slack allows at most 10 (use several sections)."""
    if not fields or len(fields) > MAX_FIELDS:
        raise ValueError(f"a fields section takes 1 to {MAX_FIELDS} fields, got {len(fields)}")
    items = [{"type": "mrkdwn", "text": truncate(text, MAX_FIELD_TEXT) or " "} for text in fields]
    return {"type": "section", "fields": items}


def context_block(mrkdwn: str) -> dict:
    """A context block: one line of small mrkdwn text."""
    text = truncate(mrkdwn, MAX_SECTION_TEXT) or " "
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def divider() -> dict:
    return {"type": "divider"}


def button(text: str, action_id: str, value: str, style: str | None = None) -> dict:
    """A button element; `style` is None, "primary" or "danger"."""
    element = {
        "type": "button",
        "text": {"type": "plain_text", "text": truncate(text, MAX_BUTTON_TEXT), "emoji": True},
        "action_id": action_id,
        "value": value,
    }
    if style:
        element["style"] = style
    return element


def actions(buttons: list[dict]) -> dict:
    """An actions block; Slack allows 25 elements with distinct action_ids."""
    if not buttons or len(buttons) > MAX_ACTION_ELEMENTS:
        raise ValueError(f"an actions block takes 1 to {MAX_ACTION_ELEMENTS} elements")
    return {"type": "actions", "elements": buttons}


OPEN_PLAYBOOK_ACTION = "open_playbook"


def playbook_button(persona_id: str, text: str) -> dict:
    """A button that opens a persona's playbook (handled like `/segment playbook <persona_id>`).

    Its action_id is `open_playbook:<persona_id>` so that several fit in one actions block.
    """
    return button(text, f"{OPEN_PLAYBOOK_ACTION}:{persona_id}", persona_id)


def split_mrkdwn_sections(long_text: str, limit: int = MAX_SECTION_TEXT) -> list[dict]:
    """Section blocks of at most `limit` characters each, cut between paragraphs or lines."""
    return [section(chunk) for chunk in split_text(long_text, limit)]


def split_text(text: str, limit: int) -> list[str]:
    """Text in chunks of at most `limit` characters, cut between paragraphs, else lines."""
    chunks: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        paragraph = paragraph.strip("\n")
        if len(paragraph) <= limit:
            append_piece(chunks, paragraph, "\n\n", limit)
            continue
        separator = "\n\n"
        for line in lines_within(paragraph, limit):
            append_piece(chunks, line, separator, limit)
            separator = "\n"
    return [chunk for chunk in chunks if chunk.strip()] or [" "]


def append_piece(chunks: list[str], piece: str, separator: str, limit: int) -> None:
    """Add a piece to the last chunk if it fits there, else start a new chunk with it."""
    if chunks and len(chunks[-1]) + len(separator) + len(piece) <= limit:
        chunks[-1] += separator + piece
    else:
        chunks.append(piece)


def lines_within(paragraph: str, limit: int) -> Iterator[str]:
    """The paragraph's lines, lines longer than `limit` cut at a space (or anywhere)."""
    for line in paragraph.split("\n"):
        while len(line) > limit:
            cut = safe_cut(line, limit)
            yield line[:cut].rstrip()
            line = line[cut:]
        yield line


def safe_cut(line: str, limit: int) -> int:
    """Where to cut a too long line: the last space before `limit`, never inside `&...;`."""
    space = line.rfind(" ", 0, limit)
    cut = space + 1 if space > limit // 2 else limit
    entity = line.rfind("&", max(0, cut - 8), cut)
    if entity > 0 and ";" not in line[entity:cut]:
        cut = entity
    return max(cut, 1)


def limit_blocks(blocks: list[dict]) -> list[dict]:
    if len(blocks) <= MAX_BLOCKS:
        return blocks
    hidden = len(blocks) - (MAX_BLOCKS - 1)
    return blocks[: MAX_BLOCKS - 1] + [context_block(f"…and {hidden} more not shown.")]


def validate_block(block: dict, index: int) -> None:
    parsed = Block.parse(block)
    if parsed is None:
        raise ValueError(f"block {index} is not a known Block Kit block: {block!r:.200}")
    parsed.validate_json()
    parsed.to_dict()  # validates nested elements (buttons, texts) too


def fallback_text(blocks: list[dict]) -> str:
    """A plain-text fallback taken from the first block that has text."""
    for block in blocks:
        text = block.get("text")
        if isinstance(text, dict) and text.get("text", "").strip():
            return text["text"]
    return "SmartCart Segments"


def block_lines(block: dict) -> list[str]:
    kind = block.get("type")
    if kind == "header":
        title = block["text"]["text"]
        return [title, "=" * len(title)]
    if kind == "divider":
        return ["-" * 40]
    if kind == "context":
        return [plain(element) for element in block.get("elements", []) if plain(element)]
    if kind == "actions":
        return ["  ".join(f"[{plain(element)}]" for element in block.get("elements", []))]
    if kind == "image":
        return [f"(image: {block.get('alt_text', '')})"]
    text = [plain(block["text"])] if block.get("text") else []
    return text + [plain(item) for item in block.get("fields", [])]


def plain(element: dict) -> str:
    """The text of a text object or element, Slack's escaping undone."""
    text = element.get("text", "")
    if isinstance(text, dict):
        text = text.get("text", "")
    return unescape_slack(str(text))
