"""The digest's Slack client: a 429 retried, only failures after sending ambiguous."""

from __future__ import annotations

from smartcart.slack.digest.client import is_ambiguous


def test_a_429_then_success_posts_once(make_runner, slack_standin):
    slack_standin.fail_next("chat.postMessage", status=429, retry_after=1)
    result = make_runner().run()
    assert result.posted
    statuses = [c for c in slack_standin.calls("chat.postMessage")]
    assert len(statuses) == 2  # the rate-limited one, then the one that went through
    assert result.message_ts and slack_standin.calls("files.completeUploadExternal")


def test_only_failures_after_sending_count_as_ambiguous():
    from http.client import RemoteDisconnected
    from urllib.error import URLError

    assert is_ambiguous(TimeoutError("read timed out"))
    assert is_ambiguous(RemoteDisconnected("closed"))
    assert not is_ambiguous(URLError(ConnectionRefusedError()))
