"""`/segment` over real HTTP: ack first, answer at the response_url, files after, never a crash."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from smartcart.slack.access import Decision, decide
from smartcart.slack.blockkit import section
from smartcart.slack.dispatch import Answer, Request, Upload, UserError, handles
from smartcart.slack.settings import Settings
from tests.support.slack_client import SlackBot
from tests.support.slack_standin import RESPONSE_URL, UPLOAD

pytestmark = pytest.mark.usefixtures("isolated_registry")

StartBot = Callable[..., SlackBot]


@dataclass
class AuditedContext:
    """What the engine side would pass as ctx: here only its access decision and audit trail
    matter (the decision as `BotContext` makes it, without a store: no lookup limit)."""

    settings: Settings
    lookups: list[tuple[Request, Answer]] = field(default_factory=list)

    def decide(self, request: Request) -> Decision:
        return decide(self.settings, request)

    def audit(self, request: Request, answer: Answer, decision: Decision) -> None:
        self.lookups.append((request, answer))


def bot_with_context(slack_bot: StartBot, settings: Settings) -> SlackBot:
    ctx = AuditedContext(settings)
    return slack_bot(lambda: ctx, settings=settings)


@pytest.fixture
def bot(slack_bot: StartBot, settings_env: Settings) -> SlackBot:
    return bot_with_context(slack_bot, settings_env)


def texts_of(message: dict[str, Any]) -> list[str]:
    """The fallback text and every mrkdwn/plain text of a message's blocks."""
    found = [message.get("text", "")]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") in ("mrkdwn", "plain_text"):
                found.append(node.get("text", ""))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(message.get("blocks", []))
    return found


@pytest.mark.parametrize("text", ["help", "", "  ", "HELP"])
def test_help_and_empty_text_get_the_usage(bot: SlackBot, text: str) -> None:
    message = bot.ask(text)
    assert message["response_type"] == "ephemeral"
    assert "/segment help" in message["text"]
    assert message["blocks"][0]["type"] == "header"


def test_the_ack_is_empty_and_comes_before_the_answer(bot: SlackBot) -> None:
    release = threading.Event()

    @handles("slow", "slow", "Takes its time")
    def slow(ctx: object, args: list[str], request: Request) -> Answer:
        release.wait(5)
        return Answer(text="finally", blocks=[section("finally")])

    response_url = bot.new_response_url()
    reply = bot.command("slow", response_url)
    assert (reply.status, reply.text) == (200, "")
    assert bot.standin.calls(RESPONSE_URL) == []
    release.set()
    assert bot.standin.wait_for_response(response_url)["text"] == "finally"


def test_unknown_subcommand_gets_a_usage_error(bot: SlackBot) -> None:
    message = bot.ask("frobnicate 42")
    assert message["text"].startswith("Sorry, I don't know `/segment frobnicate 42`.")
    assert "`help`" in message["text"]


def test_a_registered_subcommand_is_answered_with_ctx_and_args(
    slack_bot: StartBot, settings_env: Settings
) -> None:
    ctx = AuditedContext(settings_env)

    @handles("personas", "personas", "The persona list")
    def personas(context: object, args: list[str], request: Request) -> Answer:
        assert context is ctx
        text = f"{len(args)} args from {request.user_name} in {request.channel_id}"
        return Answer(text=text, blocks=[section(text)], response_type="in_channel")

    message = slack_bot(lambda: ctx).ask("personas a b", channel_id="C0PLANNING")
    assert message["text"] == "2 args from maria in C0PLANNING"
    assert message["response_type"] == "in_channel"
    assert ctx.lookups == []  # not a customer lookup: no audit


def test_a_user_error_is_a_friendly_answer(bot: SlackBot) -> None:
    @handles("customer", "customer <id>", "One customer")
    def customer(ctx: object, args: list[str], request: Request) -> Answer:
        raise UserError(f"No customer {args[0]} in the current data (model v3).")

    assert bot.ask("customer 99999999")["text"] == (
        "No customer 99999999 in the current data (model v3)."
    )


def test_a_crash_is_a_reference_never_a_traceback(bot: SlackBot) -> None:
    @handles("summary", "summary", "All segments")
    def summary(ctx: object, args: list[str], request: Request) -> Answer:
        raise ZeroDivisionError("division by zero in the engine")

    message = bot.ask("summary")
    assert re.search(r"Something went wrong on our side \(ref [0-9A-F]{6}\)", message["text"])
    assert "ZeroDivisionError" not in json.dumps(message)


def test_an_engine_that_cannot_start_is_answered_friendly(slack_bot: StartBot) -> None:
    def no_model() -> object:
        raise UserError("No model yet: an analyst runs `smartcart train` first.")

    bot = slack_bot(no_model)
    assert bot.ask("help")["text"] == "No model yet: an analyst runs `smartcart train` first."


HOSTILE_TEXTS = [
    "customer abc",
    "customer 99999999999999999999999999999999999999999",
    "customer -1e309",
    "customer " + "7" * 3000,
    "x" * 3000,
    "customer 12\x00\x07\x1b[2J34\u202e",
    "customer <!channel>",
    "<!channel> <!here> <@U123> <#C123|general>",
    "playbook <@U123|someone>",
    "customer &<>",
    "customer &amp;lt;script&amp;gt;",
    "export ../../etc/passwd",
    "`rm -rf /` *bold* _it_ ~strike~",
    "customer 💥🧨 \u200b",
]


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_hostile_texts_get_a_friendly_escaped_answer(bot: SlackBot, text: str) -> None:
    message = bot.ask(text)
    shown = texts_of(message)
    assert message["text"].strip()
    for piece in shown:
        assert "<" not in piece and ">" not in piece, piece
        assert not re.search(r"&(?!amp;|lt;|gt;)", piece), piece
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", piece), piece
    assert "Traceback" not in json.dumps(message)
    assert bot.ask("help")["text"].startswith("SmartCart Segments")  # still serving


