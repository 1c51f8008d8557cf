"""The digest against the Slack stand-in, on SQLite and PostgreSQL: one message, or a dry run."""

from __future__ import annotations

import json

from smartcart.slack.digest.attempt import METADATA_EVENT
from smartcart.slack.digest.ledger import POSTED
from tests.support.digest_runs import CHANNEL, PNG_SIGNATURE, SQLITE_ONLY, events, posts


def test_the_digest_is_one_block_kit_message_with_the_chart_in_its_thread(
    make_runner, slack_standin
):
    runner = make_runner()
    result = runner.run()
    assert (result.posted, result.state, result.period) == (True, POSTED, "2024-W14")
    [call] = posts(slack_standin)
    blocks = json.loads(call.raw)["blocks"]
    assert blocks[0]["type"] == "header" and "week 14 of 2024" in blocks[0]["text"]["text"]
    body = json.dumps(blocks)
    assert "High-Value Premium Customers" in body and "first digest" in body
    assert call.body["metadata"]["event_type"] == METADATA_EVENT
    assert result.message_ts == runner.ledger.get(CHANNEL, "2024-W14").message_ts

    [complete] = slack_standin.calls("files.completeUploadExternal")
    assert complete.body["channel_id"] == CHANNEL
    assert complete.body["thread_ts"] == result.message_ts
    upload = slack_standin.uploaded(result.chart_file_id)
    assert upload["content"].startswith(PNG_SIGNATURE)
    assert upload["filename"].endswith(".png") and upload["length"] == len(upload["content"])
    assert events(runner) == [
        (None, "working"),
        ("working", "working"),
        ("working", "posted"),
        ("posted", "posted"),
    ]


@SQLITE_ONLY
def test_the_dry_run_posts_and_claims_nothing_and_writes_a_png(
    make_runner, slack_standin, tmp_path
):
    runner = make_runner()
    preview = runner.dry_run(chart_path=tmp_path / "chart.png")
    assert preview.period.key == "2024-W14"
    assert (tmp_path / "chart.png").read_bytes().startswith(PNG_SIGNATURE)
    assert "High-Value Premium Customers" in preview.message.markdown
    assert not slack_standin.calls("chat.postMessage")
    assert runner.ledger.get(CHANNEL, "2024-W14") is None
