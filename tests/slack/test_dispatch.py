from __future__ import annotations

import logging

import pytest
from slack_sdk.errors import SlackObjectFormationError

from smartcart.slack.blockkit import (
    actions,
    button,
    context_block,
    escape,
    fields_section,
    header,
    playbook_button,
    quote_user_text,
    section,
    split_mrkdwn_sections,
    unescape_slack,
)
from smartcart.slack.command import parse_command
from smartcart.slack.dispatch import (
    Answer,
    Request,
    Upload,
    UserError,
    dispatch,
    finalize,
    handles,
    registry_restored,
    render_text,
    subcommands,
)
from tests.support.slack_standin import invalid_blocks

pytestmark = pytest.mark.usefixtures("isolated_registry")


def ask(text: str, ctx: object = None) -> Answer:
    return dispatch(ctx, Request(text=text, user_id="U1", channel_id="C1", user_name="maria"))


def all_text(answer: Answer) -> str:
    return answer.text + repr(answer.blocks)


def test_escape_ampersand_first_and_drops_control_characters() -> None:
    assert escape("a & b <c> &lt;") == "a &amp; b &lt;c&gt; &amp;lt;"
    assert escape("x\x00y\x1b[31mz\u202e") == "xy[31mz"
    assert escape("line\nnext\ttab") == "line\nnext\ttab"


def test_unescape_slack_is_the_inverse_of_escape() -> None:
    text = "a & b <!channel> &amp; > <"
    assert unescape_slack(escape(text)) == text


def test_quote_user_text_is_one_short_escaped_line() -> None:
    quoted = quote_user_text("  <!here>\n`rm` " + "9" * 300)
    assert quoted.startswith("&lt;!here&gt; 'rm' 999")
    assert len(quoted) <= 110 and quoted.endswith("…")


def test_parse_drops_a_leading_slash_command() -> None:
    command = parse_command("/segment Customer 5524")
    assert (command.name, command.args) == ("customer", ("5524",))
    assert parse_command("  ").name == ""


@pytest.mark.parametrize("text", ["", "   ", "help", "HELP", "/segment", "/segment help"])
def test_empty_or_help_lists_every_subcommand(text: str) -> None:
    @handles("customer", "customer <id>", "Who a customer is & what to do next")
    def customer(ctx: object, args: list[str], request: Request) -> Answer:
        return Answer(text="c")

    answer = ask(text)
    shown = all_text(answer)
    assert "/segment customer &lt;id&gt;" in shown
    assert "Who a customer is &amp; what to do next" in shown
    assert "/segment help" in shown
    assert answer.blocks[0]["type"] == "header"
    assert answer.response_type == "ephemeral"
    assert invalid_blocks(answer.payload()) == []


def test_unknown_subcommand_gets_a_short_usage_error_echoing_escaped_text() -> None:
    answer = ask("frobnicate <@U123> & " + "x" * 500)
    shown = all_text(answer)
    assert "Sorry, I don't know" in shown
    assert "&lt;@U123&gt; &amp;" in shown
    assert "<@U123>" not in shown
    assert len(answer.blocks[0]["text"]["text"]) < 200
    assert "`help`" in shown


def test_handler_gets_ctx_args_and_request() -> None:
    seen = {}

    @handles("echo", "echo <words>", "Echo")
    def echo(ctx: object, args: list[str], request: Request) -> Answer:
        seen.update(ctx=ctx, args=args, user=request.user_id)
        return Answer(text="done", blocks=[section("done")])

    assert ask("echo  one\ttwo ", ctx="the-ctx").text == "done"
    assert seen == {"ctx": "the-ctx", "args": ["one", "two"], "user": "U1"}


def test_user_error_is_a_friendly_escaped_answer() -> None:
    @handles("customer", "customer <id>", "Customer")
    def customer(ctx: object, args: list[str], request: Request) -> Answer:
        raise UserError(f"No customer {args[0]} in the current data (model v3).")

    answer = ask("customer <99>")
    assert answer.text == "No customer &lt;99&gt; in the current data (model v3)."
    assert answer.blocks == [section(answer.text)]


def test_crash_is_logged_with_traceback_and_answered_with_a_reference(
    caplog: pytest.LogCaptureFixture,
) -> None:
    @handles("boom", "boom", "Crash")
    def boom(ctx: object, args: list[str], request: Request) -> Answer:
        raise RuntimeError("secret internals")

    with caplog.at_level(logging.ERROR, logger="smartcart.slack.dispatch"):
        answer = ask("boom")
    assert "Something went wrong on our side (ref " in answer.text
    assert "secret internals" not in all_text(answer)
    assert "Traceback" not in all_text(answer)
    reference = answer.text.split("(ref ")[1].split(")")[0]
    assert len(reference) == 6
    assert reference in caplog.text and "RuntimeError: secret internals" in caplog.text


