"""`smartcart mapping suggest`, `playbook` and `templates check` (smartcart/cli/data.py)."""

from __future__ import annotations

import tomllib

from click.testing import CliRunner

from smartcart.cli import main
from smartcart.engine.data.loading import load_customers
from smartcart.engine.data.validation import validate
from tests.engine.data.test_mapping import (
    EDUCATION,
    MARITAL,
    RENAMED,
    RESPONSE,
    crm_export,
    needs_real_data,
)
from tests.engine.reports.test_playbooks import write_playbook
from tests.support import REAL_DATA


def test_cli_playbook_writes_markdown_and_slack(engine_settings, bot_context, tmp_path):
    (segment,) = bot_context.service.figures().persona("moderate_loyal")
    out = tmp_path / "briefs" / "moderate.md"
    result = CliRunner().invoke(main, ["playbook", "moderate", "--format", "md", "--out", str(out)])
    assert result.exit_code == 0, result.output
    markdown = out.read_text()
    assert markdown.startswith("# Moderate Loyal Customers: campaign playbook\n")
    assert f"- **Customers:** {segment['size']:,} (" in markdown
    slack = CliRunner().invoke(main, ["playbook", "C3", "--format", "slack"])
    assert slack.exit_code == 0, slack.output
    assert slack.stdout.startswith("*Moderate Loyal Customers: campaign playbook*\n")
    assert f"• *Customers:* {segment['size']:,} (" in slack.stdout
    printed = CliRunner().invoke(main, ["playbook", "moderate", "loyal"])
    assert printed.stdout == markdown


def test_cli_playbook_unknown_persona_is_one_line(engine_settings):
    result = CliRunner().invoke(main, ["playbook", "nobody"])
    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: no persona 'nobody'; choose one of: "
        "premium, family_budget, digital_active, moderate_loyal"
    )


def test_cli_templates_check(settings_env, tmp_path, monkeypatch):
    ok = CliRunner().invoke(main, ["templates", "check"])
    assert ok.exit_code == 0, ok.output
    assert ok.stdout.endswith(" templates OK (built-in)\n")
    folder = tmp_path / "ours"
    typo = write_playbook(folder, "premium", "# P\n\n{{ numbers.sise }}\n")
    syntax = write_playbook(folder, "family_budget", "# F\n{% for x in %}\n")
    monkeypatch.setenv("SMARTCART_TEMPLATES", str(folder))
    broken = CliRunner().invoke(main, ["templates", "check"])
    assert broken.exit_code == 1
    lines = broken.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{syntax}:2: ") and lines[1].startswith(f"{typo}:3: ")
    assert "no attribute 'sise'" in lines[1]


@needs_real_data
def test_suggest_proposes_every_renamed_column_and_the_values(tmp_path):
    crm = crm_export(REAL_DATA, tmp_path / "crm.csv")
    result = CliRunner().invoke(main, ["mapping", "suggest", str(crm)])
    assert result.exit_code == 0, result.output
    draft = tomllib.loads(result.stdout)
    assert {c: draft["columns"][c] for c in RENAMED} == RENAMED
    assert draft["values"]["Education"] == {v: k for k, v in EDUCATION.items()}
    assert draft["values"]["Marital_Status"] == {v: k for k, v in MARITAL.items()}
    assert draft["values"]["Response"] == {v: k for k, v in RESPONSE.items()}
    assert draft["dates"] == {"Dt_Customer": "%m/%d/%Y"}
    (tmp_path / "draft.toml").write_text(result.stdout)
    used = validate(load_customers(crm, mapping=tmp_path / "draft.toml"))
    assert used.rows == {"read": 2240, "used": 2236, "quarantined": 4}


def test_suggest_says_what_is_missing_as_comments(tmp_path):
    path = tmp_path / "few.csv"
    path.write_text("customer_ref,Education,wine_spend,colour\n1,Doctorate,10,red\n")
    result = CliRunner().invoke(main, ["mapping", "suggest", str(path)])
    assert result.exit_code == 0, result.output
    draft = tomllib.loads(result.stdout)
    assert draft["columns"]["MntWines"] == "wine_spend"
    assert draft["values"]["Education"] == {"Doctorate": "PhD"}
    assert "# Year_Birth = " in result.stdout  # missing, left for the user to fill in
    assert "Columns of yours not used: colour" in result.stdout


def test_templates_check_renders_the_digest_with_its_samples(settings_env, tmp_path, monkeypatch):
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "digest.md.j2").write_text("{{ customers|money }}\n{{ customerz }}\n")
    monkeypatch.setenv("SMARTCART_TEMPLATES", str(folder))
    result = CliRunner().invoke(main, ["templates", "check"])
    assert result.exit_code == 1
    assert "digest.md.j2:2: UndefinedError" in result.output
