"""`.env.example` and the settings reference are the settings model's, setting for setting."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from smartcart.cli import main
from smartcart.slack.settings import Settings
from smartcart.slack.settings_reference import env_example, setting_docs, settings_markdown

ROOT = Path(__file__).resolve().parents[2]


def test_the_committed_env_example_is_the_generated_one() -> None:
    committed = (ROOT / ".env.example").read_text()
    assert committed == env_example(), (
        ".env.example disagrees with the settings model: "
        "run `smartcart settings example > .env.example`"
    )


def test_every_setting_is_listed_once_with_a_meaning() -> None:
    text = env_example()
    for name in Settings.model_fields:
        assert text.count(f"# {name}=") == 1, name
    assert [doc.name for doc in setting_docs()] == list(Settings.model_fields)
    assert all(doc.meaning for doc in setting_docs())


def test_defaults_are_the_models() -> None:
    docs = {doc.name: doc for doc in setting_docs()}
    assert docs["SMARTCART_DIGEST_CRON"].default == "0 9 * * mon"
    assert docs["SMARTCART_LEASE_SECONDS"].default == "30"
    assert docs["SMARTCART_MODEL_DIR"].default == "var/models"
    assert docs["SLACK_BOT_TOKEN"].default == "" and docs["SLACK_BOT_TOKEN"].secret


def test_the_env_example_read_back_gives_the_defaults(tmp_path, monkeypatch) -> None:
    """Uncommented, every line with a plain default loads to the model's own default."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    lines = [
        line.removeprefix("# ")
        for line in env_example().splitlines()
        if line.startswith("# ") and "=" in line and "<" not in line
    ]
    env = tmp_path / "example.env"
    env.write_text("\n".join(lines) + "\n")
    assert Settings(_env_file=env) == Settings(_env_file=None)


def test_the_markdown_table_has_a_row_per_setting() -> None:
    table = settings_markdown()
    for name in Settings.model_fields:
        assert f"| `{name}` |" in table


def test_the_command_prints_it() -> None:
    result = CliRunner().invoke(main, ["settings", "example"])
    assert result.exit_code == 0
    assert result.output == env_example()
