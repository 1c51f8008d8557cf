"""`smartcart serve` and `scheduler` (smartcart/cli/serving.py)."""

from __future__ import annotations

from click.testing import CliRunner

from smartcart.cli import main


def test_the_standalone_scheduler_needs_something_to_schedule(settings_env, monkeypatch):
    monkeypatch.delenv("SLACK_BOT_TOKEN")
    result = CliRunner().invoke(main, ["scheduler"])
    assert result.exit_code != 0
    assert "nothing to schedule" in result.output


def test_serve_can_leave_the_scheduler_to_another_process():
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert "--no-scheduler" in result.output