def test_special_characters_come_back_escaped_exactly_once(bot: SlackBot) -> None:
    assert "`/segment customer &amp;&lt;&gt;`" in bot.ask("customer &<>")["text"]
    assert "`/segment &lt;!channel&gt;`" in bot.ask("<!channel>")["text"]
    # Slack sends what the user typed escaped: it is not escaped twice.
    assert "`/segment &lt;b&gt; &amp;`" in bot.ask("&lt;b&gt; &amp;")["text"]


def test_a_burst_of_commands_is_answered(bot: SlackBot) -> None:
    urls = [bot.new_response_url() for _ in range(20)]
    threads = [threading.Thread(target=bot.command, args=("help", url)) for url in urls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for url in urls:
        assert bot.standin.wait_for_response(url)["text"].startswith("SmartCart Segments")


# -- files ------------------------------------------------------------------------------------

CSV = b"customer_id\n5524\n2174\n"


def register_export(response_type: str) -> None:
    @handles("export", "export <persona>", "Audience as CSV")
    def export(ctx: object, args: list[str], request: Request) -> Answer:
        text = f"Audience of {args[0]}: 2 customers"
        upload = Upload(filename=f"{args[0]}.csv", content=CSV, title=f"Audience {args[0]}")
        return Answer(text, [section(text)], response_type=response_type, uploads=[upload])


def test_files_of_an_ephemeral_answer_go_to_a_dm_with_the_user(bot: SlackBot) -> None:
    register_export("ephemeral")
    assert bot.ask("export premium", user_id="U0PLANNER")["text"].startswith("Audience of premium")
    (complete,) = bot.standin.wait_for("files.completeUploadExternal")
    (opened,) = bot.standin.calls("conversations.open")
    assert opened.body["users"] == "U0PLANNER"
    assert complete.body["channel_id"] == "D0PLANNER"
    (asked,) = bot.standin.calls("files.getUploadURLExternal")
    assert (asked.body["filename"], asked.body["length"]) == ("premium.csv", str(len(CSV)))
    (uploaded,) = bot.standin.calls(UPLOAD)
    assert uploaded.raw == CSV
    file_id = json.loads(complete.body["files"])[0]["id"]
    assert bot.standin.uploaded(file_id)["title"] == "Audience premium"


def test_files_of_an_in_channel_answer_go_to_the_channel(bot: SlackBot) -> None:
    register_export("in_channel")
    bot.ask("export premium", channel_id="C0CAMPAIGNS")
    (complete,) = bot.standin.wait_for("files.completeUploadExternal")
    assert complete.body["channel_id"] == "C0CAMPAIGNS"
    assert bot.standin.calls("conversations.open") == []


def test_a_failed_upload_is_told_to_the_user(bot: SlackBot) -> None:
    register_export("in_channel")
    bot.standin.fail_next("files.completeUploadExternal", status=200, error="not_in_channel")
    bot.command("export premium")
    answer, notice = bot.standin.wait_for(RESPONSE_URL, 2)
    assert json.loads(answer.raw)["text"].startswith("Audience of premium")
    notice_text = json.loads(notice.raw)["text"]
    assert "couldn't upload the file (not_in_channel). Invite me" in notice_text
    assert json.loads(notice.raw)["response_type"] == "ephemeral"


def test_uploads_are_retried_after_a_rate_limit(bot: SlackBot) -> None:
    register_export("ephemeral")
    bot.standin.fail_next("files.getUploadURLExternal", status=429, retry_after=0)
    bot.ask("export premium")
    bot.standin.wait_for("files.completeUploadExternal")
    assert len(bot.standin.calls("files.getUploadURLExternal")) == 2


# -- access to customer-level data --------------------------------------------------------------


def register_customer() -> None:
    @handles("customer", "customer <id>", "One customer")
    def customer(ctx: object, args: list[str], request: Request) -> Answer:
        return Answer(text=f"Customer {args[0]}: premium", blocks=[section("premium")])


def restricted(settings: Settings, channels: list[str], users: list[str]) -> Settings:
    update = {"SMARTCART_ALLOWED_CHANNELS": channels, "SMARTCART_ALLOWED_USERS": users}
    return settings.model_copy(update=update)


def test_customer_lookups_outside_allowed_channels_are_refused_and_audited(
    slack_bot: StartBot, settings_env: Settings
) -> None:
    register_customer()
    settings = restricted(settings_env, ["C0ALLOWED"], [])
    ctx = AuditedContext(settings)
    bot = slack_bot(lambda: ctx, settings=settings)
    refused = bot.ask("customer 5524", channel_id="C0RANDOM")
    assert "aren't enabled here" in refused["text"]
    allowed = bot.ask("customer 5524", channel_id="C0ALLOWED")
    assert allowed["text"] == "Customer 5524: premium"
    assert [(r.channel_id, a.text) for r, a in ctx.lookups] == [
        ("C0RANDOM", refused["text"]),
        ("C0ALLOWED", "Customer 5524: premium"),
    ]


def test_customer_lookups_by_other_users_are_refused(
    slack_bot: StartBot, settings_env: Settings
) -> None:
    register_customer()
    register_export("ephemeral")
    bot = bot_with_context(slack_bot, restricted(settings_env, [], ["U0ANALYST"]))
    assert "aren't enabled here" in bot.ask("export premium", user_id="U0INTERN")["text"]
    assert bot.standin.calls("files.getUploadURLExternal") == []
    assert bot.ask("customer 1", user_id="U0ANALYST")["text"] == "Customer 1: premium"
    assert bot.ask("help", user_id="U0INTERN")["text"].startswith("SmartCart")
