"""The `/segment` command dispatcher, shared by Slack and the local CLI (`smartcart ask`).

A request's text is split on whitespace; the first word names a subcommand, the rest are its
arguments. This module registers only `help` (also what an empty text gets). The engine-backed
subcommands (`customer`, `summary`, `playbook`, `personas`, `export`, `model`) are registered by
`smartcart/slack/subcommands/*.py` with the `handles` decorator:

    from smartcart.slack.blockkit import section
    from smartcart.slack.dispatch import Answer, Request, UserError, handles

    @handles("customer", "customer <id>", "Persona, drivers and next action of one customer")
    def customer(ctx, args: list[str], request: Request) -> Answer:
        if not args:
            raise UserError("Which customer? Try `/segment customer 5524`.")
        ...
        return Answer(text="...", blocks=[section("...")])

The text and Block Kit helpers live in `smartcart.slack.blockkit` and are re-exported here. A handler gets the opaque `ctx` passed to `dispatch` (the engine side builds it), the arguments
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
import secrets
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from smartcart.engine import ModelError
from smartcart.slack.blockkit import (
    MAX_MESSAGE_TEXT,
    block_lines,
    context_block,
    escape,
    fallback_text,
    header,
    limit_blocks,
    quote_user_text,
    section,
    split_mrkdwn_sections,
    truncate,
    unescape_slack,
    validate_block,
)
from smartcart.slack.command import SLASH_COMMAND, Command, parse_command

logger = logging.getLogger(__name__)

RESPONSE_TYPES = ("ephemeral", "in_channel")


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
    # What the handler made (e.g. an audience export), for local callers such as the CLI;
    # never sent to Slack.
    result: Any = None
    # How the request went, for the metrics: ok, user_error, unknown, refused or error.
    outcome: str = "ok"

    def payload(self) -> dict[str, Any]:
        """The message as Slack gets it (what `smartcart ask --json` prints)."""
        return {"response_type": self.response_type, "text": self.text, "blocks": self.blocks}


ORIGINS = ("slack", "cli")


@dataclass(frozen=True)
class Request:
    """One `/segment` request: its text (plain text, not Slack-escaped), who asked where, and
    from where (`slack`, or `cli`: the local command line). The text is parsed once, on
    construction, into `command`; everything after reads that."""

    text: str
    user_id: str
    channel_id: str
    user_name: str = ""
    origin: str = "slack"
    command: Command = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.origin not in ORIGINS:
            raise ValueError(f"origin must be one of {ORIGINS}")
        object.__setattr__(self, "command", parse_command(self.text))


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
    # What the ack shows at once when the answer takes a while (a chart to draw), e.g.
    # "Putting the summary together…"; the answer then replaces it.
    on_its_way: str | None = None


Registry = dict[str, Subcommand]
_registry: Registry = {}


def handles(
    name: str, usage: str, summary: str, on_its_way: str | None = None
) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of subcommand `name`.

    `usage` is what follows `/segment` (e.g. `"customer <id>"`), `summary` one line for `help`,
    `on_its_way` what the ack shows at once for a slow private answer (see `on_its_way`).
    Registering a name again replaces the earlier handler.
    """

    def register(handler: Handler) -> Handler:
        _registry[name.lower()] = Subcommand(name.lower(), usage, summary, handler, on_its_way)
        return handler

    return register


def on_its_way(command: Command) -> str | None:
    """The line a slow subcommand's ack shows while its private answer is made (None: no line).

    Only private answers: an answer shared in the channel cannot replace a private line."""
    subcommand = _registry.get(command.name or "help")
    if subcommand is None or "share" in (a.lower() for a in command.args):
        return None
    return subcommand.on_its_way


def metric_label(command: Command) -> str:
    """The subcommand asked for, as a metric label: a registered name, else `unknown`."""
    name = command.name or "help"
    return name if name in _registry else "unknown"


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


def render_text(answer: Answer) -> str:
    """The answer as readable terminal text (for `smartcart ask`): blocks, files, no markup."""
    lines = [line for block in answer.blocks for line in block_lines(block)]
    if not lines:
        lines = [unescape_slack(answer.text)]
    lines += [f"[file] {upload.filename}: {upload.title}" for upload in answer.uploads]
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------
# Dispatch


def dispatch(ctx: Any, request: Request) -> Answer:
    """Answer a request through its subcommand's handler; never raises."""
    command = request.command
    subcommand = _registry.get(command.name or "help")
    if subcommand is None:
        return unknown_subcommand_answer(request.text)
    return answer_safely(request, lambda: subcommand.handler(ctx, list(command.args), request))


def answer_safely(request: Request, produce: Callable[[], Answer]) -> Answer:
    """`produce()` finalized; a UserError or any failure becomes a friendly answer."""
    try:
        return finalize(produce())
    except UserError as error:
        return user_error_answer(error.message)
    except ModelError as error:
        return unreadable_model_answer(error)
    except Exception:
        return internal_error_answer(request)


def unreadable_model_answer(error: ModelError) -> Answer:
    """The live model cannot be read (e.g. written by an incompatible release): say what fixes it."""
    logger.error("the live model cannot be read: %s", error)
    message = (
        ":warning: The live model can't be read by this version of the bot. "
        "An admin needs to run `smartcart train` (the bot's log has the details)."
    )
    return Answer(text=message, blocks=[section(message)], outcome="error")


def user_error_answer(message: str) -> Answer:
    safe = escape(message)
    return Answer(text=safe, blocks=[section(safe)], outcome="user_error")


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
    return Answer(text=message, blocks=[section(message)], outcome="error")


def unknown_subcommand_answer(text: str) -> Answer:
    echo = quote_user_text(text)
    names = ", ".join(f"`{sub.name}`" for sub in subcommands())
    message = f"Sorry, I don't know `{SLASH_COMMAND} {echo}`."
    hint = f"Try one of {names} — or `{SLASH_COMMAND} help` for what each does."
    blocks = [section(message), context_block(hint)]
    return Answer(text=f"{message} {hint}", blocks=blocks, outcome="unknown")


def refusal_answer(reason: str) -> Answer:
    """A friendly 'not here / not for you' answer (access checks)."""
    message = f":lock: {escape(reason)}"
    return Answer(text=message, blocks=[section(message)], outcome="refused")


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