def test_an_invalid_block_from_a_handler_never_reaches_slack() -> None:
    @handles("bad", "bad", "Bad blocks")
    def bad(ctx: object, args: list[str], request: Request) -> Answer:
        return Answer(text="bad", blocks=[{"type": "section", "text": {"type": "mrkdwn"}}])

    assert "Something went wrong" in ask("bad").text


def test_block_helpers_respect_slack_limits() -> None:
    blocks = [
        header("H" * 400),
        section("s" * 5000),
        fields_section([f"*{i}*" for i in range(10)]),
        context_block("small print"),
        actions([button("B" * 100, "a1", "v"), playbook_button("premium", "Premium")]),
    ]
    answer = finalize(Answer(text="t", blocks=blocks))
    assert len(answer.blocks[0]["text"]["text"]) == 150
    assert len(answer.blocks[1]["text"]["text"]) == 3000
    assert answer.blocks[4]["elements"][1]["action_id"] == "open_playbook:premium"
    with pytest.raises(ValueError):
        fields_section([str(i) for i in range(11)])


def test_finalize_keeps_at_most_50_blocks_and_needs_valid_ones() -> None:
    answer = finalize(Answer(text="", blocks=[section(str(i)) for i in range(80)]))
    assert len(answer.blocks) == 50
    assert "31 more" in answer.blocks[-1]["elements"][0]["text"]
    assert answer.text == "0"  # fallback taken from the first block
    with pytest.raises(SlackObjectFormationError):
        finalize(
            Answer(
                text="x",
                blocks=[{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}],
            )
        )
    with pytest.raises(ValueError):
        finalize(Answer(text="x", response_type="everyone"))


def test_split_mrkdwn_sections_cuts_on_paragraphs_then_lines() -> None:
    sizes = [30, 30, 90, 5]  # the third paragraph alone is longer than a section
    paragraphs = [
        "\n".join(f"p{p} line {n} " + "w" * 40 for n in range(size)) for p, size in enumerate(sizes)
    ]
    sections = split_mrkdwn_sections("\n\n".join(paragraphs))
    texts = [block["text"]["text"] for block in sections]
    assert len(texts) == 4
    assert all(len(text) <= 3000 for text in texts)
    assert "\n\n".join(texts).replace("\n\n", "\n") == "\n".join(paragraphs)
    assert all(not text.startswith("\n") and "line" in text.splitlines()[-1] for text in texts)


def test_split_never_cuts_an_escaped_entity() -> None:
    texts = [b["text"]["text"] for b in split_mrkdwn_sections("x" + escape("<>&") * 2000)]
    assert all(len(text) <= 3000 for text in texts)
    assert "".join(texts) == "x" + escape("<>&") * 2000
    assert all(text.endswith(";") for text in texts)


def test_registry_can_be_snapshot_and_restored() -> None:
    with registry_restored():

        @handles("temp", "temp", "Temporary")
        def temp(ctx: object, args: list[str], request: Request) -> Answer:
            return Answer(text="t")

        assert [sub.name for sub in subcommands()] == ["temp", "help"]
    assert [sub.name for sub in subcommands()] == ["help"]


def test_upload_defaults() -> None:
    upload = Upload(filename="a.csv", content=b"id\n1\n", title="Audience")
    answer = Answer(text="t", uploads=[upload])
    assert upload.initial_comment is None
    assert answer.blocks == [] and answer.response_type == "ephemeral"


def test_render_text_reads_well_in_a_terminal() -> None:
    answer = Answer(
        text="fallback",
        blocks=[
            header("Premium"),
            section("*Customers* &amp; more &lt;3"),
            fields_section(["*Size*\n512", "*Share*\n23%"]),
            context_block("model v3"),
            actions([playbook_button("premium", "Open playbook")]),
        ],
        uploads=[Upload(filename="chart.png", content=b"png", title="Segments")],
    )
    assert render_text(answer).splitlines() == [
        "Premium",
        "=======",
        "*Customers* & more <3",
        "*Size*",
        "512",
        "*Share*",
        "23%",
        "model v3",
        "[Open playbook]",
        "[file] chart.png: Segments",
    ]
    assert render_text(Answer(text="only &amp; text")) == "only & text"
