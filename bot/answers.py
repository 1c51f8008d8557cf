"""The `/segment` command dispatcher, shared by Slack and the local CLI (`smartcart ask`).

A request's text is split on whitespace; the first word names a subcommand, the rest are its
arguments. This module registers only `help` (also what an empty text gets). The engine-backed
subcommands (`customer`, `summary`, `playbook`, `personas`, `export`, `model`) are registered by
`bot/views/*.py` with the `handles` decorator:

    from bot.answers import Answer, Request, UserError, handles, section

    @handles("customer", "customer <id>", "Persona, drivers and next action of one customer")
    def customer(ctx, args: list[str], request: Request) -> Answer:
        if not args:
            raise UserError("Which customer? Try `/segment customer 5524`.")
        ...
        return Answer(text="...", blocks=[section("...")])

A handler gets the opaque `ctx` passed to `dispatch` (the engine side builds it), the arguments
as plain text (Slack's `&amp;`, `&lt;`, `&gt;` already decoded, control characters removed) and
the request. It returns an `Answer`: a plain-text fallback `text` plus Block Kit `blocks` built
with the helpers below. Any user text put in mrkdwn must go through `escape` (or `quote_user_text`).
Raising `UserError("...")` answers that plain-text message (escaped for you); any other exception
is logged with its traceback and the user gets "Something went wrong on our side (ref XXXXXX)".
Every answer passes through `finalize`, which enforces Slack's limits and validates each block
with slack_sdk's own block models.
"""

from __future__ import annotations

import logging
import re
import secrets
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from slack_sdk.models.blocks import Block

logger = logging.getLogger(__name__)

SLASH_COMMAND = "/segment"
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_BUTTON_TEXT = 75
MAX_ACTION_ELEMENTS = 25
MAX_MESSAGE_TEXT = 40000
ECHO_LIMIT = 100
RESPONSE_TYPES = ("ephemeral", "in_channel")

# Unicode bidirectional overrides and isolates: invisible, and able to disguise an echo.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


@dataclass
class Upload:
    """A file to upload after the answer (a chart, a CSV)."""

    filename: str
    content: bytes
    title: str
    initial_comment: str | None = None
    # An image Slack may show inside the answer (an image block) rather than as a file.
    inline: bool = False


@dataclass
class Answer:
    """What the bot answers: Slack's message payload plus files to upload after it."""

    text: str
    blocks: list[dict] = field(default_factory=list)
    response_type: str = "ephemeral"
    uploads: list[Upload] = field(default_factory=list)
    # Facts for the audit trail (e.g. {"rows": 120}); never sent to Slack.
    audit: dict[str, Any] = field(default_factory=dict)
    # A result worth posting in the channel: Slack adds a "Share in channel" button to it.
    shareable: bool = False

    def payload(self) -> dict[str, Any]:
        """The message as Slack gets it (what `smartcart ask --json` prints)."""
        return {"response_type": self.response_type, "text": self.text, "blocks": self.blocks}


@dataclass
class Request:
    """One `/segment` request: its text (plain text, not Slack-escaped) and who asked where."""

    text: str
    user_id: str
    channel_id: str
    user_name: str = ""


class UserError(Exception):
    """Raised by a handler to answer a friendly plain-text message instead of a result."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


Handler = Callable[[Any, list[str], Request], Answer]


@dataclass(frozen=True)
class Subcommand:
    name: str
    usage: str
    summary: str
    handler: Handler


Registry = dict[str, Subcommand]
_registry: Registry = {}


def handles(name: str, usage: str, summary: str) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of subcommand `name`.

    `usage` is what follows `/segment` (e.g. `"customer <id>"`), `summary` one line for `help`.
    Registering a name again replaces the earlier handler.
    """

    def register(handler: Handler) -> Handler:
        _registry[name.lower()] = Subcommand(name.lower(), usage, summary, handler)
        return handler

    return register


def subcommands() -> list[Subcommand]:
    """Registered subcommands in registration order, `help` last."""
    return sorted(_registry.values(), key=lambda sub: sub.name == "help")


def snapshot_registry() -> Registry:
    """A copy of the registry, to give back to `restore_registry` (tests use this)."""
    return dict(_registry)


def restore_registry(snapshot: Registry) -> None:
    """Make the registry exactly `snapshot` again."""
    _registry.clear()
    _registry.update(snapshot)


@contextmanager
def registry_restored() -> Iterator[None]:
    """Within the block, registrations may change; afterwards the registry is as before."""
    snapshot = snapshot_registry()
    try:
        yield
    finally:
        restore_registry(snapshot)


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


def context(mrkdwn: str) -> dict:
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


def finalize(answer: Answer) -> Answer:
    """The answer within Slack's limits (50 blocks, fallback text) with every block validated.

    Raises ValueError (or slack_sdk's SlackObjectFormationError) for a block Slack would reject.
    """
    if answer.response_type not in RESPONSE_TYPES:
        raise ValueError(f"response_type must be one of {RESPONSE_TYPES}")
    blocks = limit_blocks(list(answer.blocks))
    for index, block in enumerate(blocks):
        validate_block(block, index)
    text = truncate(answer.text.strip() or fallback_text(blocks), MAX_MESSAGE_TEXT)
    return replace(answer, text=text, blocks=blocks)


