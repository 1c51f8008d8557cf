"""Every setting with its default and one line of meaning, read from the settings model.

`.env.example` (`smartcart settings example`) and the docs' settings page (a MkDocs hook) are
generated from here, so neither can drift from `Settings`; a test compares the committed
`.env.example` with `env_example()`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from smartcart.slack.settings import SECRET_SETTINGS, Settings

# Defaults computed at start, described as a person would write them.
COMPUTED_DEFAULTS = {
    "SMARTCART_DATABASE_URL": "sqlite:///<working folder>/var/smartcart.db",
    "SMARTCART_HEALTH_FILE": "<temporary folder>/smartcart-health.json",
}
# Not a setting of the bot: docker-compose.yml reads it for its PostgreSQL service.
COMPOSE_LINES = (
    "# docker-compose.yml only: the PostgreSQL password of the `smartcart` user.",
    "POSTGRES_PASSWORD=",
)
ENV_EXAMPLE_HEADER = (
    "# Every setting of SmartCart Segments, with its default. Copy to .env (never committed,",
    "# never in an image), uncomment and fill in what you change. Generated from the settings",
    "# model: `smartcart settings example > .env.example`.",
)


@dataclass(frozen=True)
class SettingDoc:
    name: str
    default: str  # as it would be written in .env; "" when unset
    meaning: str
    secret: bool


def setting_docs() -> list[SettingDoc]:
    """Every field of `Settings`, in the model's order."""
    return [
        SettingDoc(name, default_text(name, field), meaning(name, field), name in SECRET_SETTINGS)
        for name, field in Settings.model_fields.items()
    ]


def meaning(name: str, field: FieldInfo) -> str:
    if not field.description:
        raise ValueError(f"{name}: the setting has no docstring (its meaning in one line)")
    return " ".join(field.description.split())


def default_text(name: str, field: FieldInfo) -> str:
    if name in COMPUTED_DEFAULTS:
        return COMPUTED_DEFAULTS[name]
    value = field.get_default(call_default_factory=True)
    if value is PydanticUndefined or value is None:
        return ""
    if isinstance(value, list):
        return ",".join(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, Path):
        return value.as_posix()
    return str(value)


def env_example() -> str:
    """The text of `.env.example`: each setting commented out at its default, with its meaning."""
    lines = list(ENV_EXAMPLE_HEADER)
    for doc in setting_docs():
        lines += ["", f"# {doc.meaning}", f"# {doc.name}={doc.default}"]
    lines += ["", *COMPOSE_LINES]
    return "\n".join(lines) + "\n"


def settings_markdown() -> str:
    """The settings as a Markdown table (the docs' settings reference)."""
    rows = ["| Setting | Default | Meaning |", "|---|---|---|"]
    for doc in setting_docs():
        default = f"`{doc.default}`" if doc.default else "unset"
        secret = " Secret: only from the environment, never logged." if doc.secret else ""
        cell = doc.meaning.replace("|", "\\|")
        rows.append(f"| `{doc.name}` | {default} | {cell}{secret} |")
    return "\n".join(rows) + "\n"
