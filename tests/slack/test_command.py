"""The `/segment` parser and its options, property-tested: no input crashes them, every refusal
is one line, and nothing that passes is changed on the way."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from smartcart.slack.command import FLAG_WORDS, parse_command
from smartcart.slack.dispatch import Request, UserError, dispatch
from smartcart.slack.subcommands.customer import parse_customer_id
from smartcart.slack.subcommands.export import parse_export_args

EXAMPLES = settings(max_examples=300, deadline=None)
# A word as Slack hands it over: no whitespace, no control characters.
WORD = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zs", "Zl", "Zp")), min_size=1, max_size=20
).filter(lambda w: w == "".join(w.split()) and w.isprintable())
# An option's key starts with a letter or digit: "--" is what marks an option, never its key.
KEY = st.from_regex(r"[a-z0-9][a-z0-9-]{0,11}", fullmatch=True)
VALUE = WORD.filter(lambda v: not v.startswith("--"))
PLAIN = WORD.filter(lambda w: "=" not in w and not w.startswith("--"))


def one_line(message: str) -> bool:
    return "\n" not in message and "\r" not in message and message.strip() != ""


@EXAMPLES
@given(st.text(max_size=200))
def test_no_text_crashes_the_parser(text: str) -> None:
    command = parse_command(text)
    assert command.name == command.name.lower() and not any(c.isspace() for c in command.name)
    assert all(word and not any(c.isspace() for c in word) for word in command.args)
    assert len(command.words) + len(command.options) + len(command.missing_values) <= len(
        command.args
    )


@EXAMPLES
@given(PLAIN, st.lists(WORD, max_size=8))
def test_the_words_come_through_unchanged(name: str, words: list[str]) -> None:
    command = parse_command(" ".join([name, *words]))
    assert command.name == name.lower()
    assert command.args == tuple(words)


@EXAMPLES
@given(st.lists(PLAIN, max_size=4), KEY, VALUE, st.booleans())
def test_an_option_keeps_its_value(words: list[str], key: str, value: str, dashed: bool) -> None:
    spelled = [f"--{key}", value] if dashed and key not in FLAG_WORDS else [f"{key}={value}"]
    command = parse_command(" ".join(["export", *words, *spelled]))
    assert command.option(key) == value
    assert command.words == tuple(words)


@EXAMPLES
@given(st.text(max_size=120))
def test_export_options_pass_or_are_refused_in_one_line(text: str) -> None:
    try:
        words, options = parse_export_args(parse_command(f"export {text}"), None)
    except UserError as error:
        assert one_line(error.message)
        return
    assert all(word in parse_command(f"export {text}").args for word in words)
    assert options.min_confidence is None or 0.0 <= options.min_confidence <= 1.0


@EXAMPLES
@given(st.text(max_size=60), st.booleans())
def test_customer_ids_pass_unchanged_or_are_refused_in_one_line(text: str, keys: bool) -> None:
    args = list(parse_command(f"customer {text}").args)
    try:
        found = parse_customer_id(args, text_ids=keys)
    except UserError as error:
        assert one_line(error.message)
        return
    if keys:
        assert isinstance(found, str) and found.strip() == found and found
    else:
        assert args == [str(found)] or int(args[0]) == found


@EXAMPLES
@given(st.text(max_size=120))
def test_any_text_gets_a_one_line_fallback_answer(text: str) -> None:
    answer = dispatch(None, Request(text=f"nosuchthing {text}", user_id="U1", channel_id="C1"))
    assert answer.outcome == "unknown"
    assert one_line(answer.text)