def limit_blocks(blocks: list[dict]) -> list[dict]:
    if len(blocks) <= MAX_BLOCKS:
        return blocks
    hidden = len(blocks) - (MAX_BLOCKS - 1)
    return blocks[: MAX_BLOCKS - 1] + [context(f"…and {hidden} more not shown.")]


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


def render_text(answer: Answer) -> str:
    """The answer as readable terminal text (for `smartcart ask`): blocks, files, no markup."""
    lines = [line for block in answer.blocks for line in block_lines(block)]
    if not lines:
        lines = [unescape_slack(answer.text)]
    lines += [f"[file] {upload.filename}: {upload.title}" for upload in answer.uploads]
    return "\n".join(lines)


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


# ----------------------------------------------------------------------------------------------
# Dispatch


def parse(text: str) -> tuple[str, list[str]]:
    """`"customer 5524"` -> `("customer", ["5524"])`; a leading `/segment` is dropped."""
    words = strip_control_characters(text).split()
    if words and words[0].lower() == SLASH_COMMAND:
        words = words[1:]
    if not words:
        return "", []
    return words[0].lower(), words[1:]


def subcommand_name(text: str) -> str:
    """The subcommand a text asks for (lower case; empty for an empty text)."""
    return parse(text)[0]


def dispatch(ctx: Any, request: Request) -> Answer:
    """Answer a request through its subcommand's handler; never raises."""
    name, args = parse(request.text)
    subcommand = _registry.get(name or "help")
    if subcommand is None:
        return unknown_subcommand_answer(request.text)
    return answer_safely(request, lambda: subcommand.handler(ctx, args, request))


def answer_safely(request: Request, produce: Callable[[], Answer]) -> Answer:
    """`produce()` finalized; a UserError or any failure becomes a friendly answer."""
    try:
        return finalize(produce())
    except UserError as error:
        return user_error_answer(error.message)
    except Exception:
        return internal_error_answer(request)


def user_error_answer(message: str) -> Answer:
    safe = escape(message)
    return Answer(text=safe, blocks=[section(safe)])


def internal_error_answer(request: Request) -> Answer:
    """Log the current exception with a reference the user can quote; answer without details."""
    reference = secrets.token_hex(3).upper()
    logger.exception(
        "ref %s: /segment failed for user %s in %s: %r",
        reference,
        request.user_id,
        request.channel_id,
        truncate(request.text, 200),
    )
    message = (
        f":warning: Something went wrong on our side (ref {reference}). "
        "Please try again in a moment; if it keeps happening, tell the bot's admins this ref."
    )
    return Answer(text=message, blocks=[section(message)])


def unknown_subcommand_answer(text: str) -> Answer:
    echo = quote_user_text(text)
    names = ", ".join(f"`{sub.name}`" for sub in subcommands())
    message = f"Sorry, I don't know `{SLASH_COMMAND} {echo}`."
    hint = f"Try one of {names} — or `{SLASH_COMMAND} help` for what each does."
    return Answer(text=f"{message} {hint}", blocks=[section(message), context(hint)])


def refusal_answer(reason: str) -> Answer:
    """A friendly 'not here / not for you' answer (access checks)."""
    message = f":lock: {escape(reason)}"
    return Answer(text=message, blocks=[section(message)])


def usage_lines(items: Iterable[Subcommand]) -> str:
    return "\n".join(
        f"`{SLASH_COMMAND} {escape(sub.usage)}` — {escape(sub.summary)}" for sub in items
    )


def usage_answer() -> Answer:
    """The list of every registered subcommand with its usage and summary."""
    intro = "Ask me about our customer segments. Answers are visible only to you unless noted."
    blocks = [header("SmartCart Segments"), section(intro)]
    blocks += split_mrkdwn_sections(usage_lines(subcommands()))
    text = f"SmartCart Segments: {intro}\n{usage_lines(subcommands())}"
    return finalize(Answer(text=text, blocks=blocks))


@handles("help", "help", "This list of commands")
def show_help(ctx: Any, args: list[str], request: Request) -> Answer:
    return usage_answer()


def is_allowed(request: Request, channels: list[str], users: list[str]) -> bool:
    """Whether a request passes the allow-lists (an empty list allows everyone)."""
    channel_ok = not channels or request.channel_id in channels
    user_ok = not users or request.user_id in users
    return channel_ok and user_ok


CUSTOMER_DATA_SUBCOMMANDS = frozenset({"customer", "export"})


def looks_up_customers(text: str) -> bool:
    """Whether a request's subcommand reveals customer-level data (access-checked, audited)."""
    return subcommand_name(text) in CUSTOMER_DATA_SUBCOMMANDS


__all__ = [
    "Answer",
    "Request",
    "Upload",
    "UserError",
    "actions",
    "button",
    "context",
    "dispatch",
    "divider",
    "escape",
    "fields_section",
    "finalize",
    "handles",
    "header",
    "playbook_button",
    "quote_user_text",
    "render_text",
    "section",
    "split_mrkdwn_sections",
]
