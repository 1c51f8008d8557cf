"""A `/segment` text read once into a typed `Command`: the subcommand, its words, its options.

`parse_command` is the one parser of a request's text (Slack and the local CLI alike); every
later step (the ack's line, the access decision, the handler, the metrics, the audit) reads the
`Command` it made. It never raises: whether a word makes sense is the subcommand's to say.

- The first word names the subcommand (lower case; a leading `/segment` is dropped).
- `args` are the words after it, as typed (control characters removed).
- `options` are the `key=value` words among them, `--key=value` and `--key value` too (a key
  lower case, `_` read as `-`); `--changes` alone is the word `changes` (a flag).
- `words` are the other arguments, in order.
"""

from __future__ import annotations

from dataclasses import dataclass

from smartcart.slack.blockkit import strip_control_characters

SLASH_COMMAND = "/segment"
# `--NAME` words that take no value: read as the bare word NAME.
FLAG_WORDS = frozenset({"changes", "share"})


@dataclass(frozen=True)
class Command:
    """One `/segment` text, parsed: `customer 5524` -> name `customer`, args `("5524",)`."""

    name: str
    args: tuple[str, ...] = ()
    words: tuple[str, ...] = ()
    options: tuple[tuple[str, str], ...] = ()
    # `--NAME` words at the end with no value after them (the subcommand says what it needs).
    missing_values: tuple[str, ...] = ()

    def option(self, key: str) -> str | None:
        """The last value given for `key` (None when not given)."""
        found = [value for name, value in self.options if name == key]
        return found[-1] if found else None

    def has_word(self, word: str) -> bool:
        return word in (w.lower() for w in self.words)


def parse_command(text: str) -> Command:
    """`"export premium format=meta"` -> Command("export", words=("premium",), options=...)."""
    tokens = strip_control_characters(text).split()
    if tokens and tokens[0].lower() == SLASH_COMMAND:
        tokens = tokens[1:]
    if not tokens:
        return Command(name="")
    args = tuple(tokens[1:])
    words, options, missing = split_options(args)
    return Command(tokens[0].lower(), args, words, options, missing)


def split_options(
    args: tuple[str, ...],
) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...], tuple[str, ...]]:
    """The plain words, the `(key, value)` options and the `--key`s left without a value."""
    words: list[str] = []
    options: list[tuple[str, str]] = []
    missing: list[str] = []
    position = 0
    while position < len(args):
        word = args[position]
        position += 1
        body = word[2:] if word.startswith("--") else word
        key, sep, value = body.partition("=")
        if sep and key:
            options.append((option_key(key), value))
        elif word.startswith("--") and body.lower() in FLAG_WORDS:
            words.append(body)
        elif word.startswith("--") and body:
            if position < len(args) and not args[position].startswith("--"):
                options.append((option_key(body), args[position]))
                position += 1
            else:
                missing.append(word)
        else:
            words.append(word)
    return tuple(words), tuple(options), tuple(missing)


def option_key(key: str) -> str:
    return key.lower().replace("_", "-")
