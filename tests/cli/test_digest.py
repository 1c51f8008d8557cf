"""`smartcart digest` (smartcart/cli/digest.py): dry run, posting once, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from smartcart.cli import main
from smartcart.slack.digest.ledger import POSTED
from tests.support.digest_runs import CHANNEL, PNG_SIGNATURE, SQLITE_ONLY, posts


@SQLITE_ONLY
def test_digest_dry_run_from_the_command_line(digest_settings, slack_standin):
    result = CliRunner().invoke(main, ["digest", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "dry run: nothing posted" in result.output
    assert "High-Value Premium Customers" in result.output
    chart = Path(result.output.strip().splitlines()[-1].removeprefix("Chart: "))
    assert chart.read_bytes().startswith(PNG_SIGNATURE) and chart.is_relative_to(Path.cwd())
    assert not slack_standin.calls("chat.postMessage")


def test_digest_now_from_the_command_line_posts_once(digest_settings, slack_standin):
    first = CliRunner().invoke(main, ["digest", "--now", "--json"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.output)["posted"] is True
    second = CliRunner().invoke(main, ["digest", "--now"])
    assert second.exit_code == 0 and "already posted" in second.output
    status = json.loads(CliRunner().invoke(main, ["digest", "--json"]).output)
    assert status["run"]["state"] == POSTED and status["channel"] == CHANNEL
    assert len(posts(slack_standin)) == 1


@SQLITE_ONLY
def test_digest_now_without_a_channel_is_one_clear_line(engine_settings):
    result = CliRunner().invoke(main, ["digest", "--now"])
    assert result.exit_code != 0
    assert "SMARTCART_DIGEST_CHANNEL is not set" in result.output


def test_digest_now_posts_to_every_channel_once_and_status_lists_them(
    digest_settings, slack_standin
):
    from smartcart.slack.digest import subscribe
    from smartcart.slack.migrations import open_store

    store = open_store(digest_settings.SMARTCART_DATABASE_URL)
    try:
        subscribe(store, "C0SUBSCRIBED", "30 8 * * mon", "Europe/Berlin", "U0ADMIN")
        subscribe(store, CHANNEL, "0 9 * * mon", "Europe/Berlin", "U0ADMIN")  # also the env's
    finally:
        store.engine.dispose()
    first = CliRunner().invoke(main, ["digest", "--now", "--json"])
    assert first.exit_code == 0, first.output
    runs = json.loads(first.output)["runs"]
    assert [(r["channel"], r["posted"]) for r in runs] == [(CHANNEL, True), ("C0SUBSCRIBED", True)]
    assert sorted(posted_channels(slack_standin)) == sorted([CHANNEL, "C0SUBSCRIBED"])
    again = CliRunner().invoke(main, ["digest", "--now"])
    assert again.exit_code == 0 and again.output.count("already posted") == 2
    assert len(posted_channels(slack_standin)) == 2
    status = CliRunner().invoke(main, ["digest"])
    assert f"Channel: {CHANNEL}" in status.output and "Channel: C0SUBSCRIBED" in status.output
    channels = json.loads(CliRunner().invoke(main, ["digest", "--json"]).output)["channels"]
    assert [c["run"]["state"] for c in channels] == [POSTED, POSTED]


@SQLITE_ONLY
def test_digest_now_with_a_channel_posts_only_there(digest_settings, slack_standin):
    result = CliRunner().invoke(main, ["digest", "--now", "--channel", "C0ONLY"])
    assert result.exit_code == 0, result.output
    assert posted_channels(slack_standin) == ["C0ONLY"]


def posted_channels(standin) -> list[str]:
    return [call.body.get("channel") for call in standin.calls("chat.postMessage")]
